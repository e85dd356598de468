"""Exports (admin): customers, orders, deliveries over a date range and bills, each a CSV streamed from a cursor."""
from flask import Response, render_template, request

from webapp.blueprints.admin import bp
from webapp.forms.reports import RangeForm
from webapp.net import current_actor
from webapp.security import allow
from webapp.services import exports, reports


def streamed_csv(chunks, name):
    """A CSV download sent as its generator yields it. The services' generators hold their cursor and need no
    request context (no `stream_with_context`: a download never read would keep the request's context pushed)."""
    return Response(chunks, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


def range_form():
    """The range asked in the URL, else this month up to today."""
    first, last = reports.default_range()
    defaults = {"first_day": first.isoformat(), "last_day": last.isoformat(), "per": "day"}
    return RangeForm(request.args, data=None if request.args else defaults)


@bp.get("/exports")
@allow("admin")
def exports_page():
    """The exports: customers, orders, deliveries (over a date range) and bills."""
    return render_template("admin/exports/index.html", form=range_form())


@bp.get("/exports/customers.csv")
@allow("admin")
def export_customers():
    """Every customer as a streamed CSV."""
    return streamed_csv(exports.customers(actor=current_actor()), "customers.csv")


@bp.get("/exports/orders.csv")
@allow("admin")
def export_orders():
    """Every order, one row per item, as a streamed CSV."""
    return streamed_csv(exports.orders(actor=current_actor()), "orders.csv")


@bp.get("/exports/deliveries.csv")
@allow("admin")
def export_deliveries():
    """The deliveries of a date range (this month by default), one row per product line, as a streamed CSV."""
    form = range_form()
    chunks = exports.deliveries(form.first_day.data, form.last_day.data, actor=current_actor())
    return streamed_csv(chunks, f"deliveries-{form.first_day.data}-{form.last_day.data}.csv")


@bp.get("/exports/bills.csv")
@allow("admin")
def export_bills():
    """Every bill as a streamed CSV."""
    return streamed_csv(exports.bills(actor=current_actor()), "bills.csv")
