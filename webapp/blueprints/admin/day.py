"""Staff view of a delivery day: progress per delivery boy, any boy's round, supplier demand."""
from flask import request, url_for

from webapp import htmx
from webapp.blueprints.admin import bp
from webapp.blueprints.delivery.round import confirm_and_render
from webapp.blueprints.supplier import csv_response
from webapp.forms.deliveries import ConfirmStopForm, DayFilterForm, DayForm, day_nav
from webapp.net import current_actor
from webapp.services import demand, rounds


def staff_confirm_url(boy_id):
    return lambda day: lambda stop: url_for("admin.confirm_stop", boy_id=boy_id, customer_id=stop["customer"]["_id"],
                                            date=day.isoformat())


@bp.get("/day")
def day_overview():
    """Every delivery boy's progress on a date (default today), optionally for one area."""
    form = DayFilterForm(request.args)
    day = form.day()
    overview = rounds.day_overview(day, area=form.area.data, actor=current_actor())
    return htmx.render("admin/day/overview.html", "admin/day/_overview.html", form=form,
                       day_nav=day_nav(day, "admin.day_overview", area=overview["area"] or None), **overview)


@bp.get("/day/<boy_id>")
def day_round(boy_id):
    """One delivery boy's round on a date, with the staff's confirm and correct actions."""
    day = DayForm(request.args).day()
    context = rounds.round_view(boy_id, day, actor=current_actor())
    return htmx.render("admin/day/round.html", "delivery/round/_round.html", confirm_url=staff_confirm_url(boy_id)(day),
                       show_boy=True, day_nav=day_nav(day, "admin.day_round", boy_id=boy_id), form=ConfirmStopForm(),
                       **context)


@bp.post("/day/<boy_id>/<customer_id>/<date>/confirm")
def confirm_stop(boy_id, customer_id, date):
    """Staff confirm or correct one stop of a round (any day until billed)."""
    return confirm_and_render(boy_id, customer_id, date, current_actor(), staff_confirm_url(boy_id),
                              "admin.day_round", {"boy_id": boy_id})


@bp.get("/demand")
def demand_page():
    """What the dairy must procure on a date, per product (the supplier's figures)."""
    day = DayForm(request.args).day()
    result = demand.for_day(day, actor=current_actor())
    return htmx.render("admin/day/demand.html", "supplier/_demand.html", demand=result,
                       day_nav=day_nav(day, "admin.demand_page"),
                       csv_url=url_for("admin.demand_csv", date=day.isoformat()))


@bp.get("/demand.csv")
def demand_csv():
    """The demand of a date as a CSV download."""
    day = DayForm(request.args).day()
    return csv_response(demand.for_day(day, actor=current_actor()))
