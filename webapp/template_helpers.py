"""The Jinja wiring: the presentation formatters as filters and globals every template may use, and the
versioned URLs of static files."""
import functools
import hashlib

from flask import current_app, request, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.security import safe_join

from webapp import clock, i18n, presentation
from webapp.amount_words import rupees_in_words
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


# The formatters in the page's language (Babel's rules for it: month and day names, digit grouping).
def rupees(paise):
    return presentation.format_rupees(paise, i18n.money_locale())


def day(value, style="short"):
    return presentation.format_day(value, style, i18n.language())


def month(value, style="month"):
    return presentation.format_month(value, i18n.language(), style)


def when(moment):
    return presentation.format_time(moment, i18n.language())


def describe_pattern(pattern):
    return presentation.describe_pattern(pattern, i18n.language(), gettext)


def weekday_names():
    return presentation.weekday_names(i18n.language())


# Status words as people read them, in the page's language.
def customer_status(status):
    return {"trial": gettext("Trial"), "active": gettext("Active"), "paused": gettext("Paused"),
            "stopped": gettext("Stopped")}.get(status, status)


def order_status(status):
    return {"DRAFT": gettext("Draft"), "ACTIVE": gettext("Active"), "PAUSED": gettext("Paused"),
            "STOPPED": gettext("Stopped"), "PENDING": gettext("Pending"), "DELIVERED": gettext("Delivered"),
            "PARTIALLY_DELIVERED": gettext("Partially Delivered"), "NOT_DELIVERED": gettext("Not Delivered"),
            "CANCELLED": gettext("Cancelled")}.get(status, status)


def order_source(source):
    return {"customer": gettext("customer"), "staff": gettext("staff")}.get(source, source)


def init_app(app):
    app.jinja_env.filters["rupees"] = rupees
    app.jinja_env.filters["day"] = day
    app.jinja_env.filters["month"] = month
    app.jinja_env.filters["when"] = when
    app.jinja_env.globals["describe_pattern"] = describe_pattern
    app.jinja_env.globals["weekday_names"] = weekday_names
    app.jinja_env.globals["customer_status"] = customer_status
    app.jinja_env.globals["order_status"] = order_status
    app.jinja_env.globals["order_source"] = order_source
    app.jinja_env.globals["calendar_weeks"] = presentation.calendar_weeks
    app.jinja_env.globals["in_words"] = rupees_in_words
    app.jinja_env.globals["STAFF_ROLES"] = STAFF_ROLES
    app.jinja_env.globals["today"] = clock.today
    app.jinja_env.globals["static_url"] = static_url
    app.after_request(cache_versioned_static)

    @app.context_processor
    def role_context():
        role = current_user.role if current_user.is_authenticated else None
        return {"role": role, "is_staff": role in STAFF_ROLES}
