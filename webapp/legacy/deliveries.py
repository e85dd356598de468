"""Two signals of delivery, reconciled: `delivery_statuses` records and the one-time orders' own status.

Each record is linked to the order it fulfilled: by `order_id`, else `subscription_id`, else (customer, date)
against every order due that day per the schedule engine (one record per customer and date: the stop). What
it delivered is capped at what was due (the excess is reported). A record that matches nothing goes to
`unmatched_legacy_deliveries` with its reason, never dropped and never guessed. A one-time order counts as
delivered if either signal says so, and has exactly one delivery record.
"""
from collections import defaultdict
from datetime import datetime

from webapp.legacy import reader
from webapp.services import schedule

DELIVERED_STATUSES = {"delivered", "partial", "partially_delivered", "completed", "done"}


def _key(record):
    return record.get("id") or f"delivery_statuses:{record.get('customer_id')}:{reader.day(record.get('delivery_date'))}"


class Plan:
    def __init__(self, ctx, customers, boys):
        self.ctx = ctx
        self.customers = customers
        self.boys = boys
        self.by_order_day = {}  # (order_id, date) → delivery document (without _id until written)
        self.taken = set(ctx.imported_delivery_keys)  # (order_id, date) already in the app

    def customer(self, legacy_id):
        return self.customers["customers_v2"].get(legacy_id) or self.customers["users"].get(legacy_id)

    def delivery(self, order, day, delivered, *, legacy_id, customer, boy_id, confirmed_at,
                 legacy_collection="delivery_statuses"):
        """The delivery document the product writes (deliveries._write), for `delivered` {product_id: qty}."""
        ctx, prices = self.ctx, {item["product_id"]: item["unit_price_paise"] for item in order["items"]}
        due = schedule.quantity_on(order, day)
        lines = [{"product_id": product_id, "ordered_qty": qty, "delivered_qty": delivered.get(product_id, 0),
                  "unit_price_paise": prices[product_id], "amount_paise": prices[product_id] * delivered.get(product_id, 0)}
                 for product_id, qty in sorted(due.items())]
        handed = sum(line["delivered_qty"] for line in lines)
        if handed == 0:
            status, reason = "NOT_DELIVERED", "other"
        elif all(line["delivered_qty"] == line["ordered_qty"] for line in lines):
            status, reason = "DELIVERED", None
        else:
            status, reason = "PARTIALLY_DELIVERED", None
        return ctx.mark({
            "order_id": order["_id"], "date": day, "order_kind": order["kind"], "customer_id": customer["_id"],
            "delivery_boy_id": boy_id or customer.get("delivery_boy_id"), "month": day[:7], "status": status,
            "reason": reason, "lines": lines, "amount_paise": sum(line["amount_paise"] for line in lines),
            "via": "legacy", "confirmed_by": ctx.actor.as_doc(), "confirmed_at": confirmed_at, "ip": None,
            "created_at": ctx.now, "updated_at": ctx.now, "revisions": 1,
        }, legacy_collection, legacy_id)


def _unmatched(ctx, record, legacy_id, reason):
    ctx.report.unmatched += 1
    ctx.report.collections["delivery_statuses"]["skipped"] += 1  # listed in unmatched_legacy_deliveries
    ctx.add("unmatched_legacy_deliveries", {
        "_id": ctx.new_id("UL"), "import_id": ctx.import_id, "legacy_id": legacy_id,
        "customer_legacy_id": record.get("customer_id"), "date": reader.day(record.get("delivery_date")),
        "status": record.get("status"), "reason": reason, "record": record})


def _targets(record, day, customer, one_time, subscriptions, orders_of):
    """(orders the record fulfilled, the date each is delivered on) or (None, why it matches nothing)."""
    if record.get("order_id"):
        order = one_time.get(record["order_id"]) or subscriptions.get(record["order_id"])
        if order is None:
            return None, "its order_id names no imported order"
        on = order.get("delivery_date", day) if order["kind"] == "ONE_TIME" else day
        if not schedule.quantity_on(order, on):
            return None, f"its order {order['_id']} has nothing due on {on} (cancelled or not scheduled)"
        return [(order, on)], None
    if record.get("subscription_id"):
        order = subscriptions.get(record["subscription_id"])
        if order is None:
            return None, "its subscription_id names no imported subscription"
        if not schedule.quantity_on(order, day):
            return None, f"its subscription {order['_id']} has nothing due on {day}"
        return [(order, day)], None
    due = [(order, day) for order in orders_of.get(customer["_id"], []) if schedule.quantity_on(order, day)]
    if not due:
        return None, "no order of this customer was due that day"
    return due, None


