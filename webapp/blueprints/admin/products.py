"""The catalogue: every staff member sees it; only admin changes it."""
from flask import render_template, request, url_for

from webapp.blueprints.admin import bp
from webapp.forms import apply_service_error
from webapp.forms.catalog import ProductForm
from webapp.htmx import redirect_after_post
from webapp.net import current_actor
from webapp.security import allow
from webapp.services import ValidationError, catalog


@bp.get("/products")
def products():
    """The product list with prices and status."""
    return render_template("admin/products/list.html", products=catalog.list_products())


@bp.route("/products/new", methods=["GET", "POST"])
@allow("admin")
def new_product():
    """Add a product."""
    form = ProductForm()
    if form.validate_on_submit():
        try:
            catalog.create_product(form.name.data, form.unit.data, form.price_paise.paise, actor=current_actor())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            return redirect_after_post(url_for("admin.products"))
    return render_template("admin/products/form.html", form=form, product=None), 422 if form.errors else 200


@bp.route("/products/<product_id>/edit", methods=["GET", "POST"])
@allow("admin")
def edit_product(product_id):
    """Change a product's name, unit or price."""
    product = catalog.get_product(product_id)
    form = ProductForm(data={**product, "price_paise": f"{product['price_paise'] / 100:.2f}"})
    if form.validate_on_submit():
        try:
            catalog.update_product(product_id, form.name.data, form.unit.data, form.price_paise.paise,
                                   actor=current_actor())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            return redirect_after_post(url_for("admin.products"))
    return render_template("admin/products/form.html", form=form, product=product), 422 if form.errors else 200


@bp.post("/products/<product_id>/status")
@allow("admin")
def product_status(product_id):
    """Discontinue a product or offer it again."""
    catalog.set_status(product_id, request.form.get("status"), actor=current_actor())
    return redirect_after_post(url_for("admin.products"))
