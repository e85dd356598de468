from flask import render_template

from webapp.blueprints.admin import bp
from webapp.net import current_actor
from webapp.services import dashboard


@bp.get("/")
def home():
    """The staff home page: what needs attention today."""
    summary = dashboard.staff_summary(actor=current_actor())
    return render_template("admin/home.html", summary=summary)
