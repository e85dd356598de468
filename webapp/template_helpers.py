"""The Jinja wiring: the presentation formatters as filters and globals every template may use."""
from flask_login import current_user

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


def init_app(app):
    app.jinja_env.filters["rupees"] = presentation.format_rupees
    app.jinja_env.filters["day"] = presentation.format_day
    app.jinja_env.filters["when"] = presentation.format_time
    app.jinja_env.globals["describe_pattern"] = presentation.describe_pattern
    app.jinja_env.globals["calendar_weeks"] = presentation.calendar_weeks
    app.jinja_env.globals["STAFF_ROLES"] = STAFF_ROLES
    app.jinja_env.globals["today"] = clock.today

    @app.context_processor
    def role_context():
        role = current_user.role if current_user.is_authenticated else None
        return {"role": role, "is_staff": role in STAFF_ROLES}
