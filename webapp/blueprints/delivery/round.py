"""The delivery boy's round for a date: his stops in order, confirmed in place."""
from flask import redirect, request, url_for
from flask_login import current_user

from webapp import htmx
from webapp.blueprints.delivery import bp
from webapp.forms import apply_service_error
from webapp.forms.deliveries import ConfirmStopForm, DayForm, day_links
from webapp.net import current_actor
from webapp.services import NotFound, ValidationError, deliveries



def boy_confirm_url(day):
    """The confirm URL of each stop on the boy's round (the partials take it from the context)."""
    return lambda stop: url_for("delivery.confirm_stop", customer_id=stop["customer"]["_id"], date=day.isoformat())


@bp.get("/round")
def round_page():
    """The delivery boy's stops for a date (default today), with the van load at the top."""
    day = DayForm(request.args).day()
    context = deliveries.round_of(current_user.id, day, actor=current_actor())
    previous_day, next_day = day_links(day)
    return htmx.render("delivery/round/round.html", "delivery/round/_round.html", confirm_url=boy_confirm_url(day),
                       previous_day=previous_day, next_day=next_day, day_url=day_url_for("delivery.round_page"),
                       form=ConfirmStopForm(), **context)


@bp.post("/round/<customer_id>/<date>/confirm")
def confirm_stop(customer_id, date):
    """Confirm one stop (in full, partly, not delivered); htmx gets the stop back in place."""
    return confirm_and_render(current_user.id, customer_id, date, current_actor(), boy_confirm_url,
                              "delivery.round_page", {})


def day_url_for(endpoint, **values):
    """A function of a date giving the round page of that date (previous / next day links)."""
    return lambda day: url_for(endpoint, date=day.isoformat(), **values)


def confirm_and_render(boy_id, customer_id, date, who, confirm_url, round_endpoint, round_values):
    """The confirm action shared by the delivery boy's and the staff's round pages.

    Success: a plain form is redirected (303) to the round; htmx gets the stop and the round's
    progress (out of band). Bad input: the stop again with its errors, status 422.
    """
    form = ConfirmStopForm()
    errors = {}
    if form.validate():
        try:
            quantities, reason = form.service_arguments()
            deliveries.confirm_stop(customer_id, date, quantities, reason=reason, delivery_boy_id=boy_id,
                                    actor=who)
        except ValidationError as error:
            apply_service_error(form, error)
            errors = dict(error.errors) or {None: error.message}
    else:
        errors = {name: messages[0] for name, messages in form.errors.items()}
    if not errors and not htmx.is_htmx():
        return redirect(url_for(round_endpoint, date=date, **round_values), code=303)
    context = deliveries.round_of(boy_id, DayForm(formdata=None, data={"date": date}).day(), actor=who)
    stop = next((s for s in context["stops"] if s["customer"]["_id"] == customer_id), None)
    if stop is None:
        raise NotFound("No such stop on this round.")
    return htmx.render("delivery/round/stop_page.html", "delivery/round/_stop_response.html",
                       status=422 if errors else 200, stop=stop, form=form, errors=errors, values=request.form,
                       confirm_url=confirm_url(context["day"]), oob=not errors,
                       back_url=url_for(round_endpoint, date=date, **round_values), **context)
