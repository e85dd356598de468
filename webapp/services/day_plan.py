"""What is due on a day and what has been handed over, kept in the process between requests, for the staff day
overview and the owner's morning page: each stop's delivery boy, orders and quantities, the quantities per product,
and each order's delivery status.

What is due depends on the orders and on the customers' rounds and areas (area skips and holds are copied onto the
orders), never on deliveries. Every unit of work that changes one of those moves the plan version in its own
transaction and notes which customers and orders it wrote (`uow.plan_version`, `uow.plan_changes`); every read here
starts by reading the version (one round trip). A plan is kept under (day, area, version): when the version has moved,
the newest plan kept of that day is brought up to date by reading the stops of the customers written since, which
costs milliseconds where reading every running subscription costs seconds at 10,000 customers. A plan is read whole
when none is kept, or when a unit changed more than can be told (an area skip, an import). A tap moves no version.

A day's delivery statuses are read whole once, then only the deliveries written since (every delivery write sets
`updated_at`; index updated_date), reaching back OVERLAP before the latest one seen so that a unit of work that
committed after a later one is not missed. Reading every delivery of a day costs seconds at 10,000 customers.
"""
import threading
from collections import OrderedDict
from datetime import datetime, timedelta, timezone

from webapp.db import get_db
from webapp.services import rounds, schedule, uow

KEPT = 8  # plans (one per day and area) and days of statuses: 10,000 customers' plan holds a few megabytes
# Longer than a transaction may stay open (MongoDB aborts one after 60 s): a delivery it wrote commits within it.
OVERLAP = timedelta(minutes=2)
DELIVERY_FIELDS = {"_id": 0, "order_id": 1, "status": 1, "updated_at": 1}
NEVER = datetime.min.replace(tzinfo=timezone.utc)  # before every delivery
_plans = OrderedDict()
_delivered = OrderedDict()  # (day, epoch) -> {"mark": latest updated_at seen, "orders": {order_id: (at, status)}}
_lock = threading.Lock()  # gunicorn threads of one worker share both


def due_plan(day, area=None):
    """{"stops": {customer_id: {"boy": delivery boy id or None, "orders": [order ids due], "due": {product_id:
    qty}, "order_counts": {product_id: orders bringing it}}}, "quantities": {product_id: qty due}, "order_counts":
    {product_id: orders bringing it}, "areas": [every customer area], "version"} for `day` (a date), of every
    customer or of `area`. Shared between calls: read it, never change it."""
    version = uow.plan_version()
    if version is None:
        return {**build(day, area), "version": None}
    with _lock:
        plan = _plans.get((day, area, version))
        if plan is not None:
            _plans.move_to_end((day, area, version))
            return plan
        older = [kept for (kept_day, kept_area, (epoch, _)), kept in _plans.items()
                 if (kept_day, kept_area, epoch) == (day, area, version[0])]
    base = max(older, key=lambda kept: kept["version"][1], default=None)
    changed = uow.plan_changes(base["version"]) if base else None
    if changed:
        version, customer_ids, order_ids = changed
        plan = {**patch(base, day, area, customer_ids, order_ids), "version": version}
    else:
        plan = {**build(day, area), "version": version}
    with _lock:
        for key in [key for key in _plans if key[:2] == (day, area)]:
            del _plans[key]  # the plan it brings up to date, or one of an older epoch: never read again
        _plans[(day, area, version)] = plan
        while len(_plans) > KEPT:
            _plans.popitem(last=False)
    return plan


def build(day, area=None):
    """The plan as due_plan returns it, read afresh: two queries (customers, orders) and the engine; three for an
    area's plan (its list of areas)."""
    area_of, stops = _read(day, area)
    return _plan(stops, area_of if area is None else None)


