"""The customer's calendar (read model): per day of a month, what each of his orders brings and why,
and what may still be changed. Data only; `presentation.calendar_weeks` lays the days out in weeks."""
from webapp import clock
from webapp.db import get_db
from webapp.services import catalog, customers, cutoff, orders, schedule, validate


def customer_calendar(customer_id, month, *, actor):
    """The month view of one customer.

    Returns {"month", "days", "products": {id: product}, "labels": {id: short name}, "prices": {id: his unit
    price in paise}, "booked_paise", "so_far_paise", "orders"}; each day {"date", "entries", "totals":
    {product_id: qty}, "past", "open", "closes_on": the business day its changes close (at the cut-off hour),
    "requests": [open late requests], "away": the household is away}, each
    entry {"order", "state", "quantities", "reason", "editable"} — `editable`: that day's quantities of this order may be changed
    (a subscription, neither paused nor skipped by an area, on a day not yet past; the cut-off is checked
    when saving).
    """
    orders.require_access(actor, customer_id)
    customer = customers.get_customer(customer_id)
    away_periods = [hold for hold in customer.get("holds") or [] if hold["kind"] == "away"]
    month = validate.month(month)
    days = clock.month_days(month)
    first, last = days[0].isoformat(), days[-1].isoformat()
    # Two queries rather than one `$or`; the engine decides per day. A customer's subscriptions are asked by the
    # index's equality prefix (customer_kind_status) and the drafts and later starts dropped here: the embedded
    # server scans the collection for a `$ne` beside them.
    found = [order for order in get_db().orders.find({"customer_id": customer_id, "kind": orders.SUBSCRIPTION})
             if order["status"] != "DRAFT" and order["start_date"] <= last]
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
                      "open": cutoff.is_open(day),
                      "closes_on": cutoff.cutoff_for(day).astimezone(clock.business_tz()).date(),
                      "requests": requests.get(iso, []),
                      "away": any(hold["first_day"] <= iso <= hold["last_day"] for hold in away_periods)})
    product_ids = {item["product_id"] for order in found for item in order["items"]}
    products = catalog.products_by_id(product_ids)
    prices = {product_id: customers.unit_price(customer, product) for product_id, product in products.items()}
    return {"month": month, "days": cells, "products": products, "labels": short_labels(products.values()),
            "prices": prices, "orders": found,
            "booked_paise": sum(booked_paise(cell["totals"], prices) for cell in cells),
            "so_far_paise": sum(booked_paise(cell["totals"], prices) for cell in cells if cell["date"] <= today)}


def month_so_far(customer_id, products, *, actor):
    """For an order form: {"month", "booked_paise", "so_far_paise" (this month at his prices, all of it / up to
    today), "prices": {product_id: his unit price} for `products`}."""
    month = customer_calendar(customer_id, clock.month_of(clock.today()), actor=actor)
    customer = customers.get_customer(customer_id)
    return {"month": month["days"][0]["date"], "booked_paise": month["booked_paise"],
            "so_far_paise": month["so_far_paise"],
            "prices": {product["_id"]: customers.unit_price(customer, product) for product in products}}


def booked_paise(quantities, prices):
    """What {product_id: qty} costs at the customer's prices."""
    return sum(qty * prices.get(product_id, 0) for product_id, qty in quantities.items())


def day_change(before, after, order_id, prices):
    """What saving one order's day changed, for the customer's message: {"skipped", "lines": [{"product_id",
    "qty", "was"}] (only the products whose quantity moved), "delta_paise"}; `before`/`after` are calendar days."""
    def quantities(cell):
        return next((entry["quantities"] for entry in cell["entries"] if entry["order"]["_id"] == order_id), {})
    was, now = quantities(before), quantities(after)
    lines = [{"product_id": product_id, "qty": now.get(product_id, 0), "was": was.get(product_id, 0)}
             for product_id in sorted(set(was) | set(now)) if now.get(product_id, 0) != was.get(product_id, 0)]
    return {"skipped": bool(was) and not now, "lines": lines,
            "delta_paise": booked_paise(now, prices) - booked_paise(was, prices)}


def short_labels(products):
    """{product_id: the shortest leading words of its name that no other product's name shares} — what fits a
    phone's day cell and still tells "Toned milk 500 ml" from "Toned milk 1 L"."""
    words = {product["_id"]: product["name"].split() for product in products}
    labels = {}
    for product_id, own in words.items():
        others = [other for other_id, other in words.items() if other_id != product_id]
        count = 1
        while count < len(own) and any(other[:count] == own[:count] for other in others):
            count += 1
        if own[count - 1].replace(".", "").isdigit() and count < len(own):
            count += 1  # "1 L", not a bare "1"
        labels[product_id] = " ".join(own[:count])
    return labels


def calendar_day(customer_id, day, *, actor):
    """One day of a customer's calendar, for the in-place editor: (that day, the month's calendar)."""
    day = validate.day(day, "day")
    month = customer_calendar(customer_id, clock.month_of(day), actor=actor)
    return next(cell for cell in month["days"] if cell["date"] == day), month
