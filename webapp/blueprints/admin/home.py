from flask import render_template

from webapp import htmx
from webapp.blueprints.admin import bp
from webapp.net import current_actor
from webapp.services import dashboard


@bp.get("/")
def home():
    """The staff home page: what needs attention today; for the owner, the morning page."""
    return render_template("admin/home.html", **dashboard.staff_home(actor=current_actor()))


@bp.get("/today")
def today():
    """Today's rounds, van load, late changes and area skips (the morning page polls it)."""
    return htmx.render("admin/home/today.html", "admin/home/_today.html",
                       today_rounds=dashboard.today_view(actor=current_actor()))
