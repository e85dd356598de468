"""Delivery routes for staff: who serves whom, in which order; up/down moves by htmx."""
from flask import redirect, render_template, url_for

from webapp import htmx
from webapp.blueprints.admin import bp
from webapp.forms.customers import MoveForm
from webapp.net import current_actor
from webapp.services import ValidationError, customers


@bp.get("/routes")
def routes():
    """Every delivery boy with his number of customers, and the customers waiting for one."""
    return render_template("admin/routes/list.html", **customers.routes_overview(actor=current_actor()))


@bp.get("/routes/<delivery_boy_id>")
def route(delivery_boy_id):
    """One delivery boy's customers in stop order."""
    return htmx.render("admin/routes/show.html", "admin/routes/_route.html",
                       **customers.route_for(delivery_boy_id, actor=current_actor()))


@bp.post("/routes/<delivery_boy_id>/<customer_id>/move")
def route_move(delivery_boy_id, customer_id):
    """Move a customer one stop up or down; htmx gets the renumbered route."""
    form = MoveForm()
    if not form.validate_on_submit():
        raise ValidationError("Move up or down.", field="direction")
    moved = customers.move_stop(delivery_boy_id, customer_id, form.direction.data, actor=current_actor())
    if htmx.is_htmx():
        return htmx.render("admin/routes/show.html", "admin/routes/_route.html", **moved)
    return redirect(url_for("admin.route", delivery_boy_id=delivery_boy_id), code=303)
