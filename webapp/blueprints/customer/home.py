from flask import render_template

from webapp.blueprints.customer import bp
from webapp.net import current_actor
from webapp.services import next_delivery


@bp.get("/")
def home():
    """The customer's home page: tomorrow's delivery with its cost and cut-off, and what he owes."""
    summary = next_delivery.customer_home(actor=current_actor())
    return render_template("customer/home.html", summary=summary)
