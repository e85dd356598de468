"""The schedule engine: the one place that decides what an order brings on a date.

`quantity_on(order, day)` reads nothing but the order document, so the calendar, the
delivery list, confirmation checks, supplier demand and billing checks all agree.
Precedence, strongest first: cancellation / draft / stop / start and end dates,
area-wide skips, pauses, per-date overrides, the pattern.
"""
from datetime import timedelta

from webapp import clock
from webapp.db import get_db

# Why nothing (or something other than the usual) is due on a day; the calendar shows these.
DUE = "due"                # the pattern's quantities
CHANGED = "changed"        # a per-date override changed the quantities
SKIPPED = "skipped"        # an area-wide skip (with its reason)
PAUSED = "paused"          # inside a pause range
OFF = "off"                # the pattern brings nothing that day
OUTSIDE = "outside"        # before the start, after the end or stop, a draft, or cancelled


def _day(value):
    return clock.parse_day(value) if value is not None else None


def pattern_matches(order, day):
    """True when the subscription's pattern brings its items on `day` (ignoring dates and changes)."""
    pattern = order.get("pattern") or {}
    kind = pattern.get("kind")
    if kind == "daily":
        return True
    if kind == "alternate":
        return (day - _day(order["start_date"])).days % 2 == 0
    if kind == "weekly":
        return day.weekday() in (pattern.get("weekdays") or [])
    if kind == "custom":
        return day.isoformat() in (pattern.get("dates") or [])
    return False


def in_pause(order, day):
    """The pause range covering `day` (an open-ended pause has last_day None), or None."""
    for pause in order.get("pauses") or []:
        first, last = _day(pause["first_day"]), _day(pause.get("last_day"))
        if first <= day and (last is None or day <= last):
            return pause
    return None


def within_term(order, day):
    """True when the subscription runs on `day`: started, not ended, not stopped, not a draft."""
    if order.get("status") == "DRAFT":
        return False
    if day < _day(order["start_date"]):
        return False
    end = _day(order.get("end_date"))
    if end is not None and day > end:
        return False
    stopped_on = _day(order.get("stopped_on"))
    return stopped_on is None or day < stopped_on


def explain(order, day):
    """What `order` brings on `day` and why: {"state", "quantities", "reason"}.

    `quantities` is {product_id: qty} with qty > 0 only; `state` is one of the constants above.
    """
    day = clock.parse_day(day)
    if order["kind"] == "ONE_TIME":
        if order.get("status") == "CANCELLED" or order.get("delivery_date") != day.isoformat():
            return {"state": OUTSIDE, "quantities": {}, "reason": None}
        return {"state": DUE, "quantities": _positive(_item_quantities(order)), "reason": None}

    if not within_term(order, day):
        return {"state": OUTSIDE, "quantities": {}, "reason": None}
    key = day.isoformat()
    skip = (order.get("skips") or {}).get(key)
    if skip:
        return {"state": SKIPPED, "quantities": {}, "reason": skip.get("reason")}
    pause = in_pause(order, day)
    if pause is not None:
        return {"state": PAUSED, "quantities": {}, "reason": pause.get("reason")}
    quantities = _item_quantities(order) if pattern_matches(order, day) else {}
    override = (order.get("overrides") or {}).get(key)
    if override is not None:
        known = _item_quantities(order)
        quantities = dict(quantities)
        for product_id, qty in override.items():
            if product_id in known:
                quantities[product_id] = qty
        quantities = _positive(quantities)
        state = CHANGED if quantities else SKIPPED if pattern_matches(order, day) else OFF
        return {"state": state, "quantities": quantities, "reason": None}
    quantities = _positive(quantities)
    return {"state": DUE if quantities else OFF, "quantities": quantities, "reason": None}


def quantity_on(order, day):
    """{product_id: qty} that `order` brings on `day` (only qty > 0; {} = nothing due)."""
    return explain(order, day)["quantities"]


def due_on(orders, day):
    """[(order, {product_id: qty})] for the orders with something due on `day`, in the given order."""
    day = clock.parse_day(day)
    due = []
    for order in orders:
        quantities = quantity_on(order, day)
        if quantities:
            due.append((order, quantities))
    return due


