"""Staff order pages: the list with filters, one order with its history, placing and changing orders,
a customer's orders and calendar (loaded into the customer page), area-wide skips and late requests."""
from functools import partial

from flask import flash, render_template, request, url_for

from webapp import clock, htmx
from webapp.blueprints import order_actions
from webapp.blueprints.admin import bp
from webapp.blueprints.order_messages import ended_message, pause_and_say, placed_message, save_day
from webapp.blueprints.order_actions import calendar_context
from webapp.forms import apply_service_error
from webapp.forms.orders import (AreaSkipForm, DayForm, OneTimeOrderForm, OrderFilterForm, OverrideForm, PauseForm,
                                 ResumeForm, StopForm, SubscriptionForm)
from webapp.net import current_actor
from webapp.presentation import format_day
from webapp.services import Conflict, ValidationError, area_skips, catalog, customers, late_requests, orders

ACTIONS = {"cancel": "admin.cancel_order", "pause": "admin.pause_order", "resume": "admin.resume_order",
           "stop": "admin.stop_order", "activate": "admin.activate_order"}


def staff_calendar(customer_id):
    return {"month": "admin.customer_orders", "day": "admin.calendar_day", "set": "admin.set_day",
            "order": "admin.order", "args": {"customer_id": customer_id}}


@bp.get("/orders")
def orders_list():
    """All orders, filtered by kind, status, customer, area and date; htmx gets just the table."""
    form = OrderFilterForm(request.args, areas=customers.areas())
    status = 200
    try:
        found = orders.list_orders(kind=form.kind.data, status=form.status.data,
                                   customer=(form.customer.data or "").strip() or None,
                                   area=form.area.data or None, day=form.day.data or None, actor=current_actor())
    except ValidationError as error:
        apply_service_error(form, error)
        found, status = [], 422
    return htmx.render("admin/orders/index.html", "admin/orders/_table.html", status=status, form=form,
                       customers_by_id=orders.customers_by_id({order["customer_id"] for order in found}),
                       **order_actions.list_context(found))


def order_page(order_id, status=200, **failed):
    order = orders.get_order(order_id, actor=current_actor())
    return render_template(
        "admin/orders/show.html", customer=orders.customers_by_id([order["customer_id"]]).get(order["customer_id"]),
        history=orders.history(order_id, actor=current_actor()),
        **order_actions.order_context(order, ACTIONS, actor=current_actor(), failed=failed)), status


@bp.get("/orders/<order_id>")
def order(order_id):
    """One order, its actions and its audit history."""
    return order_page(order_id)


def run_action(order_id, form_name, form, call):
    return order_actions.run(form, form_name, call, page=partial(order_page, order_id),
                             done_url=url_for("admin.order", order_id=order_id))


@bp.post("/orders/<order_id>/cancel")
def cancel_order(order_id):
    """Cancel a one-time order (after the cut-off only with the override)."""
    form = OverrideForm()
    return run_action(order_id, "cancel_form", form, lambda: flash(ended_message(orders.cancel(
        order_id, override_cutoff=form.override_cutoff.data, actor=current_actor()), whose="the")))


@bp.post("/orders/<order_id>/activate")
def activate_order(order_id):
    """Activate a draft subscription."""
    form = OverrideForm()
    return run_action(order_id, "activate_form", form,
                      lambda: flash(placed_message(orders.activate(order_id, actor=current_actor()))))


@bp.post("/orders/<order_id>/pause")
def pause_order(order_id):
    """Pause a subscription for a date range (or until resumed)."""
    form = PauseForm()
    actor = current_actor()
    return run_action(order_id, "pause_form", form, lambda: flash(pause_and_say(
        orders.get_order(order_id, actor=actor)["customer_id"], order_id, form.first_day.data,
        form.last_day.data or None, reason=form.reason.data, override_cutoff=form.override_cutoff.data, actor=actor)))


@bp.post("/orders/<order_id>/resume")
def resume_order(order_id):
    """Resume a paused subscription from a date."""
    form = ResumeForm()

    def resume():
        orders.resume(order_id, form.day.data, override_cutoff=form.override_cutoff.data, actor=current_actor())
        flash(f"Deliveries start again on {format_day(form.day.data)}.")
    return run_action(order_id, "resume_form", form, resume)


@bp.post("/orders/<order_id>/stop")
def stop_order(order_id):
    """Stop a subscription from a date."""
    form = StopForm()
    return run_action(order_id, "stop_form", form, lambda: flash(ended_message(orders.stop(
        order_id, form.from_day.data or None, override_cutoff=form.override_cutoff.data, actor=current_actor()),
        whose="the")))


def new_order_page(form, kind, customer, status=200):
    return render_template("admin/orders/new.html", form=form, kind=kind, customer=customer), status


@bp.route("/customers/<customer_id>/orders/new/subscription", methods=["GET", "POST"])
def new_subscription(customer_id):
    """Start a subscription for a customer."""
    customer = customers.staff_customer(customer_id, actor=current_actor())
    form = SubscriptionForm(products=catalog.list_products(include_discontinued=False))
    if form.validate_on_submit():
        try:
            created = orders.create_subscription(customer["_id"], form.item_list(), form.pattern_data(),
                                                 form.start_date.data, form.end_date.data or None,
                                                 draft=form.draft.data, override_cutoff=form.override_cutoff.data,
                                                 reason=form.reason.data, actor=current_actor())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            flash(placed_message(created))
            return htmx.redirect_after_post(url_for("admin.order", order_id=created["_id"]))
    return new_order_page(form, "subscription", customer, 422 if form.is_submitted() else 200)


