"""The one round read model: what is due at whose door on a day, and what has been handed over.

The delivery boy's page, the staff pages and the shared round link all read a round through
`round_view` (or `round_for`, its stops); a single stop, for the confirmation tap and its answer,
through `read_stop`. The schedule engine decides what is due; this module only gathers its input in
a constant number of indexed queries, whatever the number of stops.
"""
from webapp import clock
from webapp.db import get_db
from webapp.services import STAFF_ROLES, NotFound, cash, day_plan, schedule, validate
from webapp.services.late_requests import FOR_THE_DOOR, late_requests_for

CUSTOMER_FIELDS = {"name": 1, "phone": 1, "address": 1, "area": 1, "delivery_boy_id": 1, "stop": 1, "status": 1,
                   "custom_prices": 1, "delivery_note": 1, "bottles_out": 1}
PRODUCT_FIELDS = {"name": 1, "unit": 1, "price_paise": 1, "returnable": 1, "deposit_paise": 1}
# What the schedule engine reads of an order: enough for a day's progress, without who created it when.
ENGINE_FIELDS = {"kind": 1, "status": 1, "customer_id": 1, "items": 1, "pattern": 1, "start_date": 1, "end_date": 1,
                 "stopped_on": 1, "overrides": 1, "pauses": 1, "holds": 1, "skips": 1, "delivery_date": 1}
RUNNING = ("ACTIVE", "PAUSED", "STOPPED")  # a stopped subscription still ran before its stop date
BATCH = 10_000  # one batch for a whole round: round trips do not grow with the stops
IN_LIMIT = 2_000


# ---------------------------------------------------------------- the orders of a day

def orders_for_day(day, customer_ids=None, fields=None, delivery_boy_id=None):
    """The orders that may bring something on `day` (the engine decides): that day's one-time orders and the
    running subscriptions, of every customer or of `customer_ids`; with `delivery_boy_id` (a boy's round, whose
    customers are `customer_ids`), both are read by the round each order carries.

    Two indexed queries rather than one `$or`: the embedded server answers an `$or` by scanning the
    collection (7.8 s instead of 0.25 s for a round of 300 customers).
    """
    db = get_db()
    key = clock.parse_day(day).isoformat()
    wanted = None if customer_ids is None else set(customer_ids)
    fields = None if fields is None else {**fields, "status": 1, "customer_id": 1}
    # The embedded server uses an index only when the filter's fields are a prefix of it, an `$in` beside
    # equalities only: a round's subscriptions by (kind, delivery_boy_id) and its one-time orders by (kind,
    # delivery_boy_id, delivery_date), one index range each (an `$in` over its customers is one index seek each:
    # 450 ms for 300 customers); customers' subscriptions by (kind, customer_id); a day's one-time orders by (kind,
    # delivery_date). Statuses are checked here, the cancelled one-time orders dropped here.
    if delivery_boy_id is not None:
        subscriptions = {"kind": "SUBSCRIPTION", "delivery_boy_id": delivery_boy_id}
        one_time_query = {"kind": "ONE_TIME", "delivery_boy_id": delivery_boy_id, "delivery_date": key}
    else:
        subscriptions = {"kind": "SUBSCRIPTION", "status": {"$in": list(RUNNING)}} if wanted is None \
            else {"kind": "SUBSCRIPTION", "customer_id": {"$in": sorted(wanted)}}
        one_time_query = {"kind": "ONE_TIME", "delivery_date": key}
    found = [order for order in db.orders.find(subscriptions, fields, batch_size=BATCH)
             if order["status"] in RUNNING and (wanted is None or order["customer_id"] in wanted)]
    one_time = db.orders.find(one_time_query, fields, batch_size=BATCH)
    found.extend(order for order in one_time
                 if order["status"] != "CANCELLED" and (wanted is None or order["customer_id"] in wanted))
    return found


def due_for(day, customer_ids=None):
    """[(order, {product_id: qty})] due on `day`, for every customer or for `customer_ids`."""
    return schedule.due_on(orders_for_day(day, customer_ids), day)


# ---------------------------------------------------------------- building stops (pure)

