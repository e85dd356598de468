"""Products and orders: old `orders` → ONE_TIME orders, `subscriptions_v2` and the still active old
`subscriptions` → SUBSCRIPTION orders, in the shapes services/orders.py writes."""
from webapp.legacy import reader
from webapp.services import customers as customer_rules

ONE_TIME_STATUSES = {"pending": "PENDING", "out_for_delivery": "PENDING", "confirmed": "PENDING",
                     "delivered": "DELIVERED", "partially_delivered": "PARTIALLY_DELIVERED",
                     "not_delivered": "NOT_DELIVERED", "cancelled": "CANCELLED", "canceled": "CANCELLED"}
SUBSCRIPTION_STATUSES = {"draft": "DRAFT", "active": "ACTIVE", "paused": "PAUSED", "stopped": "STOPPED",
                         "cancelled": "STOPPED", "canceled": "STOPPED"}
PATTERNS = {"daily": "daily", "alternate": "alternate", "alternate_days": "alternate", "weekly": "weekly",
            "custom": "custom"}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def plan_products(ctx):
    """{legacy product id: app product}; a product the app already has (same name) is merged into it."""
    report, money = ctx.report, ctx.money
    report.read("products", len(ctx.legacy["products"]))
    by_name = {product["name_key"]: product for product in ctx.app["products"]}
    imported = {product.get("legacy_id"): product for product in ctx.app["products"] if product.get("source")}
    products = {}
    for record in ctx.legacy["products"]:
        legacy_id, name = record.get("id"), str(record.get("name") or "").strip()
        if legacy_id in imported:
            products[legacy_id] = imported[legacy_id]
            ctx.already("products")
        elif name.casefold() in by_name:
            products[legacy_id] = by_name[name.casefold()]
            report.merged("products")
        else:
            price = money.paise(reader.pick(record, "price", "default_price"), "products", legacy_id, "price")
            if not name or not price or price <= 0:
                report.skip("products", legacy_id, "no name or no price")
                continue
            product = ctx.mark({"_id": ctx.new_product_id(), "name": name, "name_key": name.casefold(),
                                "unit": str(record.get("unit") or "unit"), "price_paise": price, "status": "active",
                                "created_at": ctx.now, "updated_at": ctx.now}, "products", legacy_id)
            by_name[product["name_key"]] = products[legacy_id] = product
            ctx.add("products", product)
            report.imported("products")
    return products


def _new_order(ctx, prefix, legacy_collection, legacy_id, customer, items, fields):
    return ctx.mark({"_id": ctx.new_id(prefix), "kind": "ONE_TIME" if prefix == "OR" else "SUBSCRIPTION",
                     "customer_id": customer["_id"], "delivery_boy_id": customer.get("delivery_boy_id"),
                     "items": items, **fields, "created_at": ctx.now,
                     "created_by": ctx.actor.as_doc(), "updated_at": ctx.now}, legacy_collection, legacy_id)


def _subscription_item(customer, product, qty):
    return {"product_id": product["_id"], "qty": qty, "unit_price_paise": customer_rules.unit_price(customer, product)}


def plan_one_time(ctx, products, customers):
    """{legacy order id: app order} of every imported (or already imported) one-time order."""
    report, money = ctx.report, ctx.money
    records = ctx.legacy["orders"]
    report.read("orders", len(records))
    planned = {}
    for record in records:
        legacy_id = record.get("id")
        if legacy_id in ctx.imported_orders:
            planned[legacy_id] = ctx.imported_orders[legacy_id]
            ctx.already("orders")
            continue
        customer = customers["users"].get(record.get("user_id")) or customers["customers_v2"].get(
            reader.pick(record, "customer_id", "customerId"))
        day = reader.day(record.get("delivery_date"))
        status = ONE_TIME_STATUSES.get(reader.status(record.get("status")))
        if customer is None:
            report.skip("orders", legacy_id, "its customer was not imported (no user or customer record)")
            continue
        if day is None:
            report.skip("orders", legacy_id, "no delivery date")
            continue
        if status is None:
            report.skip("orders", legacy_id, f"unknown status {record.get('status')!r}")
            continue
        items, problem = [], None
        for index, item in enumerate(record.get("items") or []):
            product = products.get(reader.pick(item, "product_id", "productId"))
            qty = reader.quantity(reader.pick(item, "quantity", "qty"))
            price = money.paise(item.get("price"), "orders", legacy_id, f"items.{index}.price")
            if product is None:
                problem = "an item names a product that was not imported"
            elif not qty:
                problem = "an item has no whole quantity"
            else:
                price = price if price is not None and price > 0 else customer_rules.unit_price(customer, product)
                items.append({"product_id": product["_id"], "qty": qty, "unit_price_paise": price})
        if problem or not items:
            report.skip("orders", legacy_id, problem or "no items")
            continue
        total = money.paise(reader.pick(record, "total_amount", "total"), "orders", legacy_id, "total_amount")
        fields = {"source": "legacy", "status": status, "delivery_date": day}
        if total is not None:
            fields["legacy_total_paise"] = total
        planned[legacy_id] = _new_order(ctx, "OR", "orders", legacy_id, customer, items, fields)
        ctx.add("orders", planned[legacy_id])
        report.imported("orders")
    return planned


