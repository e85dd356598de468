"""The customer's bills: lines by day and product, totals, payments and balance; printable."""
from flask import render_template
from flask_login import current_user

from webapp.blueprints.customer import bp
from webapp.net import client_ip
from webapp.services import Actor, billing


def actor():
    return Actor.for_user(current_user, ip=client_ip())


@bp.get("/bills/")
def bills():
    """My bills, payments and balance."""
    statement = billing.statement(current_user.customer_id, actor=actor())
    return render_template("customer/bills/index.html", statement=statement)


@bp.get("/bills/<bill_id>")
def bill(bill_id):
    """One of my bills (another customer's answers 404)."""
    return render_template("customer/bills/bill.html", **billing.bill_view(bill_id, actor=actor()))
