"""The customer's calendar: a month of what arrives; tap a day to change or skip it in place.

Staff see the same calendar (admin.customer_orders) through `order_actions.calendar_context` and the
same partials (templates/orders/_calendar.html).
"""
from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from webapp import clock, htmx
from webapp.blueprints.customer import bp
from webapp.blueprints.order_actions import calendar_context
from webapp.forms import apply_service_error
from webapp.forms.customers import AwayChangeForm, AwayForm, away_forms
from webapp.forms.orders import DayForm
from webapp.net import current_actor
from webapp.blueprints.order_messages import save_day
from webapp.template_helpers import day as format_day
from webapp.services import Conflict, ValidationError, away

CUSTOMER_CALENDAR = {"month": "customer.calendar", "day": "customer.calendar_day", "set": "customer.set_day",
                     "order": None, "args": {}}
CUSTOMER_AWAY = {"new": "customer.set_away", "change": "customer.change_away", "args": {}}


def away_context(failed=None):
    """The away section of my calendar page."""
    periods = away.away_periods(current_user.customer_id, actor=current_actor())
    return {**away_forms(periods, failed), "away": CUSTOMER_AWAY, "away_who": "you"}


def away_message(hold):
    back_on = clock.parse_day(hold["last_day"]) + timedelta(days=1)
    return gettext("Away %(first)s to %(last)s: nothing is delivered those days; deliveries start again on %(back)s.",
                   first=format_day(hold["first_day"]), last=format_day(hold["last_day"]), back=format_day(back_on))


def calendar_page(status, failed):
    """My calendar page with the away form that failed, its errors by its fields."""
    month = request.args.get("month") or clock.month_of(clock.today())
    context = calendar_context(current_user.customer_id, month, CUSTOMER_CALENDAR, actor=current_actor())
    return render_template("customer/calendar/index.html", **context, **away_context(failed)), status


@bp.get("/calendar")
def calendar():
    """My month: what arrives each day."""
    month = request.args.get("month") or clock.month_of(clock.today())
    context = calendar_context(current_user.customer_id, month, CUSTOMER_CALENDAR, actor=current_actor())
    return htmx.render("customer/calendar/index.html", "orders/_calendar.html", **context, **away_context())


@bp.post("/away")
def set_away():
    """Away from … to …: no deliveries to my home those days."""
    form = AwayForm(prefix="away")
    if form.validate_on_submit():
        try:
            hold = away.set_away(current_user.customer_id, form.first_day.data, form.last_day.data,
                                 reason=form.reason.data, actor=current_actor())
        except (ValidationError, Conflict) as error:
            apply_service_error(form, error)
            return calendar_page(error.status, {"new": form})
        flash(away_message(hold))
        month = clock.month_of(clock.parse_day(hold["first_day"]))
        return htmx.redirect_after_post(url_for("customer.calendar", month=month))
    return calendar_page(422, {"new": form})


@bp.post("/away/change")
def change_away():
    """Move the day I am back, or call the trip off (the period's form is prefixed by its id)."""
    hold_id = request.form.get("hold_id", "")
    form = AwayChangeForm(prefix=hold_id)
    if form.validate_on_submit():
        try:
            hold = away.change_away(current_user.customer_id, hold_id, form.back_on(), actor=current_actor())
        except (ValidationError, Conflict) as error:
            apply_service_error(form, error)
            return calendar_page(error.status, {hold_id: form})
        flash(away_message(hold) if hold else gettext("Your time away is called off: deliveries go on as usual."))
        return htmx.redirect_after_post(url_for("customer.calendar"))
    return calendar_page(422, {hold_id: form})


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
            message = save_day(current_user.customer_id, order_id, day, form.item_list(), actor=current_actor())
        except (ValidationError, Conflict) as error:
            apply_service_error(form, error)
            status = error.status
        else:
            if not htmx.is_htmx():
                flash(message)
                return redirect(url_for("customer.calendar_day", day=day), code=303)
            form = None
    else:
        status = 422
    context = calendar_context(current_user.customer_id, None, CUSTOMER_CALENDAR, actor=current_actor(), day=day,
                               form=form, order_id=order_id, message=message)
    return htmx.render("customer/calendar/index.html", "orders/_calendar.html", status=status, **context)
