"""The customer's calendar: a month of what arrives; tap a day to change or skip it in place.

Staff see the same calendar (admin.customer_orders) through `calendar_context` and the same partials.
"""
from datetime import timedelta

from flask import redirect, request, url_for
from flask_login import current_user

from webapp import clock, htmx
from webapp.blueprints.customer import bp
from webapp.forms import apply_service_error
from webapp.forms.orders import DayForm, day_forms
from webapp.net import current_actor
from webapp.services import Conflict, ValidationError, orders

CUSTOMER_CALENDAR = {"month": "customer.calendar", "day": "customer.calendar_day", "set": "customer.set_day",
                     "args": {}, "staff": False}



def neighbour_months(month):
    first = clock.parse_day(month + "-01")
    previous = (first - timedelta(days=1)).strftime("%Y-%m")
    following = (first + timedelta(days=32)).strftime("%Y-%m")
    return previous, following


def calendar_context(customer_id, month, cal, *, actor, day=None, form=None, order_id=None, message=None):
    """Everything the calendar partials need; `day` opens that day's editor (with `form` for `order_id`)."""
    if day is not None:
        cell, calendar = orders.calendar_day(customer_id, day, actor=actor)
    else:
        calendar, cell = orders.customer_calendar(customer_id, month, actor=actor), None
    forms = day_forms(cell) if cell else {}
    if form is not None and order_id in forms:
        forms[order_id] = form
    previous, following = neighbour_months(calendar["month"])
    return {"calendar": calendar, "cal": cal, "day_cell": cell, "day_forms": forms, "day_message": message,
            "previous_month": previous, "next_month": following}


@bp.get("/calendar")
def calendar():
    """My month: what arrives each day."""
    month = request.args.get("month") or clock.month_of(clock.today())
    context = calendar_context(current_user.customer_id, month, CUSTOMER_CALENDAR, actor=current_actor())
    return htmx.render("customer/calendar/index.html", "customer/calendar/_calendar.html", **context)


@bp.get("/calendar/<day>")
def calendar_day(day):
    """One day of my calendar, ready to change (htmx: just the day panel)."""
    context = calendar_context(current_user.customer_id, None, CUSTOMER_CALENDAR, actor=current_actor(), day=day)
    return htmx.render("customer/calendar/index.html", "customer/calendar/_day.html", **context)


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
    return htmx.render("customer/calendar/index.html", "customer/calendar/_calendar.html", status=status, **context)
