"""Delivery confirmation: THE one write path, whoever confirms (delivery boy, shared link, staff).

One `deliveries` record per (order, date): a unique index plus upserts make a repeat tap, a retry
or two people confirming at once an update of that one record. What is due comes from the schedule
engine, never from a second copy of its logic.

A tap (one stop, however many orders at the door) is one unit of work in four round trips: one
aggregate reads the stop (customer, orders, that day's deliveries, the month's bills, products),
the new records' ids are taken, and the deliveries, the one-time orders' status, the customer's
billing guard and the audit entries go in one bulk write just before the commit.
"""
import re

from flask_babel import gettext, lazy_gettext
from pymongo import InsertOne, UpdateOne
from pymongo.errors import ClientBulkWriteException, DuplicateKeyError

from webapp import clock
from webapp.db import get_db
from webapp.services import Conflict, Forbidden, NotFound, ValidationError, bottles, cash, customers, guards, rounds, \
    schedule, uow, validate

DELIVERED = "DELIVERED"
PARTIALLY_DELIVERED = "PARTIALLY_DELIVERED"
NOT_DELIVERED = "NOT_DELIVERED"
REASONS = {
    "door_locked": lazy_gettext("Door locked"),
    "refused": lazy_gettext("Customer refused"),
    "out_of_stock": lazy_gettext("Out of stock"),
    "other": lazy_gettext("Other"),
}
RESULT_LABELS = {DELIVERED: "Delivered in full", PARTIALLY_DELIVERED: "Partly delivered",
                 NOT_DELIVERED: "Not delivered"}
TAP_KEY = re.compile(r"[A-Za-z0-9:_-]{8,80}")  # the phone's key of one tap (stop, date and a random part)
ATTEMPTS = 5  # two first taps on one record at once: the later insert fails, its retry updates


class OrderNotAtStop(ValidationError):
    """A confirmation names an order that is not due at this stop (to a link, a scope escape)."""


def quantity_field(order_id, product_id):
    """The form field (and error key) of one product's delivered quantity on one order."""
    return f"qty:{order_id}:{product_id}"


def via_for(actor):
    if actor.kind == "link":
        return "link"
    if actor.has_role("delivery_boy"):
        return "delivery_boy"
    return "staff"


def check_actor(actor, customer, day):
    """Who may confirm this customer's stop: staff any, a delivery boy his own route, a link its round, the last
    two only on the day itself. A stop outside the actor's reach is NotFound: its existence is private."""
    if actor.is_system or actor.is_staff:
        return
    if actor.has_role("delivery_boy"):
        if customer.get("delivery_boy_id") != actor.id:
            raise NotFound(gettext("No such stop on your round."))
    elif actor.kind == "link":
        if not rounds.link_allows(actor.link, customer, day):
            raise NotFound(gettext("No such stop on this round."))
    else:
        raise Forbidden(gettext("You are not allowed to confirm deliveries."))
    if day != clock.today():
        raise Conflict(gettext("Deliveries are recorded on the day itself; ask the office to record another day."))


def clean_day(day):
    day = validate.day(day)
    if day > clock.today():
        raise ValidationError(gettext("A delivery cannot be confirmed for a future date."), field="date")
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
            raise ValidationError(gettext("Quantities are missing."))
        for product_id in delivered:
            if product_id not in due:
                errors.add(quantity_field(order_id, product_id), gettext("This product is not due on this order that day."))
        for product_id, ordered in due.items():
            field = quantity_field(order_id, product_id)
            raw = delivered.get(product_id, 0)
            handed[product_id] = errors.check(
                field, validate.whole_number, raw, field, label="Delivered quantity", maximum=ordered)
    if reason not in (None, "") and reason not in REASONS:
        errors.add("reason", gettext("Choose a reason from the list."))
    errors.raise_if_any()
    lines = [{"product_id": product_id, "ordered_qty": ordered, "delivered_qty": handed[product_id]}
             for product_id, ordered in sorted(due.items())]
    total = sum(line["delivered_qty"] for line in lines)
    if total == 0:
        if not reason:
            raise ValidationError(gettext("Say why nothing was delivered."), field="reason")
        return lines, NOT_DELIVERED, reason
    if all(line["delivered_qty"] == line["ordered_qty"] for line in lines):
        return lines, DELIVERED, None
    return lines, PARTIALLY_DELIVERED, reason or None


