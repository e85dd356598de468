from flask import render_template

from webapp.blueprints.customer import bp
from webapp.net import current_actor
from webapp.services import dashboard


@bp.get("/")
def home():
    """The customer's home page: tomorrow's delivery and what he owes."""
    summary = dashboard.customer_summary(actor=current_actor())
    return render_template("customer/home.html", summary=summary)
