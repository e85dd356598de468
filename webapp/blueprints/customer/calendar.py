"""The customer's calendar: a month of what arrives; tap a day to change or skip it in place.

Staff see the same calendar (admin.customer_orders) through `order_actions.calendar_context` and the
same partials (templates/orders/_calendar.html).
"""
from flask import redirect, request, url_for
from flask_login import current_user

from webapp import clock, htmx
from webapp.blueprints.customer import bp
from webapp.blueprints.order_actions import calendar_context
from webapp.forms import apply_service_error
from webapp.forms.orders import DayForm
from webapp.net import current_actor
from webapp.services import Conflict, ValidationError, orders

CUSTOMER_CALENDAR = {"month": "customer.calendar", "day": "customer.calendar_day", "set": "customer.set_day",
                     "order": None, "args": {}}


@bp.get("/calendar")
def calendar():
    """My month: what arrives each day."""
    month = request.args.get("month") or clock.month_of(clock.today())
    context = calendar_context(current_user.customer_id, month, CUSTOMER_CALENDAR, actor=current_actor())
    return htmx.render("customer/calendar/index.html", "orders/_calendar.html", **context)


@bp.get("/calendar/<day>")
def calendar_day(day):
    """One day of my calendar, ready to change (htmx: just the day panel)."""
    context = calendar_context(current_user.customer_id, None, CUSTOMER_CALENDAR, actor=current_actor(), day=day)
    return htmx.render("customer/calendar/index.html", "orders/_day.html", **context)


@bp.post("/orders/<order_id>/day/<day>")
def set_day(order_id, day):
    """Change how much of a subscription arrives on one day, or skip it (htmx: the calendar, in place)."""
    form = DayForm(prefix=order_id)
    status, message = 200, None
    if form.validate_on_submit():
        try:
            orders.set_quantity(order_id, day, form.item_list(), actor=current_actor())
        except (ValidationError, Conflict) as error:
            apply_service_error(form, error)
            status = error.status
        else:
            if not htmx.is_htmx():
                return redirect(url_for("customer.calendar_day", day=day), code=303)
            message = "Saved."
            form = None
    else:
        status = 422
    context = calendar_context(current_user.customer_id, None, CUSTOMER_CALENDAR, actor=current_actor(), day=day,
                               form=form, order_id=order_id, message=message)
    return htmx.render("customer/calendar/index.html", "orders/_calendar.html", status=status, **context)