def patch(base, day, area, customer_ids, order_ids):
    """`base` with the stops of `customer_ids` and of the customers of `order_ids` read again: a customer moved to
    another area, deleted or with nothing due any more leaves no stop."""
    touched = set(customer_ids)
    if order_ids:
        touched.update(order["customer_id"] for order in get_db().orders.find(
            {"_id": {"$in": sorted(order_ids)}}, {"customer_id": 1}))
    area_of, fresh = _read(day, area, touched) if touched else ({}, {})
    stops = {customer_id: stop for customer_id, stop in base["stops"].items() if customer_id not in touched}
    stops.update(fresh)
    if base["area_of"] is None:
        return _plan(stops, None)
    every_area = {customer_id: name for customer_id, name in base["area_of"].items() if customer_id not in touched}
    every_area.update(area_of)
    return _plan(stops, every_area)


def _read(day, area, customer_ids=None):
    """({customer_id: area}, {customer_id: stop}) of every customer, or of `customer_ids`, in `area` (None: all)."""
    query = {"area": area} if area else {}
    if customer_ids is not None:
        query["_id"] = {"$in": sorted(customer_ids)}
    boy_of, area_of = {}, {}
    for customer in get_db().customers.find(query, {"delivery_boy_id": 1, "area": 1}, batch_size=rounds.BATCH):
        boy_of[customer["_id"]] = customer.get("delivery_boy_id")
        area_of[customer["_id"]] = customer.get("area")
    candidates = rounds.orders_for_day(day, boy_of if len(boy_of) <= rounds.IN_LIMIT else None,
                                       rounds.ENGINE_FIELDS) if boy_of else []
    stops = {}
    for order, due in schedule.due_on([order for order in candidates if order["customer_id"] in boy_of], day):
        stop = stops.setdefault(order["customer_id"], {"boy": boy_of[order["customer_id"]], "orders": [], "due": {},
                                                       "order_counts": {}})
        stop["orders"].append(order["_id"])
        for product_id, qty in due.items():
            stop["due"][product_id] = stop["due"].get(product_id, 0) + qty
            stop["order_counts"][product_id] = stop["order_counts"].get(product_id, 0) + 1
    return area_of, stops


def _plan(stops, area_of):
    """The plan of `stops`; `area_of` ({customer_id: area} of every customer) gives the list of areas, which an
    area's plan asks the database for."""
    quantities, order_counts = {}, {}
    for stop in stops.values():
        for product_id, qty in stop["due"].items():
            quantities[product_id] = quantities.get(product_id, 0) + qty
            order_counts[product_id] = order_counts.get(product_id, 0) + stop["order_counts"][product_id]
    names = area_of.values() if area_of is not None else get_db().customers.distinct("area")
    return {"stops": stops, "quantities": quantities, "order_counts": order_counts,
            "areas": sorted({name for name in names if name}), "area_of": area_of}


def statuses(day, version):
    """{order_id: delivery status} of every delivery of `day` (a date); `version` is the plan's (its epoch tells
    one database from the same database emptied and filled again)."""
    key = (day, version[0]) if version else None
    with _lock:
        kept = _delivered.get(key)
        mark = kept["mark"] if kept else NEVER
    query = {"date": day.isoformat()}
    if mark > NEVER:
        query = {"updated_at": {"$gte": mark - OVERLAP}, **query}
    found = get_db().deliveries.find(query, DELIVERY_FIELDS, batch_size=rounds.BATCH)
    if key is None:
        return {delivery["order_id"]: delivery["status"] for delivery in found}
    found = list(found)
    with _lock:
        kept = _delivered.setdefault(key, {"mark": NEVER, "orders": {}})
        _delivered.move_to_end(key)
        while len(_delivered) > KEPT:
            _delivered.popitem(last=False)
        orders = kept["orders"]
        for delivery in found:
            at = delivery.get("updated_at") or NEVER
            # Reads of two threads may land in either order: the latest write of each delivery wins.
            if at >= orders.get(delivery["order_id"], (NEVER,))[0]:
                orders[delivery["order_id"]] = (at, delivery["status"])
            kept["mark"] = max(kept["mark"], at)
        return {order_id: status for order_id, (_, status) in orders.items()}
