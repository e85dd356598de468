"""Reports (admin): sales, collections, customers gained and lost, wastage, each a page and a CSV; and the
supplier's purchases (recorded by the admin or the supplier), which the wastage report reads."""
from flask import render_template, request, url_for

from webapp import clock, htmx
from webapp.blueprints.admin import bp
from webapp.blueprints.admin.exports import range_form, streamed_csv
from webapp.forms import apply_service_error
from webapp.forms.reports import PurchaseForm
from webapp.net import current_actor
from webapp.security import allow
from webapp.services import ValidationError, exports, purchases, reports


@bp.get("/reports")
@allow("admin")
def reports_home():
    """The reports, each over a date range."""
    return render_template("admin/reports/index.html")


def report_page(name):
    form = range_form()
    try:
        data = reports.run_report(name, form.first_day.data, form.last_day.data, form.per.data, actor=current_actor())
    except ValidationError as error:
        apply_service_error(form, error)
        return htmx.render(f"admin/reports/{name}.html", f"admin/reports/_{name}.html", form=form, data=None,
                           name=name, status=422)
    return htmx.render(f"admin/reports/{name}.html", f"admin/reports/_{name}.html", form=form, data=data, name=name)


def report_download(name):
    form = range_form()
    data = reports.run_report(name, form.first_day.data, form.last_day.data, form.per.data, actor=current_actor())
    rows = reports.csv_rows(name, data)
    return streamed_csv(exports.csv_chunks(next(rows), rows), f"{name}-{data['first_day']}-{data['last_day']}.csv")


@bp.get("/reports/sales")
@allow("admin")
def report_sales():
    """Sales by product and by area, per day or month."""
    return report_page("sales")


@bp.get("/reports/sales.csv")
@allow("admin")
def report_sales_csv():
    """The sales report as a CSV download."""
    return report_download("sales")


@bp.get("/reports/collections")
@allow("admin")
def report_collections():
    """Collections per delivery boy (else the office) and payment method."""
    return report_page("collections")


@bp.get("/reports/collections.csv")
@allow("admin")
def report_collections_csv():
    """The collections report as a CSV download."""
    return report_download("collections")


@bp.get("/reports/customers")
@allow("admin")
def report_customers():
    """Customers gained and lost per month, with reasons."""
    return report_page("customers")


@bp.get("/reports/customers.csv")
@allow("admin")
def report_customers_csv():
    """The customers report as a CSV download."""
    return report_download("customers")


@bp.get("/reports/wastage")
@allow("admin")
def report_wastage():
    """Purchases from the supplier against deliveries, per product and month."""
    return report_page("wastage")


@bp.get("/reports/wastage.csv")
@allow("admin")
def report_wastage_csv():
    """The wastage report as a CSV download."""
    return report_download("wastage")


def purchases_page(form, status=200):
    page = purchases.purchases_page(request.args.get("month"), form.date.data, form.product_id.data,
                                    actor=current_actor())
    form.set_products(page["products"])
    if request.method == "GET" and page["qty"] is not None:
        form.qty.data = str(page["qty"])
    return htmx.render("admin/reports/purchases.html", "admin/reports/_purchases.html", form=form, status=status,
                       **page)


@bp.route("/purchases", methods=["GET", "POST"])
@allow("admin", "supplier")
def purchases_form():
    """Record (or correct) the quantity of a product received from the supplier on a day; the month's records."""
    if request.method == "GET":
        form = PurchaseForm(data={"date": request.args.get("date") or clock.iso(clock.today()),
                                  "product_id": request.args.get("product_id") or ""})
        return purchases_page(form)
    form = PurchaseForm()
    if form.validate():
        try:
            record = purchases.record_purchase(form.date.data, form.product_id.data, form.qty.data,
                                               actor=current_actor())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            return htmx.redirect_after_post(url_for("admin.purchases_form", month=record["month"]))
    return purchases_page(form, 422)