def build_stop(customer, due, products, deliveries, requests):
    """One stop from what was read: {"customer", "orders": [{"order", "one_time", "lines", "delivery"}],
    "requests", "returnable" (bottles go out here), "state"}; lines carry the product's name, unit and whether it is
    returnable, sorted by name."""
    entries = []
    for order, quantities in due:
        entries.append({
            "order": order,
            "one_time": order["kind"] == "ONE_TIME",
            "lines": sorted(({"product_id": pid, "name": products.get(pid, {}).get("name", pid),
                              "unit": products.get(pid, {}).get("unit", ""), "qty": qty,
                              "returnable": bool(products.get(pid, {}).get("returnable"))}
                             for pid, qty in quantities.items()), key=lambda line: line["name"]),
            "delivery": deliveries.get(order["_id"]),
        })
    entries.sort(key=lambda entry: (entry["one_time"], entry["order"]["_id"]))
    stop = {"customer": customer, "orders": entries, "requests": requests,
            "returnable": any(line["returnable"] for entry in entries for line in entry["lines"])}
    stop["state"] = stop_state(stop)
    return stop


def stop_state(stop):
    """"todo" until every order at the door is confirmed; then the deliveries' common result."""
    return state_of(entry["delivery"]["status"] if entry["delivery"] else None for entry in stop["orders"])


def state_of(statuses):
    """A stop's state from its orders' delivery statuses (None: not confirmed yet)."""
    statuses = set(statuses)
    if None in statuses:
        return "todo"
    if len(statuses) == 1:
        return statuses.pop()
    return "PARTIALLY_DELIVERED"


def route_order(stop):
    customer = stop["customer"]
    return customer.get("stop") is None, customer.get("stop") or 0, customer["name"]


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


# ---------------------------------------------------------------- many stops

def stops_for(customer_query, day):
    """The stops (customers with something due on `day`) matching `customer_query`, in route order.
    Six queries, however many stops."""
    db = get_db()
    day = clock.parse_day(day)
    # Whole documents: the embedded server projects in a pass of its own over each document, which costs more than
    # the few fields it would leave out (a round of 300 customers: 0.86× the floor's time projected, 0.72× whole).
    customers = {c["_id"]: c for c in db.customers.find(customer_query, batch_size=BATCH)}
    boy = customer_query.get("delivery_boy_id")
    if not customers:
        candidates = []
    elif isinstance(boy, str):  # one round: its orders by the round they carry
        candidates = orders_for_day(day, customers, delivery_boy_id=boy)
    else:  # past a few thousand customers, reading every running order beats `$in` over all their ids
        candidates = orders_for_day(day, customers if len(customers) <= IN_LIMIT else None)
    due = schedule.due_on([order for order in candidates if order["customer_id"] in customers], day)
    if not due:
        return []
    products = {p["_id"]: p for p in db.products.find(
        {"_id": {"$in": sorted({pid for _, quantities in due for pid in quantities})}}, PRODUCT_FIELDS)}
    # By date (and boy, when the query names one) rather than `$in` over hundreds of order ids.
    delivery_query = {"date": day.isoformat()}
    if isinstance(boy, str):
        delivery_query["delivery_boy_id"] = boy
    due_ids = {order["_id"] for order, _ in due}
    deliveries = {d["order_id"]: d for d in db.deliveries.find(delivery_query, batch_size=BATCH)
                  if d["order_id"] in due_ids}
    requests = {}
    for request in late_requests_for(sorted({order["customer_id"] for order, _ in due}), day):
        requests.setdefault(request["customer_id"], []).append(request)
    by_customer = {}
    for order, quantities in due:
        by_customer.setdefault(order["customer_id"], []).append((order, quantities))
    stops = [build_stop(customers[customer_id], orders, products, deliveries, requests.get(customer_id, []))
             for customer_id, orders in by_customer.items()]
    return sorted(stops, key=route_order)


def round_for(delivery_boy_id, day):
    """One delivery boy's stops for `day`, in stop order (see stops_for)."""
    return stops_for({"delivery_boy_id": delivery_boy_id}, day)


