"""The delivery boy's own route: his customers in stop order (what to hand over each day is the round)."""
from flask import render_template
from flask_login import current_user

from webapp.blueprints.delivery import bp
from webapp.net import current_actor
from webapp.services import customers


@bp.get("/route")
def my_route():
    """My customers in stop order, with address and phone."""
    return render_template("delivery/route/show.html",
                           **customers.route_for(current_user.id, actor=current_actor()))
