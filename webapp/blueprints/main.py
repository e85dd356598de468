"""Public odds and ends: the front door, the health check and the metrics."""
from flask import abort, jsonify, redirect, request, url_for
from flask_login import current_user

from webapp import observability
from webapp.db import get_client, ping
from webapp.errors import without_signed_in_user
from webapp.security import PUBLIC, audience_blueprint
from webapp.template_helpers import ROLE_HOME

bp = audience_blueprint("main", __name__, roles={PUBLIC})


@bp.get("/")
def index():
    """Send a signed-in user to his home page, anyone else to the login page."""
    if current_user.is_authenticated:
        return redirect(url_for(ROLE_HOME[current_user.role]))
    return redirect(url_for("auth.login"))


@bp.get("/login")
def login():
    """The address people type or bookmark: the login page, keeping where they were going."""
    return redirect(url_for("auth.login", next=request.args.get("next")), code=301)


@bp.get("/health")
def health():
    """Up (200) or down (503), and nothing else: no names or versions for a visitor to collect."""
    if not ping(get_client()):
        without_signed_in_user()  # a browser's session cookie must not send us to the database again
        return jsonify(status="down"), 503
    return jsonify(status="up")


@bp.get("/metrics")
def metrics():
    """Prometheus metrics, for an admin or the scraper on a configured private address (anyone else: 403)."""
    if not observability.may_read_metrics():
        abort(403)
    text, content_type = observability.metrics_page(request.headers.get("Accept"))
    return text, 200, {"Content-Type": content_type, "Cache-Control": "no-store"}
