"""Delivery confirmation: THE one write path, whoever confirms (delivery boy, shared link, staff).

One `deliveries` record per (order, date): a unique index plus an atomic upsert make a
repeat tap, a retry or two people confirming at once an update of that one record.
What is due comes from `schedule.quantity_on`, never from a second copy of its logic.
"""
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from webapp import clock
from webapp.db import get_db, in_transaction
from webapp.services import STAFF_ROLES, Conflict, Forbidden, NotFound, ValidationError, audit, guards, ids, \
    orders, schedule, validate

DELIVERED = "DELIVERED"
PARTIALLY_DELIVERED = "PARTIALLY_DELIVERED"
NOT_DELIVERED = "NOT_DELIVERED"
REASONS = {
    "door_locked": "Door locked",
    "refused": "Customer refused",
    "out_of_stock": "Out of stock",
    "other": "Other",
}
RESULT_LABELS = {DELIVERED: "Delivered in full", PARTIALLY_DELIVERED: "Partly delivered",
                 NOT_DELIVERED: "Not delivered"}
UPSERT_ATTEMPTS = 5


def quantity_field(order_id, product_id):
    """The form field (and error key) of one product's delivered quantity on one order."""
    return f"qty:{order_id}:{product_id}"


def via_for(actor):
    if actor.kind == "link":
        return "link"
    if actor.has_role("delivery_boy"):
        return "delivery_boy"
    return "staff"


def _link_allows(actor, customer, day):
    """A round link acts only on its own round (delivery boy + date), while live."""
    link = get_db().shared_links.find_one({"_id": actor.id})
    return bool(
        link and link.get("scope") == "round" and not link.get("revoked_at")
        and link.get("expires_at") and link["expires_at"] > clock.now()
        and link.get("date") == day.isoformat()
        and customer.get("delivery_boy_id") and link.get("delivery_boy_id") == customer["delivery_boy_id"]
    )


def check_actor(actor, customer, day):
    """Who may confirm this customer's stop: staff any, a delivery boy his own route, a link its round.

    A stop outside the actor's reach is NotFound: its existence is private.
    """
    if actor.is_system or actor.is_staff:
        return
    if actor.has_role("delivery_boy"):
        if customer.get("delivery_boy_id") != actor.id:
            raise NotFound("No such stop on your round.")
    elif actor.kind == "link":
        if not _link_allows(actor, customer, day):
            raise NotFound("No such stop on this round.")
    else:
        raise Forbidden("You are not allowed to confirm deliveries.")
    if day != clock.today():
        raise Conflict("Deliveries are recorded on the day itself; ask the office to record another day.")


def clean_day(day):
    day = validate.day(day)
    if day > clock.today():
        raise ValidationError("A delivery cannot be confirmed for a future date.", field="date")
    return day


def clean_outcome(order_id, due, delivered, reason):
    """(lines of {product_id, ordered_qty, delivered_qty}, status, reason) from what was handed over.

    `delivered` None means in full; otherwise {product_id: qty} naming only due products
    (a due product left out counts as 0).
    """
    errors = validate.Errors()
    handed = dict(due)
    if delivered is not None:
        if not isinstance(delivered, dict):
            raise ValidationError("Quantities are missing.")
        for product_id in delivered:
            if product_id not in due:
                errors.add(quantity_field(order_id, product_id), "This product is not due on this order that day.")
        for product_id, ordered in due.items():
            field = quantity_field(order_id, product_id)
            raw = delivered.get(product_id, 0)
            handed[product_id] = errors.check(
                field, validate.whole_number, raw, field, label="Delivered quantity", maximum=ordered)
    if reason not in (None, "") and reason not in REASONS:
        errors.add("reason", "Choose a reason from the list.")
    errors.raise_if_any()
    lines = [{"product_id": product_id, "ordered_qty": ordered, "delivered_qty": handed[product_id]}
             for product_id, ordered in sorted(due.items())]
    total = sum(line["delivered_qty"] for line in lines)
    if total == 0:
        if not reason:
            raise ValidationError("Say why nothing was delivered.", field="reason")
        return lines, NOT_DELIVERED, reason
    if all(line["delivered_qty"] == line["ordered_qty"] for line in lines):
        return lines, DELIVERED, None
    return lines, PARTIALLY_DELIVERED, reason or None


def price_lines(lines, customer, products, existing):
    """Fix the unit price on each line: the price already recorded, else custom price, else product price."""
    recorded = {line["product_id"]: line["unit_price_paise"] for line in (existing or {}).get("lines", [])}
    custom = customer.get("custom_prices") or {}
    for line in lines:
        product_id = line["product_id"]
        price = recorded.get(product_id)
        if price is None:
            price = custom.get(product_id) or products[product_id]["price_paise"]
        line["unit_price_paise"] = price
        line["amount_paise"] = price * line["delivered_qty"]
    return lines