def days_between(first, last):
    """Every date from `first` to `last`, both included."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _item_quantities(order):
    quantities = {}
    for item in order.get("items") or []:
        quantities[item["product_id"]] = quantities.get(item["product_id"], 0) + int(item["qty"])
    return quantities


def _positive(quantities):
    return {product_id: qty for product_id, qty in quantities.items() if qty > 0}


# --- The delivery round (issue 5): batch queries only, a constant number whatever the stops. ---

ROUND_CUSTOMER_FIELDS = {"name": 1, "phone": 1, "address": 1, "area": 1, "delivery_boy_id": 1, "stop": 1,
                         "status": 1, "custom_prices": 1}
RUNNING = ("ACTIVE", "PAUSED", "STOPPED")  # a stopped subscription still ran before its stop date
BATCH = 10_000  # one batch for a whole round: round trips do not grow with the stops
IN_LIMIT = 2_000


def orders_for_day(day, customer_ids=None):
    """The orders that may bring something on `day` (quantity_on decides): that day's one-time orders and
    the running subscriptions, of every customer or of `customer_ids`.

    Two indexed queries rather than one `$or`: combined with `$in`, the embedded server answers an
    `$or` by scanning the collection (7.8 s instead of 0.25 s for a round of 300 customers).
    """
    db = get_db()
    key = clock.parse_day(day).isoformat()
    wanted = None if customer_ids is None else set(customer_ids)
    subscriptions = {"kind": "SUBSCRIPTION", "status": {"$in": list(RUNNING)}}
    if wanted is not None:
        # customer_id must come first: the embedded server plans from the filter's first field, and
        # led by `kind` it scans the collection testing `$in` per document (9 s instead of 0.25 s).
        subscriptions = {"customer_id": {"$in": sorted(wanted)}, **subscriptions}
    found = list(db.orders.find(subscriptions, batch_size=BATCH))
    one_time = db.orders.find({"kind": "ONE_TIME", "delivery_date": key, "status": {"$ne": "CANCELLED"}},
                              batch_size=BATCH)
    found.extend(order for order in one_time if wanted is None or order["customer_id"] in wanted)
    return found


def due_for(day, customer_ids=None):
    """[(order, {product_id: qty})] due on `day`, for every customer or for `customer_ids`."""
    return due_on(orders_for_day(day, customer_ids), day)


def stops_for(customer_query, day):
    """The stops (customers with something due on `day`) matching `customer_query`, in route order.

    Each stop: {"customer", "orders": [{"order", "one_time", "lines", "delivery"}], "requests", "state"};
    lines carry the product's name and unit. Six queries, however many stops.
    """
    from webapp.services import orders as order_service  # orders imports this module

    db = get_db()
    day = clock.parse_day(day)
    customers = list(db.customers.find(customer_query, ROUND_CUSTOMER_FIELDS, batch_size=BATCH))
    by_id = {customer["_id"]: customer for customer in customers}
    # Past a few thousand customers, reading every running order beats `$in` over all their ids.
    candidates = orders_for_day(day, by_id if len(by_id) <= IN_LIMIT else None) if by_id else []
    due = due_on([order for order in candidates if order["customer_id"] in by_id], day)
    products = {p["_id"]: p for p in db.products.find(
        {"_id": {"$in": sorted({pid for _, quantities in due for pid in quantities})}},
        {"name": 1, "unit": 1, "price_paise": 1})} if due else {}
    deliveries = {}
    if due:
        # By date (and boy, when the query names one) rather than `$in` over hundreds of order ids.
        delivery_query = {"date": day.isoformat()}
        if isinstance(customer_query.get("delivery_boy_id"), str):
            delivery_query["delivery_boy_id"] = customer_query["delivery_boy_id"]
        due_ids = {order["_id"] for order, _ in due}
        deliveries = {d["order_id"]: d for d in db.deliveries.find(delivery_query, batch_size=BATCH)
                      if d["order_id"] in due_ids}
    requests = {}
    if due:
        for request in order_service.late_requests_for(sorted({order["customer_id"] for order, _ in due}), day):
            requests.setdefault(request["customer_id"], []).append(request)

    stops = {}
    for order, quantities in due:
        customer_id = order["customer_id"]
        stop = stops.setdefault(customer_id, {"customer": by_id[customer_id], "orders": [],
                                              "requests": requests.get(customer_id, [])})
        stop["orders"].append({
            "order": order,
            "one_time": order["kind"] == "ONE_TIME",
            "lines": sorted(({"product_id": pid, "name": products.get(pid, {}).get("name", pid),
                              "unit": products.get(pid, {}).get("unit", ""), "qty": qty}
                             for pid, qty in quantities.items()), key=lambda line: line["name"]),
            "delivery": deliveries.get(order["_id"]),
        })
    for stop in stops.values():
        stop["orders"].sort(key=lambda entry: (entry["one_time"], entry["order"]["_id"]))
        stop["state"] = stop_state(stop)
    return sorted(stops.values(), key=lambda s: (s["customer"].get("stop") is None, s["customer"].get("stop") or 0,
                                                  s["customer"]["name"]))


def stop_state(stop):
    """"todo" until every order at the door is confirmed; then the deliveries' common result."""
    statuses = {entry["delivery"]["status"] if entry["delivery"] else None for entry in stop["orders"]}
    if None in statuses:
        return "todo"
    if len(statuses) == 1:
        return statuses.pop()
    return "PARTIALLY_DELIVERED"


def round_for(delivery_boy_id, day):
    """One delivery boy's stops for `day`, in stop order (see stops_for)."""
    return stops_for({"delivery_boy_id": delivery_boy_id}, day)


def van_load(stops):
    """[{product_id, name, unit, qty}] to load on the van: what is due across the stops, by name."""
    totals = {}
    for stop in stops:
        for entry in stop["orders"]:
            for line in entry["lines"]:
                total = totals.setdefault(line["product_id"], {**line, "qty": 0})
                total["qty"] += line["qty"]
    return sorted(totals.values(), key=lambda line: line["name"])


def progress(stops):
    """{"total", "done", "todo", "delivered", "partial", "not_delivered"} counted in stops."""
    counts = {"total": len(stops), "todo": 0, "DELIVERED": 0, "PARTIALLY_DELIVERED": 0, "NOT_DELIVERED": 0}
    for stop in stops:
        counts[stop["state"]] += 1
    return {"total": counts["total"], "todo": counts["todo"], "done": counts["total"] - counts["todo"],
            "delivered": counts["DELIVERED"], "partial": counts["PARTIALLY_DELIVERED"],
            "not_delivered": counts["NOT_DELIVERED"]}
