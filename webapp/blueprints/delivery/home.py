from flask import render_template

from webapp.blueprints.delivery import bp


@bp.get("/")
def home():
    """The delivery boy's home page."""
    return render_template("delivery/home.html")
