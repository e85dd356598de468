"""Flask-Login: the session names the user and his session epoch, so deactivation ends it.

Also the known-device cookie: a long-lived, signed cookie set at each successful sign-in, naming the
user and a random device id. A sign-in for that user from that device is counted on its own by the
sign-in guard (webapp/services/sign_in_guard.py), so failures elsewhere do not hold the owner back.
"""
import secrets

from flask import current_app, g, request, session
from flask_login import UserMixin, login_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

from webapp.extensions import login_manager

KNOWN_DEVICE_COOKIE = "earlybird_device"
KNOWN_DEVICE_SALT = "earlybird.known-device"


class LoginUser(UserMixin):
    def __init__(self, doc):
        self.doc = doc

    def get_id(self):
        return f"{self.doc['_id']}|{self.doc.get('session_epoch', 0)}"

    @property
    def is_active(self):
        return bool(self.doc.get("active"))

    def __getattr__(self, name):
        # user.name, user.role, user.customer_id … read from the document.
        try:
            return self.doc["_id"] if name == "id" else self.doc[name]
        except KeyError:
            raise AttributeError(name) from None


def init_login(app):
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_id):
        from webapp.services.accounts import user_for_session

        user_id, _, epoch = session_id.partition("|")
        if not epoch.isdigit():
            return None
        doc = user_for_session(user_id, int(epoch))
        return LoginUser(doc) if doc else None

    @login_manager.unauthorized_handler
    def unauthorized():
        from webapp.security import login_redirect

        return login_redirect()


def start_session(user_doc):
    """Sign in on a fresh session: whatever the visitor's session held (its CSRF token too) is dropped."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)  # Flask-WTF's per-request copy
    login_user(LoginUser(user_doc))


def _device_serializer():
    return URLSafeTimedSerializer(current_app.secret_key, salt=KNOWN_DEVICE_SALT)


def _max_age():
    return current_app.config["KNOWN_DEVICE_DAYS"] * 24 * 3600


def known_device():
    """{"user_id", "device_id"} from this request's known-device cookie, or None (absent, forged, too old)."""
    value = request.cookies.get(KNOWN_DEVICE_COOKIE)
    if not value:
        return None
    try:
        payload = _device_serializer().loads(value, max_age=_max_age())
    except BadSignature:
        return None
    if not (isinstance(payload, dict) and isinstance(payload.get("u"), str) and isinstance(payload.get("d"), str)):
        return None
    return {"user_id": payload["u"], "device_id": payload["d"]}


def remember_device(response, user_doc):
    """Mark this device as one `user_doc` signs in from (its device id kept if it had one)."""
    device = known_device()
    device_id = device["device_id"] if device else secrets.token_urlsafe(16)
    response.set_cookie(
        KNOWN_DEVICE_COOKIE, _device_serializer().dumps({"u": user_doc["_id"], "d": device_id}),
        max_age=_max_age(), httponly=True, samesite="Lax",
        secure=current_app.session_interface.get_cookie_secure(current_app), path="/",
    )
    return response
