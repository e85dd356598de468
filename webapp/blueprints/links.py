"""Pages opened through signed shared links, without an account.

No login is needed or set (a session cookie carries only the CSRF token of the forms). Every page
here sends no-referrer / no-store / noindex so the token in the address does not leak, and every
request is rate-limited: per link, and per client address for refused tokens.
"""
from flask import current_app, g, redirect, render_template, request, url_for

from webapp import htmx
from webapp.blueprints.delivery.round import render_stop_form
from webapp.extensions import limiter
from webapp.forms import apply_service_error
from webapp.forms.deliveries import ConfirmStopForm
from webapp.forms.links import PauseRequestForm
from webapp.net import client_ip
from webapp.pdf import pdf_response
from webapp.security import PUBLIC, audience_blueprint
from webapp.services import ValidationError, bill_queries, links, pause_requests

bp = audience_blueprint("links", __name__, url_prefix="/l", roles={PUBLIC})


def _link_id():
    """The link id the request's token names (signature checked, no database), or None."""
    return links.link_id_from_token((request.view_args or {}).get("token", ""))


def _link_key():
    return f"link:{_link_id()}"


def _not_a_link():
    return _link_id() is None


def _a_signed_link():
    return _link_id() is not None


# Per link: every page view and action of one link, across every worker (storage: MongoDB).
limiter.shared_limit(lambda: current_app.config["LINK_RATE_LIMIT"], scope="shared-link",
                     key_func=_link_key, exempt_when=_not_a_link)(bp)
# Per client address: only refused tokens count, and only tokens that do not verify are held to it, so a
# guesser is stopped while a correctly signed link (under its own limit above) still opens from his address.
limiter.shared_limit(lambda: current_app.config["LINK_REFUSAL_RATE_LIMIT"], scope="shared-link-refusals",
                     key_func=client_ip, exempt_when=_a_signed_link,
                     deduct_when=lambda response: g.get("link_refused", False))(bp)


@bp.after_request
def private_page_headers(response):
    """Keep the token out of Referer headers, caches and search engines (refusals and 429s too)."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.errorhandler(links.InvalidLink)
@bp.errorhandler(links.RevokedLink)
@bp.errorhandler(links.ExpiredLink)
def refused(error):
    """The plain refusal page: not valid (404), switched off (410) or expired (410)."""
    g.link_refused = True
    reason = {links.RevokedLink: "revoked", links.ExpiredLink: "expired"}.get(type(error), "invalid")
    return htmx.render("links/refused.html", "links/_refused.html", status=error.status, message=error.message,
                       reason=reason)


def link_confirm_url(token, day):
    """The confirm URL of each stop on the link's round (the delivery partials take it from the context)."""
    return lambda stop: url_for("links.confirm_stop", token=token, day=day.isoformat(),
                                customer_id=stop["customer"]["_id"])


@bp.get("/<token>")
def open_page(token):
    """A shared link: its delivery round (to confirm stops) or its bill (read only)."""
    view = links.view_link(token, ip=client_ip())
    if view["link"]["scope"] == "bill":
        invoice = bill_queries.as_invoice(view["bill"], view["customer"], view["products"])
        return htmx.render("links/bill.html", "links/_bill.html", token=token, link=view["link"], **invoice)
    return htmx.render("links/round.html", "links/_round.html", token=token, form=ConfirmStopForm(formdata=None),
                       confirm_url=link_confirm_url(token, view["day"]), form_on_demand=True, **view)


@bp.get("/<token>/bill.pdf")
def bill_pdf(token):
    """The shared bill as a PDF (a round link answers 404)."""
    links.open_link(token, ip=client_ip(), scope="bill")  # a round link is refused (audited) before its round is read
    view = links.view_link(token, ip=client_ip())
    invoice = bill_queries.as_invoice(view["bill"], view["customer"], view["products"])
    return pdf_response("bills/pdf.html", f"{view['bill']['_id']}.pdf", **invoice)


@bp.get("/<token>/<day>/stops/<customer_id>/confirm")
def stop_form(token, day, customer_id):
    """The "partly / not delivered" form of one stop, fetched when it is opened (without script: the stop's page)."""
    view = links.round_stop(token, customer_id, day=day, ip=client_ip())
    return render_stop_form(view, link_confirm_url(token, view["day"]), url_for("links.open_page", token=token))


@bp.post("/<token>/<day>/stops/<customer_id>/confirm")
def confirm_stop(token, day, customer_id):
    """Confirm one stop of the round (in full, partly, not delivered); htmx gets the stop back in place."""
    form = ConfirmStopForm()
    if form.validate():
        try:
            quantities, reason = form.service_arguments()
            view = links.confirm_via_link(token, customer_id, day, quantities, reason=reason, ip=client_ip())
        except ValidationError as error:
            errors = dict(error.errors) or {"form": error.message}
        else:
            if not htmx.is_htmx():
                return redirect(url_for("links.open_page", token=token, _anchor=f"stop-{customer_id}"), code=303)
            return render_stop(token, view, form, {})
    else:
        errors = {name: messages[0] for name, messages in form.errors.items()}
    # Refused input: the stop again, with the errors by its fields.
    return render_stop(token, links.round_stop(token, customer_id, day=day, ip=client_ip()), form, errors)


def render_stop(token, view, form, errors):
    return htmx.render("delivery/round/stop_page.html", "delivery/round/_stop.html",
                       status=422 if errors else 200, form=form, errors=errors, values=request.form,
                       confirm_url=link_confirm_url(token, view["day"]), form_on_demand=True,
                       back_url=url_for("links.open_page", token=token), token=token, **view)


@bp.route("/<token>/stops/<customer_id>/pause", methods=["GET", "POST"])
def request_pause(token, customer_id):
    """Ask the office to pause a customer on this round (nothing pauses until staff approve)."""
    form = PauseRequestForm()
    if form.validate_on_submit():
        try:
            pause_request = pause_requests.request_pause(token, customer_id, form.first_day.data, form.last_day.data,
                                                         form.reason.data, ip=client_ip())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            return htmx.render("links/pause_sent.html", "links/_pause_sent.html", token=token,
                               pause_request=pause_request)
    view = links.round_stop(token, customer_id, ip=client_ip())
    status = 422 if form.errors or form.form_errors else 200
    return htmx.render("links/pause.html", "links/_pause.html", status=status, token=token, form=form, **view)


@bp.get("/<token>/receipt")
def receipt_page(token):
    """A shared receipt (read only), with its PDF."""
    view = links.view_receipt(token, ip=client_ip())
    return render_template("links/receipt.html", token=token, **view)


@bp.get("/<token>/receipt.pdf")
def receipt_pdf(token):
    """A shared receipt as a PDF."""
    view = links.view_receipt(token, ip=client_ip())
    return pdf_response("bills/receipt_pdf.html", f"{view['payment']['receipt_number']}.pdf", **view)
