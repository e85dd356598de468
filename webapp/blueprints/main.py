"""Public odds and ends: the front door and the health check."""
from flask import current_app, jsonify, redirect, url_for
from flask_login import current_user

from webapp.db import get_client, get_db, ping
from webapp.migrate import latest_applied
from webapp.security import PUBLIC, audience_blueprint
from webapp.template_helpers import ROLE_HOME

bp = audience_blueprint("main", __name__, roles={PUBLIC})


@bp.get("/")
def index():
    """Send a signed-in user to his home page, anyone else to the login page."""
    if current_user.is_authenticated:
        return redirect(url_for(ROLE_HOME[current_user.role]))
    return redirect(url_for("auth.login"))


@bp.get("/health")
def health():
    """200 with the database ping and the applied migration; 503 when the database is down."""
    if not ping(get_client()):
        return jsonify(status="down", database="unreachable", migration=None), 503
    migration = latest_applied(get_db())
    return jsonify(status="ok", database="ok", migration=migration, dbname=current_app.config["MONGO_DBNAME"])
