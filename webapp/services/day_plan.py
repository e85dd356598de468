"""What is due on a day and what has been handed over, kept in the process between requests, for the staff day
overview and the owner's morning page: each stop's delivery boy and orders, the quantities per product, and each
order's delivery status.

What is due depends on the orders, the customers' routes and areas (area skips and holds are copied onto the
orders), never on deliveries. Every unit of work that changes one of those moves the plan version in its own
transaction (`uow.plan_version`), and every read here starts by reading the version (one round trip): a plan is
kept under (day, area, version), so a change made in any worker shows on the next request in every worker, while
a tap, which moves no version, leaves the plan as it is.

A day's delivery statuses are read whole once, then only the deliveries written since (every delivery write sets
`updated_at`; index updated_date), reaching back OVERLAP before the latest one seen so that a unit of work that
committed after a later one is not missed. Reading every delivery of a day costs seconds at 10,000 customers.
"""
import threading
from collections import OrderedDict
from datetime import datetime, timedelta, timezone

from webapp.db import get_db
from webapp.services import rounds, schedule, uow

KEPT = 8  # plans (and days of statuses) of a few days and areas: 10,000 customers hold about a megabyte
# Longer than a transaction may stay open (MongoDB aborts one after 60 s): a delivery it wrote commits within it.
OVERLAP = timedelta(minutes=2)
DELIVERY_FIELDS = {"_id": 0, "order_id": 1, "status": 1, "updated_at": 1}
NEVER = datetime.min.replace(tzinfo=timezone.utc)  # before every delivery
_plans = OrderedDict()
_delivered = OrderedDict()  # (day, epoch) -> {"mark": latest updated_at seen, "orders": {order_id: (at, status)}}
_lock = threading.Lock()  # gunicorn threads of one worker share both


def due_plan(day, area=None):
    """{"stops": {customer_id: {"boy": delivery boy id or None, "orders": [order ids due]}}, "quantities":
    {product_id: qty due}, "areas": [every customer area], "version"} for `day` (a date), of every customer or of
    `area`. Shared between calls: read it, never change it."""
    version = uow.plan_version()
    key = (day, area, version)
    if version is not None:
        with _lock:
            plan = _plans.get(key)
            if plan is not None:
                _plans.move_to_end(key)
                return plan
    plan = {**build(day, area), "version": version}
    if version is not None:
        with _lock:
            _plans[key] = plan
            while len(_plans) > KEPT:
                _plans.popitem(last=False)
    return plan


def build(day, area=None):
    """The plan as due_plan returns it, read afresh: three queries (customers, orders, areas) and the engine."""
    db = get_db()
    boy_of = {c["_id"]: c.get("delivery_boy_id")
              for c in db.customers.find({"area": area} if area else {}, {"delivery_boy_id": 1},
                                         batch_size=rounds.BATCH)}
    candidates = rounds.orders_for_day(day, boy_of if len(boy_of) <= rounds.IN_LIMIT else None,
                                       rounds.ENGINE_FIELDS) if boy_of else []
    stops, quantities = {}, {}
    for order, due in schedule.due_on([order for order in candidates if order["customer_id"] in boy_of], day):
        stop = stops.setdefault(order["customer_id"], {"boy": boy_of[order["customer_id"]], "orders": []})
        stop["orders"].append(order["_id"])
        for product_id, qty in due.items():
            quantities[product_id] = quantities.get(product_id, 0) + qty
    return {"stops": stops, "quantities": quantities, "areas": sorted(a for a in db.customers.distinct("area") if a)}


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