def price_lines(lines, customer, products, existing):
    """Fix the unit price on each line: the price already recorded, else custom price, else product price."""
    recorded = {line["product_id"]: line["unit_price_paise"] for line in (existing or {}).get("lines", [])}
    for line in lines:
        product_id = line["product_id"]
        price = recorded.get(product_id)
        if price is None:
            if product_id not in products:
                raise Conflict(gettext("A product on this order no longer exists."))
            price = customers.unit_price(customer, products[product_id])
        line["unit_price_paise"] = price
        line["amount_paise"] = price * line["delivered_qty"]
    return lines


def check_order(order, day):
    """The order's state must allow a delivery on `day`; returns what is due."""
    if order.get("status") == "CANCELLED":
        raise Conflict(gettext("This order was cancelled; it cannot be delivered."))
    if order.get("status") == "STOPPED":
        stopped_on = validate.as_date(order.get("stopped_on"))
        if stopped_on is None or day >= stopped_on:
            raise Conflict(gettext("This subscription is stopped; nothing is delivered on it."))
    due = schedule.quantity_on(order, day)
    if not due:
        raise Conflict(gettext("Nothing is due on this order on %(day)s.", day=f"{day:%d %b %Y}"))
    return due


def _snapshot(delivery):
    if delivery is None:
        return None
    return {"status": delivery["status"], "reason": delivery.get("reason"),
            "lines": {line["product_id"]: line["delivered_qty"] for line in delivery["lines"]}}


def _unchanged(existing, lines, status, reason):
    return existing is not None and existing["status"] == status and existing.get("reason") == reason and \
        [(line["product_id"], line["delivered_qty"], line["unit_price_paise"]) for line in existing["lines"]] == \
        [(line["product_id"], line["delivered_qty"], line["unit_price_paise"]) for line in lines]


def _plan(found, day, outcomes, reason):
    """[(order, lines, status, reason)] for each order named in `outcomes` ({order_id: delivered or None});
    every order is checked before anything is written, and every field error reported at once."""
    candidates = {order["_id"]: order for order in found["orders"]}
    errors = validate.Errors()
    plan = []
    for order_id, delivered in outcomes.items():
        order = candidates.get(order_id)
        if order is None:
            raise Conflict(gettext("Nothing is due on this order that day."))
        try:
            lines, status, why = clean_outcome(order_id, check_order(order, day), delivered, reason)
        except ValidationError as error:
            for field, message in (error.errors or {None: error.message}).items():
                errors.add(field, message)
            continue
        plan.append((order, lines, status, why))
    errors.raise_if_any()
    return plan


