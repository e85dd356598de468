from flask import render_template

from webapp.blueprints.admin import bp


@bp.get("/")
def home():
    """The staff home page."""
    return render_template("admin/home.html")