@bp.route("/customers/<customer_id>/orders/new/one-time", methods=["GET", "POST"])
def new_one_time_order(customer_id):
    """Place a one-time order for a customer."""
    customer = customers.staff_customer(customer_id, actor=current_actor())
    form = OneTimeOrderForm(products=catalog.list_products(include_discontinued=False))
    if form.validate_on_submit():
        try:
            created = orders.create_one_time_order(customer["_id"], form.item_list(), form.delivery_date.data,
                                                   actor=current_actor())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            flash(placed_message(created))
            return htmx.redirect_after_post(url_for("admin.order", order_id=created["_id"]))
    return new_order_page(form, "one_time", customer, 422 if form.is_submitted() else 200)


def customer_orders_context(customer_id):
    """The customer and his orders, for the full page around the calendar."""
    found = orders.orders_of_customer(customer_id, actor=current_actor())
    return {"customer": customers.staff_customer(customer_id, actor=current_actor()),
            **order_actions.list_context(found)}


@bp.get("/customers/<customer_id>/orders")
def customer_orders(customer_id):
    """A customer's orders and calendar (the customer page loads this with hx-get)."""
    month = request.args.get("month") or clock.month_of(clock.today())
    context = calendar_context(customer_id, month, staff_calendar(customer_id), actor=current_actor())
    if htmx.is_htmx() and request.args.get("month"):
        return htmx.render("admin/orders/customer.html", "orders/_calendar.html", **context)
    return htmx.render("admin/orders/customer.html", "admin/orders/_customer_orders.html",
                       **customer_orders_context(customer_id), **context)


@bp.get("/customers/<customer_id>/calendar/<day>")
def calendar_day(customer_id, day):
    """One day of a customer's calendar, ready to change (htmx: just the day panel)."""
    context = calendar_context(customer_id, None, staff_calendar(customer_id), actor=current_actor(), day=day)
    if htmx.is_htmx():
        return htmx.render("admin/orders/customer.html", "orders/_day.html", **context)
    return htmx.render("admin/orders/customer.html", "orders/_day.html",
                       **customer_orders_context(customer_id), **context)


@bp.post("/orders/<order_id>/day/<day>")
def set_day(order_id, day):
    """Change a subscription's quantities on one day (staff may override the cut-off, audited)."""
    order = orders.get_order(order_id, actor=current_actor())
    form = DayForm(prefix=order_id)
    status, message = 200, None
    if form.validate_on_submit():
        try:
            message = save_day(order["customer_id"], order_id, day, form.item_list(),
                               override_cutoff=form.override_cutoff.data, actor=current_actor())
        except (ValidationError, Conflict) as error:
            apply_service_error(form, error)
            status = error.status
        else:
            if not htmx.is_htmx():
                flash(message)
                return htmx.redirect_after_post(url_for("admin.customer_orders", customer_id=order["customer_id"],
                                                        month=day[:7]))
            form = None
    else:
        status = 422
    cid = order["customer_id"]
    context = calendar_context(cid, None, staff_calendar(cid), actor=current_actor(), day=day, form=form,
                               order_id=order_id, message=message)
    if htmx.is_htmx():
        return htmx.render("admin/orders/customer.html", "orders/_calendar.html", status=status,
                           **context)
    return htmx.render("admin/orders/customer.html", "orders/_calendar.html", status=status,
                       **customer_orders_context(cid), **context)


@bp.route("/orders/skips", methods=["GET", "POST"], endpoint="area_skips")
def area_skips_page():
    """Skip a date for an area or everyone (rain, strike, festival), and the skips announced."""
    form = AreaSkipForm(areas=customers.areas())
    status = 200
    if form.validate_on_submit():
        try:
            area_skips.skip_area(form.day.data, form.reason.data, form.area.data or None,
                             override_cutoff=form.override_cutoff.data, actor=current_actor())
        except (ValidationError, Conflict) as error:
            apply_service_error(form, error)
            status = error.status
        else:
            return htmx.redirect_after_post(url_for("admin.area_skips"))
    elif form.is_submitted():
        status = 422
    return render_template("admin/orders/skips.html", form=form, undo_form=OverrideForm(formdata=None),
                           skips=area_skips.list_area_skips(actor=current_actor())), status


@bp.post("/orders/skips/<skip_id>/undo")
def undo_area_skip(skip_id):
    """Take an area-wide skip back."""
    form = OverrideForm()
    if form.validate_on_submit():
        try:
            area_skips.undo_area_skip(skip_id, override_cutoff=form.override_cutoff.data, actor=current_actor())
        except Conflict as error:
            apply_service_error(form, error)
            return render_template("admin/orders/skips.html", form=AreaSkipForm(formdata=None, areas=customers.areas()),
                                   undo_form=form,
                                   skips=area_skips.list_area_skips(actor=current_actor())), error.status
    return htmx.redirect_after_post(url_for("admin.area_skips"))


@bp.get("/orders/late-requests", endpoint="late_requests")
def late_requests_page():
    """Customers' changes asked after the cut-off, to apply or dismiss."""
    found = late_requests.list_requests(actor=current_actor())
    return render_template("admin/orders/late_requests.html", requests=found, form=OverrideForm(formdata=None),
                           customers_by_id=orders.customers_by_id(list({r["customer_id"] for r in found})))


@bp.post("/orders/late-requests/<request_id>/<decision>")
def decide_late_request(request_id, decision):
    """Apply or dismiss a late request."""
    form = OverrideForm()
    if form.validate_on_submit():
        decide = late_requests.apply if decision == "apply" else late_requests.dismiss
        if decision not in ("apply", "dismiss"):
            raise ValidationError("Choose apply or dismiss.")
        decide(request_id, actor=current_actor())
    return htmx.redirect_after_post(url_for("admin.late_requests"))
