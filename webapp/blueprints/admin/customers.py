"""The customer master for staff: list and search, create (with invite link), edit, status, route, prices."""
from flask import flash, render_template, request, url_for

from webapp import htmx
from webapp.blueprints.admin import bp
from webapp.forms import apply_service_error
from webapp.forms.customers import (
    AwayChangeForm, AwayForm, CustomerFilterForm, CustomerForm, NewCustomerForm, RouteForm, StatusForm, away_forms,
    custom_prices_form,
)
from webapp.net import current_actor
from webapp.security import allow
from webapp.services import Conflict, ValidationError, accounts, away, catalog, customers


@bp.get("/customers")
def customers_list():
    """Search and filter customers; htmx gets just the list."""
    form = CustomerFilterForm(request.args)
    result = customers.list_customers(form.q.data, status=form.status.data, area=form.area.data,
                                      delivery_boy_id=form.boy.data, page=form.page_number(), actor=current_actor())
    form.offer(result["areas"], result["delivery_boys"])
    return htmx.render("admin/customers/list.html", "admin/customers/_list.html", form=form, result=result)


@bp.route("/customers/new", methods=["GET", "POST"])
def new_customer():
    """Create a customer and his login; the page then shows his set-password link."""
    form = NewCustomerForm(boys=accounts.delivery_boys())
    if form.validate_on_submit():
        try:
            customer, invite_url = customers.create_customer(
                form.name.data, form.phone.data, form.address.data, form.area.data,
                delivery_boy_id=form.delivery_boy_id.data, stop=form.stop.data, email=form.email.data,
                status=form.status.data, delivery_note=form.delivery_note.data, actor=current_actor(),
            )
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            return render_template("admin/customers/invite.html", customer=customer, user=customer,
                                   invite_url=invite_url, created=True)
    return render_template("admin/customers/new.html", form=form), 422 if form.errors else 200


def customer_page(customer_id, status=200, away_failed=None, **forms):
    """The customer page; a form that failed is passed in so its errors show by its fields."""
    details = customers.customer_details(customer_id, actor=current_actor())
    customer = details["customer"]
    forms.setdefault("status_form", StatusForm(formdata=None, data={"status": customer["status"]}))
    forms.setdefault("route_form", RouteForm(formdata=None, data=customer, boys=details["boys"]))
    forms.setdefault("prices_form", custom_prices_form([p["product"] for p in details["prices"]], customer))
    periods = away.away_periods(customer_id, actor=current_actor())
    away_section = {**away_forms(periods, away_failed), "away_who": customer["name"], "may_override": True,
                    "away": {"new": "admin.customer_away", "change": "admin.customer_change_away",
                             "args": {"customer_id": customer_id}}}
    return render_template("admin/customers/show.html", **details, **forms, **away_section), status


@bp.get("/customers/<customer_id>")
def customer(customer_id):
    """One customer: details, route, prices, history (orders and bills are added by their areas)."""
    return customer_page(customer_id)


@bp.route("/customers/<customer_id>/edit", methods=["GET", "POST"])
def edit_customer(customer_id):
    """Edit a customer's name, phone, email, address and area."""
    current = customers.staff_customer(customer_id, actor=current_actor())
    form = CustomerForm(data=current)
    if form.validate_on_submit():
        try:
            customers.update_customer(customer_id, form.name.data, form.phone.data, form.address.data,
                                      form.area.data, email=form.email.data,
                                      delivery_note=form.delivery_note.data, actor=current_actor())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            return htmx.redirect_after_post(url_for("admin.customer", customer_id=customer_id))
    return render_template("admin/customers/edit.html", form=form, customer=current), 422 if form.errors else 200


@bp.post("/customers/<customer_id>/status")
def customer_status(customer_id):
    """Change the status: trial, active, paused, stopped."""
    form = StatusForm()
    if form.validate_on_submit():
        try:
            changed = customers.set_status(customer_id, form.status.data, from_day=form.from_day.data,
                                           reason=form.reason.data, override_cutoff=form.override_cutoff.data,
                                           actor=current_actor())
        except (ValidationError, Conflict) as error:
            apply_service_error(form, error)
            return customer_page(customer_id, error.status, status_form=form)
        flash(f"{changed['name']} is now {changed['status']}.")
        return htmx.redirect_after_post(url_for("admin.customer", customer_id=customer_id))
    return customer_page(customer_id, 422, status_form=form)


@bp.post("/customers/<customer_id>/away")
def customer_away(customer_id):
    """Away from … to …: no deliveries to the household those days."""
    form = AwayForm(prefix="away")
    if form.validate_on_submit():
        try:
            away.set_away(customer_id, form.first_day.data, form.last_day.data, reason=form.reason.data,
                          override_cutoff=form.override_cutoff.data, actor=current_actor())
        except (ValidationError, Conflict) as error:
            apply_service_error(form, error)
            return customer_page(customer_id, error.status, away_failed={"new": form})
        flash("The days away are saved: nothing is delivered to the household those days.")
        return htmx.redirect_after_post(url_for("admin.customer", customer_id=customer_id))
    return customer_page(customer_id, 422, away_failed={"new": form})


@bp.post("/customers/<customer_id>/away/change")
def customer_change_away(customer_id):
    """Move the day the household is back, or call the trip off (the period's form is prefixed by its id)."""
    hold_id = request.form.get("hold_id", "")
    form = AwayChangeForm(prefix=hold_id)
    if form.validate_on_submit():
        try:
            away.change_away(customer_id, hold_id, form.back_on(), reason=form.reason.data,
                             override_cutoff=form.override_cutoff.data, actor=current_actor())
        except (ValidationError, Conflict) as error:
            apply_service_error(form, error)
            return customer_page(customer_id, error.status, away_failed={hold_id: form})
        flash("The days away are changed.")
        return htmx.redirect_after_post(url_for("admin.customer", customer_id=customer_id))
    return customer_page(customer_id, 422, away_failed={hold_id: form})


@bp.post("/customers/<customer_id>/route")
def customer_route(customer_id):
    """Put the customer on a delivery boy's route (or take him off)."""
    form = RouteForm(boys=accounts.delivery_boys())
    if form.validate_on_submit():
        try:
            customers.assign_route(customer_id, form.delivery_boy_id.data, form.stop.data, actor=current_actor())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            return htmx.redirect_after_post(url_for("admin.customer", customer_id=customer_id))
    return customer_page(customer_id, 422, route_form=form)


@bp.post("/customers/<customer_id>/prices")
def customer_prices(customer_id):
    """Set the customer's own prices (empty = list price)."""
    form = custom_prices_form(catalog.list_products(), customers.staff_customer(customer_id, actor=current_actor()),
                              request.form)
    if form.validate_on_submit():
        try:
            customers.set_custom_prices(customer_id, form.prices_paise(), actor=current_actor())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            return htmx.redirect_after_post(url_for("admin.customer", customer_id=customer_id))
    return customer_page(customer_id, 422, prices_form=form)


@bp.post("/customers/<customer_id>/invite")
def customer_invite(customer_id):
    """A new set-password link for the customer (the previous one stops working)."""
    customer, invite_url = customers.new_invite(customer_id, actor=current_actor())
    return render_template("admin/customers/invite.html", customer=customer, user=customer, invite_url=invite_url,
                           created=False)


@bp.post("/customers/<customer_id>/delete")
@allow("admin")
def delete_customer(customer_id):
    """Delete a customer who has no orders or bills, with his login."""
    customers.delete_customer(customer_id, actor=current_actor())
    return htmx.redirect_after_post(url_for("admin.customers_list"))
