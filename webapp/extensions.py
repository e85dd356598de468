"""Unbound extension objects; `create_app` binds them."""
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_wtf import CSRFProtect

from webapp.net import client_ip

login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=client_ip)