def billed_on(delivery, *, session=None):
    """The id of the bill naming this delivery, or None (an index lookup)."""
    bill = get_db().bills.find_one(
        {"customer_id": delivery["customer_id"], "lines.delivery_id": delivery["_id"]}, {"_id": 1}, session=session)
    return bill["_id"] if bill else None


def _snapshot(delivery):
    if delivery is None:
        return None
    return {"status": delivery["status"], "reason": delivery.get("reason"),
            "lines": {line["product_id"]: line["delivered_qty"] for line in delivery["lines"]}}


def _load(order_id):
    order = get_db().orders.find_one({"_id": order_id}) if isinstance(order_id, str) else None
    if order is None:
        raise NotFound("No such order.")
    customer = get_db().customers.find_one({"_id": order["customer_id"]})
    if customer is None:
        raise NotFound("No such order.")
    return order, customer


def check_order(order, day):
    """The order's state must allow a delivery on `day`; returns what is due."""
    if order.get("status") == "CANCELLED":
        raise Conflict("This order was cancelled; it cannot be delivered.")
    if order.get("status") == "STOPPED":
        stopped_on = validate.as_date(order.get("stopped_on"))
        if stopped_on is None or day >= stopped_on:
            raise Conflict("This subscription is stopped; nothing is delivered on it.")
    due = schedule.quantity_on(order, day)
    if not due:
        raise Conflict(f"Nothing is due on this order on {day:%d %b %Y}.")
    return due


def confirm(order_id, day, delivered=None, *, reason=None, actor):
    """Record what was handed over for one order on one date (None = in full); returns the delivery.

    The same rules on every path; a repeat is an update of the one record, and an identical
    repeat changes nothing.
    """
    order, customer = _load(order_id)
    try:
        day = clean_day(day)
    except ValidationError:
        check_actor(actor, customer, clock.today())
        raise
    check_actor(actor, customer, day)
    due = check_order(order, day)
    lines, status, reason = clean_outcome(order["_id"], due, delivered, reason)

    db = get_db()
    key = {"order_id": order["_id"], "date": day.isoformat()}
    existing = db.deliveries.find_one(key)
    if existing is not None:
        bill_id = billed_on(existing)
        if bill_id:
            raise Conflict(f"This delivery is already on bill {bill_id}; a correction goes on the next bill "
                           f"as an adjustment.")
    price_lines(lines, customer, _products_of(lines), existing)
    after_snapshot = {"status": status, "reason": reason,
                      "lines": {line["product_id"]: line["delivered_qty"] for line in lines}}
    if existing is not None and _snapshot(existing) == after_snapshot and _same_lines(existing, lines):
        return existing

    now = clock.now()
    fields = {
        "order_kind": order["kind"],
        "customer_id": customer["_id"],
        "delivery_boy_id": customer.get("delivery_boy_id"),
        "month": clock.month_of(day),
        "status": status,
        "reason": reason,
        "lines": lines,
        "amount_paise": sum(line["amount_paise"] for line in lines),
        "via": via_for(actor),
        "confirmed_by": actor.as_doc(),
        "confirmed_at": now,
        "ip": actor.ip,
        "updated_at": now,
    }
    new_id = ids.new_id("DL", day)

    def write(session):
        # The check above answers quickly; this one, made under the customer-month guard that a bill
        # insert also writes, is the guarantee: a bill issued meanwhile makes this transaction retry.
        guards.count_delivery_write(customer["_id"], fields["month"], session=session)
        current = db.deliveries.find_one(key, {"_id": 1, "customer_id": 1}, session=session)
        bill_id = billed_on(current, session=session) if current else None
        if bill_id:
            raise Conflict(f"This delivery is already on bill {bill_id}; a correction goes on the next bill "
                           f"as an adjustment.")
        before = _upsert(key, fields, new_id, now, session)
        after = db.deliveries.find_one(key, session=session)
        if order["kind"] == "ONE_TIME":
            orders.mark_one_time_result(order["_id"], after["status"], session=session)
        verb = "correct" if before is not None else "confirm"
        audit.record(actor, f"delivery.{verb}", "delivery", after["_id"],
                     f"{RESULT_LABELS[status]} {order['_id']} for {customer['name']} on {day:%d %b %Y}",
                     changes={"before": _snapshot(before), "after": _snapshot(after)}, session=session)
        return after

    for _ in range(UPSERT_ATTEMPTS - 1):
        try:
            return in_transaction(write)
        except DuplicateKeyError:
            pass  # another confirmation inserted the record a moment ago: the retry updates it
    return in_transaction(write)


def _same_lines(existing, lines):
    return [(line["product_id"], line["unit_price_paise"]) for line in existing["lines"]] == \
        [(line["product_id"], line["unit_price_paise"]) for line in lines]


def _products_of(lines):
    products = {p["_id"]: p for p in get_db().products.find({"_id": {"$in": [line["product_id"] for line in lines]}})}
    for line in lines:
        if line["product_id"] not in products:
            raise Conflict("A product on this order no longer exists.")
    return products


