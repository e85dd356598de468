"""The customer's calendar (read model): per day of a month, what each of his orders brings and why,
and what may still be changed. Data only; `presentation.calendar_weeks` lays the days out in weeks."""
from webapp import clock
from webapp.db import get_db
from webapp.services import catalog, customers, cutoff, orders, schedule, validate


def customer_calendar(customer_id, month, *, actor):
    """The month view of one customer.

    Returns {"month", "days", "products": {id: product}, "orders"}; each day {"date", "entries", "totals":
    {product_id: qty}, "past", "open", "requests": [open late requests], "away": the household is away}, each
    entry {"order", "state", "quantities", "reason", "editable"} — `editable`: that day's quantities of this order may be changed
    (a subscription, neither paused nor skipped by an area, on a day not yet past; the cut-off is checked
    when saving).
    """
    orders.require_access(actor, customer_id)
    away_periods = [hold for hold in customers.get_customer(customer_id).get("holds") or [] if hold["kind"] == "away"]
    month = validate.month(month)
    days = clock.month_days(month)
    first, last = days[0].isoformat(), days[-1].isoformat()
    # Two queries rather than one `$or`; the engine decides per day.
    found = list(get_db().orders.find({"customer_id": customer_id, "kind": orders.SUBSCRIPTION,
                                       "status": {"$ne": "DRAFT"}, "start_date": {"$lte": last}}))
    found += get_db().orders.find({"customer_id": customer_id, "kind": orders.ONE_TIME,
                                   "delivery_date": {"$gte": first, "$lte": last}})
    found.sort(key=lambda order: order["_id"])
    requests = {}
    for request in get_db().change_requests.find({"customer_id": customer_id, "status": "OPEN",
                                                  "date": {"$gte": first, "$lte": last}}):
        requests.setdefault(request["date"], []).append(request)
    today = clock.today()
    cells = []
    for day in days:
        entries, totals = [], {}
        for order in found:
            explained = schedule.explain(order, day)
            if explained["state"] == schedule.OUTSIDE:
                continue
            editable = (day >= today and order["kind"] == orders.SUBSCRIPTION
                        and explained["state"] != schedule.PAUSED and not explained["reason"])
            entries.append({"order": order, **explained, "editable": editable})
            for product_id, qty in explained["quantities"].items():
                totals[product_id] = totals.get(product_id, 0) + qty
        iso = day.isoformat()
        cells.append({"date": day, "entries": entries, "totals": totals, "past": day < today,
                      "open": cutoff.is_open(day), "requests": requests.get(iso, []),
                      "away": any(hold["first_day"] <= iso <= hold["last_day"] for hold in away_periods)})
    product_ids = {item["product_id"] for order in found for item in order["items"]}
    return {"month": month, "days": cells, "products": catalog.products_by_id(product_ids), "orders": found}


def calendar_day(customer_id, day, *, actor):
    """One day of a customer's calendar, for the in-place editor: (that day, the month's calendar)."""
    day = validate.day(day, "day")
    month = customer_calendar(customer_id, clock.month_of(day), actor=actor)
    return next(cell for cell in month["days"] if cell["date"] == day), month
