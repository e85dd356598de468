from flask import render_template

from webapp.blueprints.customer import bp


@bp.get("/")
def home():
    """The customer's home page."""
    return render_template("customer/home.html")