def _upsert(key, fields, new_id, now, session):
    """Atomic insert-or-update of the (order, date) record; returns the document before (None if new)."""
    return get_db().deliveries.find_one_and_update(
        key,
        {"$set": fields, "$setOnInsert": {"_id": new_id, "created_at": now}, "$inc": {"revisions": 1}},
        upsert=True, return_document=ReturnDocument.BEFORE, session=session,
    )


def confirm_stop(customer_id, day, quantities=None, *, reason=None, delivery_boy_id=None, actor):
    """Confirm every order due at one customer's door on `day` through `confirm`; returns the deliveries.

    `quantities` None = everything in full; else {order_id: {product_id: qty}}. With a reason
    and no quantities, nothing was handed over. With `delivery_boy_id`, the stop must be on his round.
    """
    customer = get_db().customers.find_one({"_id": customer_id}) if isinstance(customer_id, str) else None
    if customer is None or (delivery_boy_id is not None and customer.get("delivery_boy_id") != delivery_boy_id):
        raise NotFound("No such stop on this round.")
    try:
        parsed_day = clean_day(day)
    except ValidationError:
        check_actor(actor, customer, clock.today())
        raise
    check_actor(actor, customer, parsed_day)
    due = schedule.due_for(parsed_day, [customer_id])
    if not due:
        raise Conflict("Nothing is due at this stop on that date.")
    # Check every order before writing any, so a bad quantity on one leaves the stop untouched.
    plan = []
    errors = validate.Errors()
    due_ids = {order["_id"] for order, _ in due}
    for order_id in (quantities or {}):
        if order_id not in due_ids:
            errors.add(None, "A quantity names an order that is not due at this stop.")
    for order, order_due in due:
        if quantities is None:
            delivered = {} if reason else None
        else:
            delivered = quantities.get(order["_id"], {})
        try:
            clean_outcome(order["_id"], order_due, delivered, reason)
        except ValidationError as error:
            for field, message in (error.errors or {None: error.message}).items():
                errors.add(field, message)
        plan.append((order["_id"], delivered))
    errors.raise_if_any()
    return [confirm(order_id, parsed_day, delivered, reason=reason, actor=actor) for order_id, delivered in plan]


def round_of(delivery_boy_id, day, *, actor):
    """One delivery boy's day as his page shows it: {"boy", "day", "stops", "load", "progress", "can_confirm"}.

    Staff see any round; a delivery boy only his own (another boy's is NotFound).
    """
    if actor.has_role("delivery_boy"):
        if delivery_boy_id != actor.id:
            raise NotFound("No such round.")
    else:
        actor.require(*STAFF_ROLES)
    day = validate.day(day)
    boy = get_db().users.find_one({"_id": delivery_boy_id, "role": "delivery_boy"}, {"name": 1, "phone": 1}) \
        if isinstance(delivery_boy_id, str) else None
    if boy is None:
        raise NotFound("No such delivery boy.")
    stops = schedule.round_for(delivery_boy_id, day)
    return {"boy": boy, "day": day, "stops": stops, "load": schedule.van_load(stops),
            "progress": schedule.progress(stops), "can_confirm": may_confirm_on(actor, day)}


def may_confirm_on(actor, day):
    """Staff record any past or present day; delivery boys and links only today."""
    if actor.is_staff or actor.is_system:
        return day <= clock.today()
    return day == clock.today()


def day_overview(day, *, area=None, actor):
    """Staff view of a day: per delivery boy, progress of his round; stops without a boy apart.

    {"day", "area", "areas", "rounds": [{"boy", "progress", "load"}], "unassigned": progress|None}
    """
    actor.require(*STAFF_ROLES)
    day = validate.day(day)
    area = validate.text(area, "area", label="Area", max_length=60, required=False) or None
    db = get_db()
    query = {"area": area} if area else {}
    stops = schedule.stops_for(query, day)
    by_boy = {}
    for stop in stops:
        by_boy.setdefault(stop["customer"].get("delivery_boy_id"), []).append(stop)
    boys = {boy["_id"]: boy for boy in db.users.find({"role": "delivery_boy"}, {"name": 1, "phone": 1, "active": 1})}
    rounds = [{"boy": boy, "progress": schedule.progress(by_boy.get(boy_id, [])),
               "load": schedule.van_load(by_boy.get(boy_id, []))}
              for boy_id, boy in boys.items() if boy.get("active") or boy_id in by_boy]
    rounds.sort(key=lambda entry: (-entry["progress"]["total"], entry["boy"]["name"]))
    unassigned = by_boy.get(None)
    return {"day": day, "area": area, "areas": sorted(a for a in db.customers.distinct("area") if a),
            "rounds": rounds, "unassigned": schedule.progress(unassigned) if unassigned else None,
            "progress": schedule.progress(stops)}