def link_allows(link, customer, day):
    """The one rule of a round link's reach: a live round link acts only on its own delivery boy's customers, on
    its own date. `link` is the record the link was opened with (None: no link)."""
    return bool(
        link and link.get("scope") == "round" and not link.get("revoked_at")
        and link.get("expires_at") and link["expires_at"] > clock.now()
        and link.get("date") == clock.parse_day(day).isoformat()
        and customer.get("delivery_boy_id") and link.get("delivery_boy_id") == customer["delivery_boy_id"]
    )


def may_confirm_on(actor, day):
    """Staff record any past or present day; delivery boys and links only today."""
    if actor.is_staff or actor.is_system:
        return day <= clock.today()
    return day == clock.today()


def check_access(actor, delivery_boy_id, day):
    """Staff reach any round; a delivery boy his own; a link actor the round (boy and date) of its link.
    Another round is NotFound: its existence is private."""
    if actor.has_role("delivery_boy"):
        if delivery_boy_id != actor.id:
            raise NotFound("No such round.")
    elif actor.kind == "link":
        link = actor.link or {}
        if link.get("delivery_boy_id") != delivery_boy_id or link.get("date") != day.isoformat():
            raise NotFound("No such round.")
    else:
        actor.require(*STAFF_ROLES)


def round_view(delivery_boy_id, day, *, actor):
    """One round as every page shows it: {"boy", "day", "stops", "load", "progress", "can_confirm", "cash_held"
    (cash.with_boy; None for a link)}.

    Staff see any round; a delivery boy only his own (another boy's is NotFound); a link actor the round it
    was issued for (the links service has checked the link before calling)."""
    day = validate.day(day)
    check_access(actor, delivery_boy_id, day)
    # By _id alone (the embedded server scans for `_id` with another field), the role checked here.
    boy = get_db().users.find_one({"_id": delivery_boy_id}, {"name": 1, "phone": 1, "role": 1}) \
        if isinstance(delivery_boy_id, str) else None
    if boy is None or boy["role"] != "delivery_boy":
        raise NotFound("No such delivery boy.")
    stops = round_for(delivery_boy_id, day)
    # The cash the boy holds for the office: his to hand over, the staff's to check (not a link's business).
    held = cash.with_boy(delivery_boy_id) if actor.kind != "link" else None
    return {"boy": boy, "day": day, "stops": stops, "load": van_load(stops), "progress": progress(stops),
            "can_confirm": may_confirm_on(actor, day), "cash_held": held}


def day_overview(day, *, area=None, actor):
    """Staff view of a day: per delivery boy, the progress of his round; stops without a boy apart.

    {"day", "area", "areas", "rounds": [{"boy", "progress"}], "unassigned": progress|None, "progress",
    "quantities": {product_id: qty due}} (the van load of every round, for the owner's page).
    What is due comes from the day's plan (`day_plan`, kept between requests until an order, a route or an area
    skip changes); what has been handed over from the deliveries written since the last read: three queries.
    """
    actor.require(*STAFF_ROLES)
    day = validate.day(day)
    area = validate.text(area, "area", label="Area", max_length=60, required=False) or None
    plan = day_plan.due_plan(day, area)
    statuses = day_plan.statuses(day, plan["version"])
    db = get_db()
    by_boy = {}
    for stop in plan["stops"].values():
        by_boy.setdefault(stop["boy"], []).append({"state": state_of(statuses.get(order_id)
                                                                     for order_id in stop["orders"])})
    boys = {boy["_id"]: boy for boy in db.users.find({"role": "delivery_boy"}, {"name": 1, "phone": 1, "active": 1})}
    rounds = [{"boy": boy, "progress": progress(by_boy.get(boy_id, []))}
              for boy_id, boy in boys.items() if boy.get("active") or boy_id in by_boy]
    rounds.sort(key=lambda entry: (-entry["progress"]["total"], entry["boy"]["name"]))
    unassigned = by_boy.get(None)
    everyone = [stop for stops in by_boy.values() for stop in stops]
    return {"day": day, "area": area, "areas": list(plan["areas"]), "rounds": rounds,
            "unassigned": progress(unassigned) if unassigned else None, "progress": progress(everyone),
            "quantities": dict(plan["quantities"])}


# ---------------------------------------------------------------- one stop, in one round trip