def _write(u, found, day, plan):
    """Defer the writes of `plan` to the end of the unit; returns {order_id: the delivery as it now stands}."""
    customer = found["customer"]
    iso, month, now = day.isoformat(), clock.month_of(day), clock.now()
    changes = []
    for order, lines, status, reason in plan:
        existing = found["deliveries"].get(order["_id"])
        if existing is not None and existing["_id"] in found["billed"]:
            raise Conflict(gettext("This delivery is already on bill %(bill)s; a correction goes on the next bill as an "
                                   "adjustment.", bill=found["billed"][existing["_id"]]))
        price_lines(lines, customer, found["products"], existing)
        if not _unchanged(existing, lines, status, reason):
            changes.append((order, lines, status, reason, existing))
    result = dict(found["deliveries"])
    if not changes:
        return result
    new_ids = iter(u.new_ids("DL", sum(1 for change in changes if change[4] is None), day))
    actor = u.actor
    for order, lines, status, reason, existing in changes:
        fields = {
            "order_kind": order["kind"], "customer_id": customer["_id"],
            "delivery_boy_id": customer.get("delivery_boy_id"), "month": month, "status": status, "reason": reason,
            "lines": lines, "amount_paise": sum(line["amount_paise"] for line in lines), "via": via_for(actor),
            "confirmed_by": actor.as_doc(), "confirmed_at": now, "ip": actor.ip, "updated_at": now,
        }
        if existing is None:
            after = {"_id": next(new_ids), "order_id": order["_id"], "date": iso, **fields, "created_at": now,
                     "revisions": 1}
        else:
            after = {**existing, **fields, "revisions": existing.get("revisions", 0) + 1}
        u.defer(UpdateOne({"order_id": order["_id"], "date": iso},
                          {"$set": fields, "$setOnInsert": {"_id": after["_id"], "created_at": now},
                           "$inc": {"revisions": 1}}, upsert=True, namespace=u.namespace("deliveries")))
        if order["kind"] == "ONE_TIME" and order.get("status") != status:
            # A one-time order's status follows its delivery; a cancellation meanwhile conflicts on this document.
            u.defer(UpdateOne({"_id": order["_id"], "status": {"$ne": "CANCELLED"}},
                              {"$set": {"status": status, "updated_at": now}}, namespace=u.namespace("orders")))
        verb = "correct" if existing is not None else "confirm"
        u.record(f"delivery.{verb}", "delivery", after["_id"],
                 f"{RESULT_LABELS[status]} {order['_id']} for {customer['name']} on {day:%d %b %Y}",
                 changes={"before": _snapshot(existing), "after": _snapshot(after)})
        result[order["_id"]] = after
    # The customer-month guard: a bill being issued for this month writes it too, so one of the two
    # transactions conflicts and retries, and sees the other (see guards.py).
    u.defer(guards.count_delivery_write(customer["_id"], month, namespace=u.namespace("billing_guards")))
    return result


def _confirm(customer_id, day, outcomes_for, reason, *, delivery_boy_id=None, door=None, actor):
    """The tap: one unit of work for one stop. `outcomes_for(found)` names what to record:
    {order_id: delivered or None}; `door` ({"tap_key", "bottles", "cash_paise"}) what else happened at the door.
    Returns the stop as it now stands.

    A tap key is taken once (`tap_keys`, its `_id`): the same tap sent again (a phone's queue after a lost
    answer) records nothing and answers with the stop as it stands."""
    door = door or {}
    tap_key = door.get("tap_key")

    def work(u):
        found = rounds.read_stop(u.db.customers, customer_id, day)
        if found is None or (delivery_boy_id is not None and found["customer"].get("delivery_boy_id")
                             != delivery_boy_id):
            raise NotFound(gettext("No such stop on this round."))
        check_actor(actor, found["customer"], day)
        customer = found["customer"]
        if tap_key:
            # Sent with the tap's other writes: a key taken before fails the whole unit (see below).
            u.defer(InsertOne(namespace=u.namespace("tap_keys"), document={
                "_id": tap_key, "customer_id": customer_id, "date": day.isoformat(), "actor": actor.as_doc(),
                "at": clock.now()}))
        deliveries = _write(u, found, day, _plan(found, day, outcomes_for(found), reason))
        at_door = [deliveries[order["_id"]] for order, _ in found["due"] if deliveries.get(order["_id"])]
        customer["bottles_out"] = bottles.record_at_stop(u, customer, day, found["bottle_lot"], at_door,
                                                         found["products"], door.get("bottles"))
        if door.get("cash_paise"):
            cash.collect_at_stop(u, customer, day, door["cash_paise"], tap_key)
        return rounds.build_stop(customer, found["due"], found["products"], deliveries, found["requests"])

    for attempt in range(ATTEMPTS):
        try:
            return uow.run(actor, work)
        except (DuplicateKeyError, ClientBulkWriteException) as error:
            if tap_key and _collided(error):
                repeated = _repeated_tap(tap_key, customer_id, day)
                if repeated is not None:
                    return repeated
            if attempt == ATTEMPTS - 1 or not _collided(error):
                raise


def _repeated_tap(tap_key, customer_id, day):
    """The stop as it stands when `tap_key` was taken before for this stop (None: the key is new)."""
    taken = get_db().tap_keys.find_one({"_id": tap_key})
    if taken is None:
        return None
    if taken["customer_id"] != customer_id or taken["date"] != day.isoformat():
        raise Conflict(gettext("This tap was already sent for another stop; tap again."))
    return rounds.read_stop(get_db().customers, customer_id, day)["stop"]


