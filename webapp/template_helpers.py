"""The Jinja wiring: the presentation formatters as filters and globals every template may use, and the
versioned URLs of static files."""
import functools
import hashlib

from flask import current_app, request, url_for
from flask_login import current_user
from werkzeug.security import safe_join

from webapp import clock, presentation
from webapp.services import STAFF_ROLES

ROLE_HOME = {
    "admin": "admin.home",
    "marketing": "admin.home",
    "support": "admin.home",
    "delivery_boy": "delivery.home",
    "customer": "customer.home",
    "supplier": "supplier.home",
}
# A versioned URL names one content for ever: browsers keep it a year without asking again.
VERSIONED_CACHE_CONTROL = "public, max-age=31536000, immutable"


@functools.lru_cache(maxsize=256)
def _file_version(static_folder, filename):
    path = safe_join(static_folder, filename)
    try:
        with open(path, "rb") as file:
            return hashlib.sha256(file.read()).hexdigest()[:12]
    except (TypeError, OSError):  # safe_join refused the name (None), or no such file
        return None


def static_version(filename):
    """The first 12 hex digits of the file's sha256, read once per file per process (None: no such file); read
    every time in debug mode, where files change under the developer's hands."""
    if current_app.debug:
        return _file_version.__wrapped__(current_app.static_folder, filename)
    return _file_version(current_app.static_folder, filename)


def static_url(filename):
    """The one way a template links a static file: its URL with `?v=<content hash>`."""
    return url_for("static", filename=filename, v=static_version(filename))


def cache_versioned_static(response):
    """A static file asked for under its current content hash is cached for a year; any other request of a
    static file (no version, an old one) keeps Flask's default: revalidate every time."""
    if request.endpoint == "static" and response.status_code in (200, 304):
        version = request.args.get("v")
        if version and version == static_version((request.view_args or {}).get("filename", "")):
            response.headers["Cache-Control"] = VERSIONED_CACHE_CONTROL
    return response


def init_app(app):
    app.jinja_env.filters["rupees"] = presentation.format_rupees
    app.jinja_env.filters["day"] = presentation.format_day
    app.jinja_env.filters["month"] = presentation.format_month
    app.jinja_env.filters["when"] = presentation.format_time
    app.jinja_env.globals["describe_pattern"] = presentation.describe_pattern
    app.jinja_env.globals["calendar_weeks"] = presentation.calendar_weeks
    app.jinja_env.globals["STAFF_ROLES"] = STAFF_ROLES
    app.jinja_env.globals["today"] = clock.today
    app.jinja_env.globals["static_url"] = static_url
    app.after_request(cache_versioned_static)

    @app.context_processor
    def role_context():
        role = current_user.role if current_user.is_authenticated else None
        return {"role": role, "is_staff": role in STAFF_ROLES}