def stop_pipeline(customer_id, day):
    """One aggregate that brings everything a stop needs: the customer, his running subscriptions and that day's
    one-time orders, that day's deliveries, his bills of the month (delivery ids only: is a delivery billed?),
    late changes for the door, the product list and that day's bottle lot. Equality lookups only: the embedded server
    answers an `$or` or an uncorrelated `$match` lookup by scanning."""
    iso = day.isoformat()
    month = clock.month_of(day)
    return [
        {"$match": {"_id": customer_id}},
        {"$project": CUSTOMER_FIELDS},
        {"$lookup": {"from": "orders", "localField": "_id", "foreignField": "customer_id", "as": "subscriptions",
                     "pipeline": [{"$match": {"kind": "SUBSCRIPTION", "status": {"$in": list(RUNNING)}}}]}},
        {"$lookup": {"from": "orders", "localField": "_id", "foreignField": "customer_id", "as": "one_time",
                     "pipeline": [{"$match": {"kind": "ONE_TIME", "delivery_date": iso}}]}},
        {"$lookup": {"from": "deliveries", "localField": "_id", "foreignField": "customer_id", "as": "deliveries",
                     "pipeline": [{"$match": {"date": iso}}]}},
        {"$lookup": {"from": "bills", "localField": "_id", "foreignField": "customer_id", "as": "bills",
                     "pipeline": [{"$match": {"month": month}}, {"$project": {"lines.delivery_id": 1}}]}},
        {"$lookup": {"from": "change_requests", "localField": "_id", "foreignField": "customer_id", "as": "requests",
                     "pipeline": [{"$match": {"date": iso, "status": {"$in": FOR_THE_DOOR}}},
                                  {"$sort": {"created_at": 1}}]}},
        {"$lookup": {"from": "products", "pipeline": [{"$project": PRODUCT_FIELDS}], "as": "products"}},
        {"$lookup": {"from": "bottle_lots", "localField": "_id", "foreignField": "customer_id", "as": "bottle_lot",
                     "pipeline": [{"$match": {"date": iso}}]}},
    ]


def read_stop(customers, customer_id, day):
    """Everything about one customer's stop on `day`, in one round trip, from `customers` (a unit of work's
    bound collection, so the read is in its transaction's snapshot, or `get_db().customers`).

    Returns None for an unknown customer, else {"customer", "orders" (candidates), "due", "deliveries"
    ({order_id: delivery}), "billed" ({delivery_id: bill_id}), "products", "requests", "bottle_lot" (that day's,
    or None), "stop" (None when nothing is due)}."""
    found = list(customers.aggregate(stop_pipeline(customer_id, day))) if isinstance(customer_id, str) else []
    if not found:
        return None
    doc = found[0]
    orders = doc.pop("subscriptions") + doc.pop("one_time")
    deliveries = {d["order_id"]: d for d in doc.pop("deliveries")}
    billed = {line["delivery_id"]: bill["_id"] for bill in doc.pop("bills") for line in bill.get("lines") or []}
    products = {p["_id"]: p for p in doc.pop("products")}
    requests = doc.pop("requests")
    bottle_lot = next(iter(doc.pop("bottle_lot")), None)
    due = schedule.due_on(orders, day)
    stop = build_stop(doc, due, products, deliveries, requests) if due else None
    return {"customer": doc, "orders": orders, "due": due, "deliveries": deliveries, "billed": billed,
            "products": products, "requests": requests, "bottle_lot": bottle_lot, "stop": stop}


def stop_view(customer_id, day, *, delivery_boy_id, actor):
    """One stop of `delivery_boy_id`'s round on `day` as the round pages show it (one round trip):
    {"day", "stop", "can_confirm"}; NotFound when the actor may not reach that round or the customer is not a stop
    on it."""
    day = validate.day(day)
    check_access(actor, delivery_boy_id, day)
    found = read_stop(get_db().customers, customer_id, day)
    if found is None or found["stop"] is None or found["customer"].get("delivery_boy_id") != delivery_boy_id:
        raise NotFound("No such stop on this round.")
    return {"day": day, "stop": found["stop"], "can_confirm": may_confirm_on(actor, day)}
