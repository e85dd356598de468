"""'Share my round': a delivery boy issues a link to his own round (for a relief driver or a watchman)."""
from flask import render_template, request, url_for
from flask_login import current_user

from webapp import clock, htmx
from webapp.blueprints.delivery import bp
from webapp.forms import apply_service_error
from webapp.forms.links import ShareRoundForm
from webapp.net import current_actor
from webapp.services import ValidationError, links



def share_page(form, status=200):
    return render_template("delivery/links/share.html", form=form, links=links.live_links(actor=current_actor()),
                           issued=request.args.get("issued")), status


@bp.get("/share")
def share_round():
    """Share my round: issue a link for a date, see and revoke my live links."""
    return share_page(ShareRoundForm(formdata=None, data={"date": clock.today()}))


@bp.post("/share")
def issue_share_link():
    """Issue a link to my own round on the chosen date."""
    form = ShareRoundForm()
    if form.validate():
        try:
            link = links.create_round_link(current_user.id, form.date.data, actor=current_actor())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            return htmx.redirect_after_post(url_for("delivery.share_round", issued=link["_id"]))
    return share_page(form, status=422)


@bp.post("/share/<link_id>/revoke")
def revoke_share_link(link_id):
    """Revoke one of my round links; it stops working at once."""
    links.revoke(link_id, actor=current_actor())
    return htmx.redirect_after_post(url_for("delivery.share_round"))
