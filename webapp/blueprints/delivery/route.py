"""The delivery boy's own route: his customers in stop order (what to hand over each day is the round)."""
from flask import render_template
from flask_login import current_user

from webapp.blueprints.delivery import bp
from webapp.net import client_ip
from webapp.services import Actor, customers


@bp.get("/route")
def my_route():
    """My customers in stop order, with address and phone."""
    return render_template("delivery/route/show.html",
                           **customers.route_for(current_user.id, actor=Actor.for_user(current_user, ip=client_ip())))
