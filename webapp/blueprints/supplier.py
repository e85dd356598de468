"""The supplier's pages: what the dairy must procure."""
from flask import Response, request, url_for

from webapp import htmx
from webapp.forms.deliveries import DayForm, day_nav
from webapp.net import current_actor
from webapp.security import audience_blueprint
from webapp.services import demand, next_delivery

bp = audience_blueprint("supplier", __name__, url_prefix="/supplier", roles={"supplier"})


def day_asked(form):
    """The date in the query string, else the day being prepared (tomorrow once today's cut-off has passed)."""
    return form.day() if (form.date.data or "").strip() else next_delivery.day_being_prepared()


@bp.get("/")
def home():
    """The demand per product for a date (default: the day being prepared), with a CSV download."""
    day = day_asked(DayForm(request.args))
    result = demand.for_day(day, actor=current_actor())
    return htmx.render("supplier/home.html", "supplier/_demand.html", demand=result,
                       day_nav=day_nav(day, "supplier.home"),
                       csv_url=url_for("supplier.demand_csv", date=day.isoformat()))


@bp.get("/demand.csv")
def demand_csv():
    """The demand of a date as a CSV download."""
    return csv_response(demand.for_day(day_asked(DayForm(request.args)), actor=current_actor()))


def csv_response(result):
    """A CSV attachment named after the date."""
    filename = f"demand-{result['date'].isoformat()}.csv"
    return Response(demand.as_csv(result), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