def _weekdays(values):
    days = set()
    for value in values or []:
        if isinstance(value, int) and 0 <= value <= 6:
            days.add(value)
        elif str(value)[:3].lower() in WEEKDAYS:
            days.add(WEEKDAYS.index(str(value)[:3].lower()))
    return sorted(days)


def _subscription_fields(ctx, record, legacy_id, customer, product, qty, status):
    """The SUBSCRIPTION fields of a legacy record, or a reason it cannot be imported."""
    start = reader.day(record.get("start_date")) or reader.day(record.get("created_at"))
    if start is None:
        return None, "no start date"
    kind = PATTERNS.get(reader.status(reader.pick(record, "mode", "frequency", default="daily")))
    if kind is None:
        return None, f"unknown delivery pattern {record.get('mode')!r}"
    pattern = {"kind": kind}
    if kind == "weekly":
        pattern["weekdays"] = _weekdays(reader.pick(record, "weekdays", "days"))
    if kind == "custom":
        pattern["dates"] = sorted(filter(None, map(reader.day, record.get("custom_dates") or [])))
    end = reader.day(record.get("end_date"))
    overrides = {}
    for override in record.get("overrides") or []:
        day, override_qty = reader.day(override.get("date")), reader.quantity(reader.pick(override, "qty", "quantity"))
        if day and override_qty is not None:
            overrides[day] = {product["_id"]: override_qty}
    pauses = []
    for pause in record.get("pauses") or []:
        first = reader.day(reader.pick(pause, "start", "start_date", "first_day"))
        if first:
            pauses.append({"first_day": first, "last_day": reader.day(reader.pick(pause, "end", "end_date")),
                           "reason": None})
    as_of = ctx.as_of.isoformat()
    if status == "PAUSED" and not any(p["last_day"] is None for p in pauses):
        pauses.append({"first_day": max(as_of, start), "last_day": None, "reason": "paused in the old system"})
    stopped_on = None
    if status == "STOPPED":
        last = reader.day(record.get("last_delivery_at"))
        stopped_on = ctx.next_day(end or last or as_of)
    return {"source": "legacy", "status": status, "pattern": pattern, "start_date": start, "end_date": end,
            "overrides": overrides, "pauses": pauses, "skips": {}, "stopped_on": stopped_on}, None


def plan_subscriptions(ctx, products, customers):
    """{legacy subscription id (either generation): app order}."""
    report = ctx.report
    planned = {}
    for collection, owners in (("subscriptions_v2", "customers_v2"), ("subscriptions", "users")):
        records = ctx.legacy[collection]
        report.read(collection, len(records))
        for record in records:
            legacy_id = record.get("id")
            if legacy_id in ctx.imported_orders:
                planned[legacy_id] = ctx.imported_orders[legacy_id]
                ctx.already(collection)
                continue
            status = SUBSCRIPTION_STATUSES.get(reader.status(record.get("status")))
            if collection == "subscriptions" and status != "ACTIVE":
                report.skip(collection, legacy_id, f"old-generation subscription no longer active "
                                                   f"(status {record.get('status')!r})")
                continue
            owner = reader.pick(record, "customer_id", "customerId", "user_id", "userId")
            customer = customers[owners].get(owner) or customers["customers_v2"].get(owner) or \
                customers["users"].get(owner)
            product = products.get(reader.pick(record, "product_id", "productId"))
            qty = reader.quantity(reader.pick(record, "quantity", "qty"))
            reason = None
            if customer is None:
                reason = "its customer was not imported"
            elif product is None:
                reason = "its product was not imported"
            elif not qty:
                reason = "no whole quantity"
            elif status is None:
                reason = f"unknown status {record.get('status')!r}"
            fields = None
            if reason is None:
                fields, reason = _subscription_fields(ctx, record, legacy_id, customer, product, qty, status)
            if reason:
                report.skip(collection, legacy_id, reason)
                continue
            order = _new_order(ctx, "SU", collection, legacy_id, customer,
                               [_subscription_item(customer, product, qty)], fields)
            planned[legacy_id] = order
            ctx.add("orders", order)
            report.imported(collection)
    return planned
