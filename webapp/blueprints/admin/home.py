from flask import render_template
from flask_login import current_user

from webapp.blueprints.admin import bp
from webapp.net import client_ip
from webapp.services import Actor, dashboard


@bp.get("/")
def home():
    """The staff home page: what needs attention today."""
    summary = dashboard.staff_summary(actor=Actor.for_user(current_user, ip=client_ip()))
    return render_template("admin/home.html", summary=summary)
