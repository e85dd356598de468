"""The delivery boy's round for a date: his stops in order, confirmed in place."""
from flask import current_app, redirect, request, send_from_directory, url_for
from flask_login import current_user

from webapp import htmx
from webapp.blueprints.delivery import bp
from webapp.forms import apply_service_error
from webapp.forms.deliveries import ConfirmStopForm, DayForm, day_nav
from webapp.net import current_actor
from webapp.services import ValidationError, deliveries, rounds


def boy_confirm_url(day):
    """The confirm URL of each stop on the boy's round (the partials take it from the context)."""
    return lambda stop: url_for("delivery.confirm_stop", customer_id=stop["customer"]["_id"], date=day.isoformat())


@bp.get("/round")
def round_page():
    """The delivery boy's stops for a date (default today), with the van load at the top."""
    day = DayForm(request.args).day()
    context = rounds.round_view(current_user.id, day, actor=current_actor())
    return htmx.render("delivery/round/round.html", "delivery/round/_round.html", confirm_url=boy_confirm_url(day),
                       day_nav=day_nav(day, "delivery.round_page"), form=ConfirmStopForm(), form_on_demand=True,
                       door=True, worker_url=url_for("delivery.service_worker"), **context)


@bp.get("/sw.js")
def service_worker():
    """The round's service worker (static/sw.js), served under /delivery/ so that its scope covers the round."""
    response = send_from_directory(current_app.static_folder, "sw.js", mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/round/<customer_id>/<date>/confirm")
def stop_form(customer_id, date):
    """The "partly / not delivered" form of one stop, fetched when it is opened (without script: the stop's page)."""
    view = rounds.stop_view(customer_id, date, delivery_boy_id=current_user.id, actor=current_actor())
    return render_stop_form(view, boy_confirm_url(view["day"]), url_for("delivery.round_page", date=date), door=True)


def render_stop_form(view, confirm_url, back_url, *, door=False):
    """A stop's confirmation form: the fields alone for htmx, else the stop's own page with the form open
    (`door`: with the bottles and cash fields)."""
    return htmx.render("delivery/round/stop_page.html", "delivery/round/_stop_more.html",
                       form=ConfirmStopForm(formdata=None), confirm_url=confirm_url, back_url=back_url, door=door,
                       **view)


@bp.post("/round/<customer_id>/<date>/confirm")
def confirm_stop(customer_id, date):
    """Confirm one stop (in full, partly, not delivered); htmx gets the stop back in place."""
    return confirm_and_render(current_user.id, customer_id, date, current_actor(), boy_confirm_url,
                              "delivery.round_page", {}, form_on_demand=True)


def confirm_and_render(boy_id, customer_id, date, who, confirm_url, round_endpoint, round_values, *,
                       form_on_demand=False):
    """The confirm action shared by the delivery boy's and the staff's round pages.

    Success: a plain form is redirected (303) to the round; htmx gets the stop in place (the page counts
    its progress from the stops it shows). Bad input: the stop again with its errors, status 422.
    `form_on_demand`: the round answers a GET of the confirm URL with the stop's form (see _stop.html).
    """
    form = ConfirmStopForm()
    errors = {}
    view = None
    if form.validate():
        try:
            quantities, reason = form.service_arguments()
            stop = deliveries.confirm_stop(customer_id, date, quantities, reason=reason, delivery_boy_id=boy_id,
                                           actor=who, **form.door_arguments())
        except ValidationError as error:
            apply_service_error(form, error)
            errors = dict(error.errors) or {None: error.message}
        else:
            day = DayForm(formdata=None, data={"date": date}).day()
            view = {"day": day, "stop": stop, "can_confirm": rounds.may_confirm_on(who, day)}
    else:
        errors = {name: messages[0] for name, messages in form.errors.items()}
    if not errors and not htmx.is_htmx():
        return redirect(url_for(round_endpoint, date=date, **round_values), code=303)
    if view is None:
        view = rounds.stop_view(customer_id, date, delivery_boy_id=boy_id, actor=who)
    return htmx.render("delivery/round/stop_page.html", "delivery/round/_stop.html",
                       status=422 if errors else 200, form=form, errors=errors, values=request.form,
                       confirm_url=confirm_url(view["day"]), form_on_demand=form_on_demand, door=True,
                       back_url=url_for(round_endpoint, date=date, **round_values), **view)
