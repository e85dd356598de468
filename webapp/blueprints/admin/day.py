"""Staff view of a delivery day: progress per delivery boy, any boy's round, supplier demand."""
from flask import request, url_for

from webapp import htmx
from webapp.blueprints.admin import bp
from webapp.blueprints.delivery.round import confirm_and_render, render_stop_form
from webapp.blueprints.supplier import csv_response, day_asked
from webapp.forms.deliveries import ConfirmStopForm, DayFilterForm, DayForm, day_nav
from webapp.net import current_actor
from webapp.services import demand, rounds


def staff_confirm_url(boy_id):
    return lambda day: lambda stop: url_for("admin.confirm_stop", boy_id=boy_id, customer_id=stop["customer"]["_id"],
                                            date=day.isoformat())


@bp.get("/day")
def day_overview():
    """Every delivery boy's progress on a date (default: the day being prepared), optionally for one area."""
    form = DayFilterForm(request.args)
    day = day_asked(form)
    overview = rounds.day_overview(day, area=form.area.data, actor=current_actor())
    return htmx.render("admin/day/overview.html", "admin/day/_overview.html", form=form,
                       day_nav=day_nav(day, "admin.day_overview", area=overview["area"] or None), **overview)


@bp.get("/day/<boy_id>")
def day_round(boy_id):
    """One delivery boy's round and van load on a date (default: the day being prepared), with the staff's
    confirm and correct actions."""
    day = day_asked(DayForm(request.args))
    context = rounds.round_view(boy_id, day, actor=current_actor())
    return htmx.render("admin/day/round.html", "delivery/round/_round.html", confirm_url=staff_confirm_url(boy_id)(day),
                       show_boy=True, day_nav=day_nav(day, "admin.day_round", boy_id=boy_id), form=ConfirmStopForm(),
                       form_on_demand=True, door=True, **context)


@bp.get("/day/<boy_id>/<customer_id>/<date>/confirm")
def stop_form(boy_id, customer_id, date):
    """A stop's "partly / not delivered" form, fetched when staff open it (without script: the stop's page)."""
    view = rounds.stop_view(customer_id, date, delivery_boy_id=boy_id, actor=current_actor())
    return render_stop_form(view, staff_confirm_url(boy_id)(view["day"]),
                            url_for("admin.day_round", boy_id=boy_id, date=date), door=True)


@bp.post("/day/<boy_id>/<customer_id>/<date>/confirm")
def confirm_stop(boy_id, customer_id, date):
    """Staff confirm or correct one stop of a round (any day until billed)."""
    return confirm_and_render(boy_id, customer_id, date, current_actor(), staff_confirm_url(boy_id),
                              "admin.day_round", {"boy_id": boy_id}, form_on_demand=True)


@bp.get("/demand")
def demand_page():
    """What the dairy must procure on a date (default: the day being prepared), per product."""
    day = day_asked(DayForm(request.args))
    result = demand.for_day(day, actor=current_actor())
    return htmx.render("admin/day/demand.html", "supplier/_demand.html", demand=result,
                       day_nav=day_nav(day, "admin.demand_page"),
                       csv_url=url_for("admin.demand_csv", date=day.isoformat()))


@bp.get("/demand.csv")
def demand_csv():
    """The demand of a date as a CSV download."""
    day = day_asked(DayForm(request.args))
    return csv_response(demand.for_day(day, actor=current_actor()))
