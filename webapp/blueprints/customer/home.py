from flask import render_template
from flask_login import current_user

from webapp.blueprints.customer import bp
from webapp.net import client_ip
from webapp.services import Actor, dashboard


@bp.get("/")
def home():
    """The customer's home page: tomorrow's delivery and what he owes."""
    summary = dashboard.customer_summary(actor=Actor.for_user(current_user, ip=client_ip()))
    return render_template("customer/home.html", summary=summary)