def _handed(record, products):
    """{app product id: qty} a partial record lists, or None for "in full"."""
    if reader.status(record.get("delivery_type")) != "partial":
        return None
    handed = defaultdict(int)
    for line in record.get("delivered_products") or []:
        product = products.get(reader.pick(line, "product_id", "productId"))
        qty = reader.quantity(reader.pick(line, "quantity", "qty"))
        if product is not None and qty:
            handed[product["_id"]] += qty
    return dict(handed)


def plan(ctx, products, customers, boys, one_time, subscriptions):
    """[delivery documents without _id] and the one-time orders' statuses following their delivery."""
    report, records = ctx.report, ctx.legacy["delivery_statuses"]
    report.read("delivery_statuses", len(records))
    deliveries = Plan(ctx, customers, boys)
    orders_of = defaultdict(list)
    for order in list(one_time.values()) + list(subscriptions.values()):
        orders_of[order["customer_id"]].append(order)
    seen = set()
    for record in records:
        legacy_id = _key(record)
        if legacy_id in ctx.imported_legacy_ids["deliveries"] or legacy_id in ctx.imported_legacy_ids["unmatched"]:
            ctx.already("delivery_statuses")
            continue
        if legacy_id in seen:
            report.skip("delivery_statuses", legacy_id, "a second record for the same customer and date")
            continue
        seen.add(legacy_id)
        day, customer = reader.day(record.get("delivery_date")), deliveries.customer(record.get("customer_id"))
        if day is None:
            _unmatched(ctx, record, legacy_id, "no delivery date")
            continue
        if day > ctx.as_of.isoformat():
            report.skip("delivery_statuses", legacy_id, f"dated after the as-of date {ctx.as_of.isoformat()}")
            continue
        if customer is None:
            _unmatched(ctx, record, legacy_id, "its customer is not in the import")
            continue
        targets, why = _targets(record, day, customer, one_time, subscriptions, orders_of)
        if targets is None:
            _unmatched(ctx, record, legacy_id, why)
            continue
        targets = [(order, on) for order, on in targets
                   if (order["_id"], on) not in deliveries.by_order_day and (order["_id"], on) not in deliveries.taken]
        if not targets:
            report.skip("delivery_statuses", legacy_id, "its order already has a delivery record that day")
            continue
        delivered = reader.status(record.get("status")) in DELIVERED_STATUSES
        handed = _handed(record, products) if delivered else {}
        remaining = dict(handed or {})
        confirmed_at = record.get("delivered_at") if isinstance(record.get("delivered_at"), datetime) else ctx.now
        for order, on in targets:
            due = schedule.quantity_on(order, on)
            if handed is None:
                given = due
            else:
                given = {product_id: min(qty, remaining.get(product_id, 0)) for product_id, qty in due.items()}
                for product_id, qty in given.items():
                    if qty:
                        remaining[product_id] -= qty
            deliveries.by_order_day[(order["_id"], on)] = deliveries.delivery(
                order, on, given, legacy_id=legacy_id, customer=customer, boy_id=boys.get(record.get("delivery_boy_id")),
                confirmed_at=confirmed_at)
        for product_id, excess in sorted(remaining.items()):
            if excess > 0:
                report.capped.append({"legacy_id": legacy_id, "product_id": product_id,
                                      "legacy_qty": handed[product_id], "due_qty": handed[product_id] - excess})
        report.imported("delivery_statuses")

    # The order's own status is the other signal: delivered in full unless a record said partial.
    for legacy_id, order in one_time.items():
        if order.get("import_id") != ctx.import_id or order["status"] != "DELIVERED":
            continue
        key = (order["_id"], order["delivery_date"])
        existing = deliveries.by_order_day.get(key)
        if key in deliveries.taken or (existing is not None and existing["status"] != "NOT_DELIVERED"):
            continue
        customer = ctx.customers_by_id[order["customer_id"]]
        deliveries.by_order_day[key] = deliveries.delivery(
            order, order["delivery_date"], schedule.quantity_on(order, order["delivery_date"]),
            legacy_id=f"orders:{legacy_id}", customer=customer, boy_id=None, confirmed_at=ctx.now,
            legacy_collection="orders")
    for (order_id, _), delivery in deliveries.by_order_day.items():
        order = ctx.new_orders_by_id.get(order_id)
        if order is not None and order["kind"] == "ONE_TIME":  # its status follows its delivery
            order["status"] = delivery["status"]
    return list(deliveries.by_order_day.values())
