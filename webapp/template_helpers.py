"""Filters and globals every template may use."""
from flask_login import current_user

from webapp import clock
from webapp.money import format_rupees
from webapp.services import STAFF_ROLES

ROLE_HOME = {
    "admin": "admin.home",
    "marketing": "admin.home",
    "support": "admin.home",
    "delivery_boy": "delivery.home",
    "customer": "customer.home",
    "supplier": "supplier.home",
}


def format_day(value, style="short"):
    """'2026-01-31' or a date → 'Sat 31 Jan' (short) or '31 Jan 2026' (long)."""
    if not value:
        return ""
    day = clock.parse_day(value)
    return day.strftime("%a %d %b") if style == "short" else day.strftime("%d %b %Y")


def format_time(moment):
    """A UTC datetime shown in business time."""
    if not moment:
        return ""
    return moment.astimezone(clock.business_tz()).strftime("%d %b %Y %H:%M")


def init_app(app):
    app.jinja_env.filters["rupees"] = format_rupees
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["when"] = format_time
    app.jinja_env.globals["STAFF_ROLES"] = STAFF_ROLES
    app.jinja_env.globals["today"] = clock.today

    @app.context_processor
    def role_context():
        role = current_user.role if current_user.is_authenticated else None
        return {"role": role, "is_staff": role in STAFF_ROLES}
