"""The customer's own orders: list, place a subscription or a one-time order, pause, resume, stop, cancel."""
from functools import partial

from flask import flash, render_template, url_for
from flask_babel import gettext
from flask_login import current_user

from webapp import htmx
from webapp.blueprints import order_actions
from webapp.blueprints.customer import bp
from webapp.blueprints.order_messages import ended_message, pause_and_say, placed_message
from webapp.forms import apply_service_error
from webapp.forms.orders import OneTimeOrderForm, OverrideForm, PauseForm, ResumeForm, StopForm, SubscriptionForm
from webapp.net import current_actor
from webapp.services import ValidationError, calendar, catalog, cutoff, orders
from webapp.template_helpers import day as format_day

ACTIONS = {"cancel": "customer.cancel_order", "pause": "customer.pause_order", "resume": "customer.resume_order",
           "stop": "customer.stop_order"}


def orderable_products():
    return catalog.list_products(include_discontinued=False)


@bp.get("/orders")
def orders_list():
    """The customer's subscriptions and one-time orders."""
    found = orders.orders_of_customer(current_user.customer_id, actor=current_actor())
    return render_template("customer/orders/index.html", **order_actions.list_context(found))


def order_form_page(form, kind, spending, status=200):
    return render_template("customer/orders/new.html", form=form, kind=kind, spending=spending), status


def my_spending(products):
    """My prices for `products` and what this month comes to so far."""
    return calendar.month_so_far(current_user.customer_id, products, actor=current_actor())


@bp.route("/orders/new/subscription", methods=["GET", "POST"])
def new_subscription():
    """Start a subscription for myself."""
    products = orderable_products()
    spending = my_spending(products)
    form = SubscriptionForm(products=products, prices=spending["prices"],
                            data={"start_date": cutoff.first_open_day().isoformat()})
    if form.validate_on_submit():
        try:
            order = orders.create_subscription(current_user.customer_id, form.item_list(), form.pattern_data(),
                                               form.start_date.data, form.end_date.data or None, actor=current_actor())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            flash(placed_message(order))
            return htmx.redirect_after_post(url_for("customer.order", order_id=order["_id"]))
    return order_form_page(form, "subscription", spending, 422 if form.is_submitted() else 200)


@bp.route("/orders/new/one-time", methods=["GET", "POST"])
def new_one_time_order():
    """Order something once, for one date."""
    products = orderable_products()
    spending = my_spending(products)
    form = OneTimeOrderForm(products=products, prices=spending["prices"],
                            data={"delivery_date": cutoff.first_open_day().isoformat()})
    if form.validate_on_submit():
        try:
            order = orders.create_one_time_order(current_user.customer_id, form.item_list(), form.delivery_date.data,
                                                 actor=current_actor())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            flash(placed_message(order))
            return htmx.redirect_after_post(url_for("customer.order", order_id=order["_id"]))
    return order_form_page(form, "one_time", spending, 422 if form.is_submitted() else 200)


def order_page(order_id, status=200, **failed):
    """One order with its action forms; a failed form is passed in so its errors show by its fields."""
    order = orders.get_order(order_id, actor=current_actor())
    return render_template("customer/orders/show.html",
                           **order_actions.order_context(order, ACTIONS, actor=current_actor(), failed=failed)), status


@bp.get("/orders/<order_id>")
def order(order_id):
    """One of my orders."""
    return order_page(order_id)


def run_action(order_id, form_name, form, call):
    return order_actions.run(form, form_name, call, page=partial(order_page, order_id),
                             done_url=url_for("customer.order", order_id=order_id))


@bp.post("/orders/<order_id>/cancel")
def cancel_order(order_id):
    """Cancel my one-time order (until the cut-off)."""
    form = OverrideForm()
    return run_action(order_id, "cancel_form", form,
                      lambda: flash(ended_message(orders.cancel(order_id, actor=current_actor()))))


@bp.post("/orders/<order_id>/pause")
def pause_order(order_id):
    """Pause my subscription for some days (or until I resume)."""
    form = PauseForm()
    return run_action(order_id, "pause_form", form, lambda: flash(pause_and_say(
        current_user.customer_id, order_id, form.first_day.data, form.last_day.data or None, reason=form.reason.data,
        actor=current_actor())))


@bp.post("/orders/<order_id>/resume")
def resume_order(order_id):
    """Resume my paused subscription from a date."""
    form = ResumeForm()

    def resume():
        orders.resume(order_id, form.day.data, actor=current_actor())
        flash(gettext("Deliveries start again on %(day)s.", day=format_day(form.day.data)))
    return run_action(order_id, "resume_form", form, resume)


@bp.post("/orders/<order_id>/stop")
def stop_order(order_id):
    """Stop my subscription."""
    form = StopForm()
    return run_action(order_id, "stop_form", form,
                      lambda: flash(ended_message(orders.stop(order_id, form.from_day.data or None,
                                                              actor=current_actor()))))
