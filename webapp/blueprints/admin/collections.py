"""Collections at the door: the delivery boys' cash handovers, bottles out with customers, products' deposits."""
from flask import render_template, url_for

from webapp import htmx
from webapp.blueprints.admin import bp
from webapp.forms import apply_service_error
from webapp.forms.catalog import BottleDepositForm, ProductForm
from webapp.forms.collections import HandoverForm
from webapp.net import current_actor
from webapp.security import allow
from webapp.services import ValidationError, bottles, cash, catalog


def handover_forms(boys, failed=None):
    """One handover form per boy holding cash (prefixed by his id: unique element ids); `failed`: (boy_id, form)."""
    forms = {entry["boy"]["_id"]: HandoverForm(formdata=None, prefix=entry["boy"]["_id"],
                                               data={"expected": str(entry["amount_paise"])}) for entry in boys}
    if failed:
        forms[failed[0]] = failed[1]
    return forms


@bp.get("/collections")
@allow("admin", "support")
def collections():
    """Cash each delivery boy holds for the office, to confirm as handed over, and the latest handovers."""
    due = cash.handovers_due(actor=current_actor())
    return render_template("admin/collections/cash.html", forms=handover_forms(due["boys"]), **due)


@bp.post("/collections/<boy_id>/handover")
@allow("admin", "support")
def confirm_handover(boy_id):
    """Confirm a boy's cash handover: the amount counted, and the reason for any difference."""
    form = HandoverForm(prefix=boy_id)
    if form.validate():
        try:
            cash.confirm_handover(boy_id, form.expected_paise(), form.received.paise, form.reason.data,
                                  actor=current_actor())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            return htmx.redirect_after_post(url_for("admin.collections"))
    due = cash.handovers_due(actor=current_actor())
    return render_template("admin/collections/cash.html", forms=handover_forms(due["boys"], (boy_id, form)),
                           **due), 422


@bp.get("/bottles")
def bottles_out():
    """Bottles out with customers, per round and per customer."""
    return render_template("admin/collections/bottles.html", **bottles.outstanding(actor=current_actor()))


@bp.post("/bottles/charge")
@allow("admin", "support")
def charge_bottles():
    """Charge the bottles kept past the return time: one adjustment per bottle lot, for the next bill."""
    result = bottles.charge_overdue(actor=current_actor())
    return render_template("admin/collections/bottles.html", charged=result,
                           **bottles.outstanding(actor=current_actor()))


@bp.get("/customers/<customer_id>/bottles")
def customer_bottles(customer_id):
    """One customer's bottles: how many are out since when, the deposit held, the lots charged."""
    view = bottles.customer_view(customer_id, actor=current_actor())
    return render_template("admin/collections/customer_bottles.html", **view)


@bp.post("/products/<product_id>/bottles")
@allow("admin")
def product_bottles(product_id):
    """Mark a product returnable with its deposit per bottle, or not returnable."""
    form = BottleDepositForm()
    if form.validate():
        try:
            catalog.set_returnable(product_id, form.returnable.data, form.deposit.paise, actor=current_actor())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            return htmx.redirect_after_post(url_for("admin.products"))
    product = catalog.get_product(product_id)
    return render_template("admin/products/form.html", product=product, bottle_form=form,
                           form=ProductForm(formdata=None, data={**product, "price_paise": f"{product['price_paise'] / 100:.2f}"})), 422
