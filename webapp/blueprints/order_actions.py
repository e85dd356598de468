"""What the staff and customer order pages share: the context of the shared partials (templates/orders/),
the action forms (pause, resume, stop, cancel, activate) and the one step of every action: validate →
service → redirect, or re-render with the refusal next to its fields. Each page passes its own endpoints."""
from datetime import timedelta

from flask import url_for

from webapp import clock, htmx
from webapp.forms import apply_service_error
from webapp.forms.orders import OverrideForm, PauseForm, ResumeForm, StopForm, day_forms
from webapp.services import Conflict, ValidationError, calendar, catalog, cutoff, orders


def action_forms(failed):
    """Blank action forms for an order page, with the form that failed (if any) in its place."""
    forms = {"pause_form": PauseForm(formdata=None), "resume_form": ResumeForm(formdata=None),
             "stop_form": StopForm(formdata=None), "cancel_form": OverrideForm(formdata=None),
             "activate_form": OverrideForm(formdata=None)}
    forms.update(failed)
    return forms


def order_context(order, endpoints, *, actor, failed):
    """The order summary and action partials' context: the order, its products, what `actor` may do to it
    and where each action posts (`endpoints`: {action: endpoint}), with its forms."""
    return {"order": order, "products": catalog.products_by_id([i["product_id"] for i in order["items"]]),
            "allowed": orders.allowed_actions(order, actor),
            "action_urls": {name: url_for(endpoint, order_id=order["_id"]) for name, endpoint in endpoints.items()},
            **action_forms(failed)}


def list_context(found):
    """The order list partials' context: the orders and their products (one query)."""
    return {"orders": found, "products": catalog.products_by_id({i["product_id"] for o in found for i in o["items"]})}


def run(form, form_name, call, *, page, done_url):
    """Validate `form` and `call()` the service; a refusal re-renders `page(status, **{form_name: form})`."""
    if form.validate_on_submit():
        try:
            call()
        except (ValidationError, Conflict) as error:
            apply_service_error(form, error)
            return page(error.status, **{form_name: form})
        return htmx.redirect_after_post(done_url)
    return page(422, **{form_name: form})


def neighbour_months(month):
    first = clock.parse_day(month + "-01")
    previous = (first - timedelta(days=1)).strftime("%Y-%m")
    following = (first + timedelta(days=32)).strftime("%Y-%m")
    return previous, following


def calendar_context(customer_id, month, cal, *, actor, day=None, form=None, order_id=None, message=None):
    """Everything the calendar partials need; `cal` names the page's endpoints ({month, day, set, order
    (None: no link to the order page), args}); `day` opens that day's editor (with `form` for `order_id`)."""
    if day is not None:
        cell, month_view = calendar.calendar_day(customer_id, day, actor=actor)
    else:
        month_view, cell = calendar.customer_calendar(customer_id, month, actor=actor), None
    forms = day_forms(cell) if cell else {}
    if form is not None and order_id in forms:
        forms[order_id] = form
    previous, following = neighbour_months(month_view["month"])
    return {"calendar": month_view, "cal": cal, "day_cell": cell, "day_forms": forms, "day_message": message,
            "may_override": cutoff.may_override(actor), "previous_month": previous,
            "next_month": following}
