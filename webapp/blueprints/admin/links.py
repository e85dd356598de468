"""Staff pages for shared links (issue, list the live ones, revoke) and the pause-request queue."""
from flask import render_template, request, url_for

from webapp import clock, htmx
from webapp.blueprints.admin import bp
from webapp.forms import apply_service_error
from webapp.forms.links import BillLinkForm, DecidePauseForm, RoundLinkForm
from webapp.net import current_actor
from webapp.services import ServiceError, ValidationError, accounts, links, pause_requests



def links_page(round_form=None, bill_form=None, status=200):
    round_form = round_form or RoundLinkForm(formdata=None, data={"date": clock.today()})
    bill_form = bill_form or BillLinkForm(formdata=None, data={"bill_id": request.args.get("bill_id", "")})
    round_form.with_delivery_boys(accounts.delivery_boys())
    return render_template("admin/links/links.html", round_form=round_form, bill_form=bill_form,
                           links=links.live_links(actor=current_actor()), issued=request.args.get("issued")), status


@bp.get("/links/")
def shared_links():
    """Every live shared link, with forms to issue a round or bill link."""
    return links_page()


@bp.post("/links/round")
def issue_round_link():
    """Issue a link to one delivery boy's round on one date."""
    form = RoundLinkForm().with_delivery_boys(accounts.delivery_boys())
    if form.validate():
        try:
            link = links.create_round_link(form.delivery_boy_id.data, form.date.data, actor=current_actor(),
                                           expires_at=form.expires_at.data)
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            return htmx.redirect_after_post(url_for("admin.shared_links", issued=link["_id"]))
    return links_page(round_form=form, status=422)


@bp.post("/links/bill")
def issue_bill_link():
    """Issue a read-only link to one bill."""
    form = BillLinkForm()
    if form.validate():
        try:
            link = links.create_bill_link(form.bill_id.data.strip(), actor=current_actor(), expires_at=form.expires_at.data)
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            return htmx.redirect_after_post(url_for("admin.shared_links", issued=link["_id"]))
    return links_page(bill_form=form, status=422)


@bp.post("/links/<link_id>/revoke")
def revoke_link(link_id):
    """Revoke a link; it stops working at once."""
    links.revoke(link_id, actor=current_actor())
    return htmx.redirect_after_post(url_for("admin.shared_links"))


def queue_page(refusal=None, status=200):
    return htmx.render("admin/links/pause_requests.html", "admin/links/_pause_requests.html", status=status,
                       refusal=refusal, form=DecidePauseForm(formdata=None), **pause_requests.queue(actor=current_actor()))


@bp.get("/pause-requests/")
def pause_request_queue():
    """Pause requests sent through round links: the waiting ones, then the latest decisions."""
    return queue_page()


@bp.post("/pause-requests/<request_id>/approve")
def approve_pause_request(request_id):
    """Approve: the customer's running subscriptions pause over the requested days."""
    form = DecidePauseForm()
    try:
        pause_requests.approve(request_id, override_cutoff=bool(form.override_cutoff.data), actor=current_actor())
    except ServiceError as error:
        if error.status == 404:
            raise
        # Shown beside that request (e.g. past the cut-off: tick "override" and approve again).
        return queue_page(refusal={"id": request_id, "message": error.message}, status=error.status)
    return htmx.redirect_after_post(url_for("admin.pause_request_queue"))


@bp.post("/pause-requests/<request_id>/reject")
def reject_pause_request(request_id):
    """Reject: nothing is paused."""
    form = DecidePauseForm()
    try:
        pause_requests.reject(request_id, form.note.data, actor=current_actor())
    except ServiceError as error:
        if error.status == 404:
            raise
        return queue_page(refusal={"id": request_id, "message": error.message}, status=error.status)
    return htmx.redirect_after_post(url_for("admin.pause_request_queue"))