def _collided(error):
    """A concurrent tap on the same record: a duplicate insert or a write conflict inside the bulk write."""
    if isinstance(error, DuplicateKeyError):
        return True
    codes = {getattr(error.error, "code", None)} | {e.get("code") for e in error.write_errors or []}
    return bool(codes & {11000, 112})


def _checked_day(day, customer_id, actor):
    """The date, or its field error, after the actor's reach was checked (another boy's stop stays a 404)."""
    try:
        return clean_day(day)
    except ValidationError:
        customer = get_db().customers.find_one({"_id": customer_id}, {"delivery_boy_id": 1}) \
            if isinstance(customer_id, str) else None
        if customer is not None:
            check_actor(actor, customer, clock.today())
        raise


def confirm(order_id, day, delivered=None, *, reason=None, actor):
    """Record what was handed over for one order on one date (None = in full); returns the delivery.

    The same rules on every path; a repeat is an update of the one record, and an identical repeat
    changes nothing."""
    order = get_db().orders.find_one({"_id": order_id}, {"customer_id": 1}) if isinstance(order_id, str) else None
    if order is None:
        raise NotFound("No such order.")
    day = _checked_day(day, order["customer_id"], actor)

    def outcomes_for(found):
        if order_id not in {candidate["_id"] for candidate in found["orders"]}:
            raise Conflict(gettext("Nothing is due on this order on %(day)s.", day=f"{day:%d %b %Y}"))
        return {order_id: delivered}

    stop = _confirm(order["customer_id"], day, outcomes_for, reason, actor=actor)
    return next(entry["delivery"] for entry in stop["orders"] if entry["order"]["_id"] == order_id)


def clean_door(tap_key, bottles_collected, cash_paise):
    """What else a tap carries: its key (letters, digits, `:-_`), the bottles collected (None: not counted), the
    cash taken (None: none); every field error at once."""
    errors = validate.Errors()
    if tap_key in (None, ""):
        tap_key = None
    elif not isinstance(tap_key, str) or not TAP_KEY.fullmatch(tap_key):
        errors.add("tap_key", gettext("This tap could not be recognised; tap again."))
    collected = errors.check("bottles", bottles.clean_collected, bottles_collected)
    cash_paise = errors.check("cash", cash.clean_cash, cash_paise)
    errors.raise_if_any()
    return {"tap_key": tap_key, "bottles": collected, "cash_paise": cash_paise}


def confirm_stop(customer_id, day, quantities=None, *, reason=None, delivery_boy_id=None, tap_key=None,
                 bottles_collected=None, cash_paise=None, door_only=False, actor):
    """Confirm every order due at one customer's door on `day`; returns the stop as it now stands
    (each entry of stop["orders"] with its "delivery").

    `quantities` None = everything in full; else {order_id: {product_id: qty}}. With a reason and no
    quantities, nothing was handed over. With `delivery_boy_id`, the stop must be on his round.
    In the same tap: `bottles_collected` (returnable bottles taken back), `cash_paise` (cash received, a payment
    waiting for the boy's handover), `tap_key` (the phone's key for this tap: a repeat records nothing).
    `door_only`: the bottles and cash alone, the deliveries left as they are.
    """
    if quantities is not None and not isinstance(quantities, dict):
        raise ValidationError(gettext("Quantities are missing."))
    day = _checked_day(day, customer_id, actor)
    door = clean_door(tap_key, bottles_collected, cash_paise)
    if door_only and door["bottles"] is None and door["cash_paise"] is None:
        raise ValidationError(gettext("Enter the bottles collected or the cash received."), field="bottles")

    def outcomes_for(found):
        if not found["due"]:
            raise Conflict(gettext("Nothing is due at this stop on that date."))
        due_ids = {order["_id"] for order, _ in found["due"]}
        if door_only:
            return {}
        if quantities is not None and not set(quantities) <= due_ids:
            raise OrderNotAtStop("A quantity names an order that is not due at this stop.")
        if quantities is None:
            return {order_id: ({} if reason else None) for order_id in sorted(due_ids)}
        return {order_id: quantities.get(order_id, {}) for order_id in sorted(due_ids)}

    return _confirm(customer_id, day, outcomes_for, reason, delivery_boy_id=delivery_boy_id, door=door, actor=actor)
