"""The one order master: subscriptions and one-time orders, whoever places them.

What is due on a date is decided only by `schedule.quantity_on`; this module writes the
documents it reads (items, pattern, overrides, pauses, skips, status) and guards the
cut-off: changes for a date close at CUTOFF_HOUR business time the evening before.
A customer's change after the cut-off is refused but kept as a late request note
(`change_requests`) for staff and the delivery boy; staff may override the cut-off.
"""
import re
from datetime import timedelta

from flask import current_app
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from webapp import clock
from webapp.db import get_db
from webapp.services import (STAFF_ROLES, Conflict, NotFound, ValidationError, audit, catalog,
                             customers, ids, schedule, validate)

ONE_TIME, SUBSCRIPTION = "ONE_TIME", "SUBSCRIPTION"
KINDS = (ONE_TIME, SUBSCRIPTION)
ONE_TIME_STATUSES = ("PENDING", "DELIVERED", "PARTIALLY_DELIVERED", "NOT_DELIVERED", "CANCELLED")
DELIVERY_RESULTS = ("DELIVERED", "PARTIALLY_DELIVERED", "NOT_DELIVERED")
SUBSCRIPTION_STATUSES = ("DRAFT", "ACTIVE", "PAUSED", "STOPPED")
PATTERN_KINDS = ("daily", "alternate", "weekly", "custom")
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAX_ITEMS = 20
MAX_CUSTOM_DATES = 366
MAX_PAUSE_DAYS = 366
MAX_LIST = 300


# ---------------------------------------------------------------- cut-off

def cutoff_for(day):
    """The moment changes for `day` close: CUTOFF_HOUR business time the evening before (aware UTC)."""
    return clock.local_datetime(day - timedelta(days=1), current_app.config["CUTOFF_HOUR"])


def is_open(day):
    """True while changes for `day` are still accepted without an override."""
    return clock.now() < cutoff_for(day)


def first_open_day():
    """The earliest date whose changes have not closed yet (tomorrow, or the day after after the cut-off)."""
    day = clock.today()
    while not is_open(day):
        day += timedelta(days=1)
    return day


def cutoff_message(day):
    moment = cutoff_for(day).astimezone(clock.business_tz())
    return (f"Changes for {day.strftime('%a %d %b')} closed at {moment.strftime('%H:%M')} "
            f"on {moment.strftime('%a %d %b')}.")


# ---------------------------------------------------------------- access

def is_customer_actor(actor):
    return actor.kind == "user" and actor.role == "customer"


def source_of(actor):
    """'customer' when a customer acts for himself, else 'staff' (staff and the system alike)."""
    return "customer" if is_customer_actor(actor) else "staff"


def require_access(actor, customer_id):
    """Staff act for anyone; a customer only for himself (anyone else's order does not exist for him)."""
    if is_customer_actor(actor):
        if not actor.customer_id or actor.customer_id != customer_id:
            raise NotFound("No such order.")
        return
    actor.require(*STAFF_ROLES)


def get_order(order_id, *, actor=None):
    """The order document; with `actor`, only if he may see it (another customer's → NotFound)."""
    if not isinstance(order_id, str) or not order_id:
        raise NotFound("No such order.")
    order = get_db().orders.find_one({"_id": order_id})
    if order is None:
        raise NotFound("No such order.")
    if actor is not None:
        require_access(actor, order["customer_id"])
    return order


# ---------------------------------------------------------------- validation

def clean_customer(customer_id):
    if not isinstance(customer_id, str) or not customer_id:
        raise ValidationError("Choose a customer.", field="customer_id")
    try:
        customer = customers.get_customer(customer_id)
    except NotFound:
        raise ValidationError("No such customer.", field="customer_id") from None
    if customer.get("status") == "stopped":
        raise ValidationError("This customer is stopped; restart him before ordering.", field="customer_id")
    return customer


def clean_items(items, customer):
    """[{product_id, qty, unit_price_paise}] at the customer's price in force now."""
    if not isinstance(items, (list, tuple)) or not items:
        raise ValidationError("Add at least one product.", field="items")
    if len(items) > MAX_ITEMS:
        raise ValidationError(f"At most {MAX_ITEMS} products in one order.", field="items")
    wanted = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("product_id"), str):
            raise ValidationError("Choose a product for every line.", field="items")
        qty = validate.whole_number(item.get("qty"), "items", minimum=1)
        wanted.append((item["product_id"], qty))
    product_ids = [product_id for product_id, _ in wanted]
    if len(set(product_ids)) != len(product_ids):
        raise ValidationError("Each product may appear only once; change its quantity instead.", field="items")
    products = catalog.products_by_id(product_ids)
    prices = customer.get("custom_prices") or {}
    cleaned = []
    for product_id, qty in wanted:
        product = catalog.ensure_orderable(products.get(product_id), field="items")
        price = prices.get(product_id) or product["price_paise"]
        cleaned.append({"product_id": product_id, "qty": qty, "unit_price_paise": price})
    return cleaned


def clean_day(value, field, label, *, actor, earliest=None):
    """A date not in the past; a customer may only choose dates whose changes are still open."""
    day = validate.day(value, field, label=label)
    if not actor.is_system:  # the system (demo seeding, imports) may record orders that began earlier
        validate.not_past(day, field, label=label)
    if earliest is not None and day < earliest:
        raise ValidationError(f"{cutoff_message(day)} The earliest date is {earliest.strftime('%a %d %b')}.",
                              field=field)
    return day


def clean_pattern(pattern, start, end):
    """{kind, weekdays, dates} as stored; dates must lie within start..end."""
    if not isinstance(pattern, dict) or pattern.get("kind") not in PATTERN_KINDS:
        raise ValidationError("Choose how often: daily, alternate days, weekly or on chosen dates.",
                              field="pattern")
    kind = pattern["kind"]
    weekdays, dates = [], []
    if kind == "weekly":
        raw = pattern.get("weekdays") or []
        if not isinstance(raw, (list, tuple)) or not raw:
            raise ValidationError("Choose at least one weekday.", field="weekdays")
        for value in raw:
            weekday = validate.whole_number(value, "weekdays", label="Weekday", minimum=0, maximum=6)
            if weekday not in weekdays:
                weekdays.append(weekday)
        weekdays.sort()
    if kind == "custom":
        raw = pattern.get("dates") or []
        if not isinstance(raw, (list, tuple)) or not raw:
            raise ValidationError("Choose at least one date.", field="dates")
        if len(raw) > MAX_CUSTOM_DATES:
            raise ValidationError(f"At most {MAX_CUSTOM_DATES} dates.", field="dates")
        for value in raw:
            day = validate.day(value, "dates", label="Each date")
            if start is not None and day < start:
                raise ValidationError("Every date must be on or after the start date.", field="dates")
            if end is not None and day > end:
                raise ValidationError("Every date must be on or before the end date.", field="dates")
            if day.isoformat() not in dates:
                dates.append(day.isoformat())
        dates.sort()
    return {"kind": kind, "weekdays": weekdays, "dates": dates}


def describe_pattern(pattern):
    kind = pattern.get("kind")
    if kind == "weekly":
        return "Weekly: " + ", ".join(WEEKDAY_NAMES[d] for d in pattern.get("weekdays") or [])
    if kind == "custom":
        return f"On {len(pattern.get('dates') or [])} chosen dates"
    return {"daily": "Daily", "alternate": "Every second day"}.get(kind, kind or "")


# ---------------------------------------------------------------- creating orders

def _earliest_for(actor):
    return first_open_day() if is_customer_actor(actor) else None


def create_subscription(customer_id, items, pattern, start_date, end_date=None, *, draft=False, actor):
    """A recurring order (ACTIVE, or DRAFT when `draft`); returns the order."""
    require_access(actor, customer_id)
    errors = validate.Errors()
    customer = errors.check("customer_id", clean_customer, customer_id)
    cleaned_items = errors.check("items", clean_items, items, customer) if customer else None
    start = errors.check("start_date", clean_day, start_date, "start_date", "Start date", actor=actor,
                         earliest=_earliest_for(actor))
    end = None
    if end_date not in (None, ""):
        end = errors.check("end_date", clean_day, end_date, "end_date", "End date", actor=actor)
        if end is not None and start is not None and end < start:
            errors.add("end_date", "The end date cannot be before the start date.")
            end = None
    cleaned_pattern = None
    try:
        cleaned_pattern = clean_pattern(pattern, start, end)
    except ValidationError as error:
        errors.add(error.field or "pattern", error.message)
    errors.raise_if_any()

    now = clock.now()
    order = {
        "_id": ids.new_id("SU"),
        "kind": SUBSCRIPTION,
        "customer_id": customer_id,
        "items": cleaned_items,
        "source": source_of(actor),
        "status": "DRAFT" if draft else "ACTIVE",
        "pattern": cleaned_pattern,
        "start_date": start.isoformat(),
        "end_date": end.isoformat() if end else None,
        "overrides": {},
        "pauses": [],
        "skips": _area_skips_from(customer, start),
        "stopped_on": None,
        "created_at": now,
        "created_by": actor.as_doc(),
        "updated_at": now,
    }
    get_db().orders.insert_one(order)
    audit.record(actor, "order.create", "order", order["_id"],
                 f"Subscription for {customer['name']}: {describe_pattern(cleaned_pattern)} from {start}",
                 changes={"items": _items_summary(cleaned_items), "source": order["source"]})
    return order


def create_one_time_order(customer_id, items, delivery_date, *, actor):
    """A one-off order for one delivery date (PENDING); returns the order."""
    require_access(actor, customer_id)
    errors = validate.Errors()
    customer = errors.check("customer_id", clean_customer, customer_id)
    cleaned_items = errors.check("items", clean_items, items, customer) if customer else None
    day = errors.check("delivery_date", clean_day, delivery_date, "delivery_date", "Delivery date", actor=actor,
                       earliest=_earliest_for(actor))
    errors.raise_if_any()

    now = clock.now()
    order = {
        "_id": ids.new_id("OR"),
        "kind": ONE_TIME,
        "customer_id": customer_id,
        "items": cleaned_items,
        "source": source_of(actor),
        "status": "PENDING",
        "delivery_date": day.isoformat(),
        "created_at": now,
        "created_by": actor.as_doc(),
        "updated_at": now,
    }
    get_db().orders.insert_one(order)
    audit.record(actor, "order.create", "order", order["_id"], f"One-time order for {customer['name']} on {day}",
                 changes={"items": _items_summary(cleaned_items), "source": order["source"]})
    return order


def _items_summary(items):
    return {item["product_id"]: item["qty"] for item in items}


# ---------------------------------------------------------------- the cut-off gate

def _gate(order, day, change, *, actor, override_cutoff, late_note, late_payload):
    """Let a change for `day` through, or refuse it at the cut-off.

    Returns True when staff overrode the cut-off (the caller audits it as an override).
    A customer's late change is kept as a request note before the refusal.
    """
    if is_open(day):
        return False
    if is_customer_actor(actor):
        _record_late_request(order, day, change, late_note, late_payload, actor=actor)
        raise Conflict(f"{cutoff_message(day)} We have noted your request and passed it to our staff and your "
                       "delivery boy; they will confirm it at the door.")
    if not override_cutoff:
        raise Conflict(f"{cutoff_message(day)} Tick 'override the cut-off' to change it anyway.")
    actor.require(*STAFF_ROLES)
    return True


def _check_change_day(value, field="day", label="Date"):
    day = validate.day(value, field, label=label)
    validate.not_past(day, field, label=label)
    return day


def _update(order, update, *, expect=None):
    """Apply `update` if the order is unchanged in the fields of `expect` (optimistic check)."""
    query = {"_id": order["_id"], **(expect or {})}
    update.setdefault("$set", {})["updated_at"] = clock.now()
    result = get_db().orders.find_one_and_update(query, update, return_document=ReturnDocument.AFTER)
    if result is None:
        raise Conflict("This order was changed meanwhile. Reload and try again.")
    return result


# ---------------------------------------------------------------- per-date changes

def set_quantity(order_id, day, items, *, override_cutoff=False, actor):
    """Change a subscription's quantities on one date (qty 0 = skip that product; all 0 = skip the day)."""
    order = get_order(order_id, actor=actor)
    if order["kind"] != SUBSCRIPTION:
        raise ValidationError("A one-time order is changed by cancelling it and placing a new one.", field="items")
    day = _check_change_day(day)
    quantities = _clean_day_quantities(order, items)
    if order.get("stopped_on") and day.isoformat() >= order["stopped_on"]:
        raise Conflict("This subscription is stopped.")
    if not schedule.within_term(order, day):
        raise ValidationError("The subscription does not run on that date.", field="day")
    state = schedule.explain(order, day)
    if state["state"] == schedule.SKIPPED and (order.get("skips") or {}).get(day.isoformat()):
        raise Conflict(f"There are no deliveries that day: {state['reason']}.")
    if state["state"] == schedule.PAUSED:
        raise Conflict("The subscription is paused that day; resume it first.")
    names = catalog.products_by_id(list(quantities))
    usual = _pattern_quantities(order, day)
    now_due = state["quantities"]
    wanted = ", ".join(f"{names[p]['name'] if p in names else p} × {q}" for p, q in quantities.items())
    asked = ", ".join(f"{names[p]['name'] if p in names else p} × {q} instead of {now_due.get(p, 0)}"
                      for p, q in quantities.items() if q != now_due.get(p, 0))
    overridden = _gate(order, day, "quantity", actor=actor, override_cutoff=override_cutoff,
                       late_note=f"Asked for {asked or wanted} — confirm at the door",
                       late_payload={"items": [{"product_id": p, "qty": q} for p, q in quantities.items()]})
    key = f"overrides.{day.isoformat()}"
    if all(usual.get(p, 0) == q for p, q in quantities.items()):
        updated = _update(order, {"$unset": {key: ""}})
    else:
        updated = _update(order, {"$set": {key: quantities}})
    audit.record(actor, "order.override_cutoff" if overridden else "order.set_quantity", "order", order["_id"],
                 f"Quantities on {day}: {wanted}" + (" (after the cut-off)" if overridden else ""),
                 changes={"day": day.isoformat(), "quantities": quantities})
    return updated


def _pattern_quantities(order, day):
    if not schedule.pattern_matches(order, day):
        return {}
    return {item["product_id"]: item["qty"] for item in order["items"]}


def _clean_day_quantities(order, items):
    """{product_id: qty} for products of this subscription, 0..50 each."""
    if not isinstance(items, (list, tuple)) or not items:
        raise ValidationError("Give a quantity for at least one product.", field="items")
    known = {item["product_id"] for item in order["items"]}
    quantities = {}
    for item in items:
        if not isinstance(item, dict) or item.get("product_id") not in known:
            raise ValidationError("That product is not part of this subscription.", field="items")
        quantities[item["product_id"]] = validate.whole_number(item.get("qty"), "items", minimum=0)
    return quantities


def pause(order_id, first_day, last_day=None, *, reason=None, override_cutoff=False, actor):
    """Pause a subscription from first_day to last_day (both included; None = until resumed)."""
    order = get_order(order_id, actor=actor)
    if order["kind"] != SUBSCRIPTION:
        raise ValidationError("Only a subscription can be paused.", field="first_day")
    if order["status"] == "STOPPED":
        raise Conflict("This subscription is stopped.")
    errors = validate.Errors()
    first = errors.check("first_day", _check_change_day, first_day, "first_day", "First day")
    last = None
    if last_day not in (None, ""):
        last = errors.check("last_day", validate.day, last_day, "last_day", label="Last day")
        if last is not None and first is not None:
            if last < first:
                errors.add("last_day", "The last day cannot be before the first day.")
            elif (last - first).days >= MAX_PAUSE_DAYS:
                errors.add("last_day", f"A pause can last at most {MAX_PAUSE_DAYS} days.")
    reason = errors.check("reason", validate.text, reason, "reason", label="Reason", max_length=200,
                          required=False)
    errors.raise_if_any()
    for existing in order.get("pauses") or []:
        other_first, other_last = clock.parse_day(existing["first_day"]), existing.get("last_day")
        other_last = clock.parse_day(other_last) if other_last else None
        if (last is None or other_first <= last) and (other_last is None or first <= other_last):
            raise Conflict("It is already paused for some of these days; resume or change that pause first.")
    until = last.strftime("%a %d %b") if last else "further notice"
    overridden = _gate(order, first, "pause", actor=actor, override_cutoff=override_cutoff,
                       late_note=f"Asked to pause from {first.strftime('%a %d %b')} to {until} — "
                                 "confirm before delivering",
                       late_payload={"first_day": first.isoformat(), "last_day": last.isoformat() if last else None})
    entry = {"pause_id": ids.new_id("PZ"), "first_day": first.isoformat(),
             "last_day": last.isoformat() if last else None, "reason": reason or None}
    update = {"$push": {"pauses": entry}}
    if last is None:
        update["$set"] = {"status": "PAUSED"}
    updated = _update(order, update, expect={"pauses": order.get("pauses") or [], "status": order["status"]})
    audit.record(actor, "order.override_cutoff" if overridden else "order.pause", "order", order["_id"],
                 f"Paused from {first} to {last or 'further notice'}" + (" (after the cut-off)" if overridden else ""),
                 changes=entry)
    return updated


def resume(order_id, day, *, override_cutoff=False, actor):
    """End the pause covering `day` so deliveries start again on `day`."""
    order = get_order(order_id, actor=actor)
    if order["kind"] != SUBSCRIPTION:
        raise ValidationError("Only a subscription can be resumed.", field="day")
    day = _check_change_day(day)
    covering = schedule.in_pause(order, day)
    if covering is None:
        raise Conflict("The subscription is not paused on that day.")
    overridden = _gate(order, day, "resume", actor=actor, override_cutoff=override_cutoff,
                       late_note=f"Asked to resume deliveries on {day.strftime('%a %d %b')} — confirm at the door",
                       late_payload={"day": day.isoformat()})
    pauses = []
    for entry in order.get("pauses") or []:
        if entry is covering:
            if clock.parse_day(entry["first_day"]) < day:
                pauses.append({**entry, "last_day": (day - timedelta(days=1)).isoformat()})
        else:
            pauses.append(entry)
    update = {"$set": {"pauses": pauses}}
    if order["status"] == "PAUSED" and all(p.get("last_day") for p in pauses):
        update["$set"]["status"] = "ACTIVE"
    updated = _update(order, update, expect={"pauses": order.get("pauses") or []})
    audit.record(actor, "order.override_cutoff" if overridden else "order.resume", "order", order["_id"],
                 f"Resumed from {day}" + (" (after the cut-off)" if overridden else ""),
                 changes={"day": day.isoformat()})
    return updated


# ---------------------------------------------------------------- status changes

def activate(order_id, *, actor):
    """DRAFT → ACTIVE."""
    order = get_order(order_id, actor=actor)
    if order["kind"] != SUBSCRIPTION or order["status"] != "DRAFT":
        raise Conflict("Only a draft subscription can be activated.")
    updated = _update(order, {"$set": {"status": "ACTIVE"}}, expect={"status": "DRAFT"})
    audit.record(actor, "order.activate", "order", order["_id"], "Activated")
    return updated


def stop(order_id, from_day=None, *, override_cutoff=False, actor):
    """End a subscription: nothing is due from `from_day` (default: the first date still open) on."""
    order = get_order(order_id, actor=actor)
    if order["kind"] != SUBSCRIPTION:
        raise ValidationError("Only a subscription can be stopped; cancel a one-time order.", field="from_day")
    if order["status"] == "STOPPED":
        raise Conflict("This subscription is already stopped.")
    day = first_open_day() if from_day in (None, "") else _check_change_day(from_day, "from_day", "Stop from")
    overridden = _gate(order, day, "stop", actor=actor, override_cutoff=override_cutoff,
                       late_note=f"Asked to stop from {day.strftime('%a %d %b')} — confirm before delivering",
                       late_payload={"from_day": day.isoformat()})
    updated = _update(order, {"$set": {"status": "STOPPED", "stopped_on": day.isoformat()}},
                      expect={"status": order["status"]})
    audit.record(actor, "order.override_cutoff" if overridden else "order.stop", "order", order["_id"],
                 f"Stopped from {day}" + (" (after the cut-off)" if overridden else ""),
                 changes={"stopped_on": day.isoformat()})
    return updated


def cancel(order_id, *, override_cutoff=False, actor):
    """Cancel a pending one-time order before its cut-off; a subscription is stopped from the first open date."""
    order = get_order(order_id, actor=actor)
    if order["kind"] == SUBSCRIPTION:
        return stop(order_id, override_cutoff=override_cutoff, actor=actor)
    if order["status"] != "PENDING":
        raise Conflict(f"This order is {order['status'].lower().replace('_', ' ')}; it can no longer be cancelled.")
    day = clock.parse_day(order["delivery_date"])
    overridden = _gate(order, day, "cancel", actor=actor, override_cutoff=override_cutoff,
                       late_note="Asked to cancel this one-time order — confirm before delivering",
                       late_payload={})
    updated = _update(order, {"$set": {"status": "CANCELLED", "cancelled_at": clock.now(),
                                       "cancelled_by": actor.as_doc()}}, expect={"status": "PENDING"})
    audit.record(actor, "order.override_cutoff" if overridden else "order.cancel", "order", order["_id"],
                 "Cancelled" + (" after the cut-off" if overridden else ""), changes={"status": "CANCELLED"})
    return updated


def mark_one_time_result(order_id, status, *, session=None):
    """Set a one-time order's status from its delivery (called by the deliveries service, which audits).

    A cancelled order never becomes delivered: Conflict."""
    if status not in DELIVERY_RESULTS + ("PENDING",):
        raise ValidationError("Unknown delivery status.", field="status")
    result = get_db().orders.find_one_and_update(
        {"_id": order_id, "kind": ONE_TIME, "status": {"$ne": "CANCELLED"}},
        {"$set": {"status": status, "updated_at": clock.now()}},
        return_document=ReturnDocument.AFTER, session=session,
    )
    if result is None:
        order = get_db().orders.find_one({"_id": order_id}, session=session)
        if order is None or order["kind"] != ONE_TIME:
            raise NotFound("No such one-time order.")
        raise Conflict("This order was cancelled; it cannot be delivered.")
    return result


# ---------------------------------------------------------------- late requests

def _record_late_request(order, day, change, note, payload, *, actor):
    now = clock.now()
    request = {
        "_id": ids.new_id("CR"),
        "order_id": order["_id"],
        "customer_id": order["customer_id"],
        "date": day.isoformat(),
        "change": change,
        "payload": payload,
        "note": note,
        "status": "OPEN",
        "created_at": now,
        "created_by": actor.as_doc(),
        "resolved_at": None,
        "resolved_by": None,
    }
    get_db().change_requests.insert_one(request)
    audit.record(actor, "order.late_request", "order", order["_id"], f"Late request for {day}: {note}",
                 changes={"request_id": request["_id"]})
    return request


def late_requests_for(customer_ids, day):
    """Open late requests of these customers for `day`, oldest first (one query; for the delivery list)."""
    query = {"customer_id": {"$in": list(customer_ids)}, "date": clock.parse_day(day).isoformat(),
             "status": "OPEN"}
    return list(get_db().change_requests.find(query).sort("created_at", 1))


def list_late_requests(*, status="OPEN", customer_id=None, actor):
    """Late requests for the staff view, newest date first."""
    actor.require(*STAFF_ROLES)
    query = {"status": status}
    if customer_id:
        query["customer_id"] = customer_id
    return list(get_db().change_requests.find(query).sort([("date", -1), ("created_at", 1)]).limit(MAX_LIST))


def _get_request(request_id):
    request = get_db().change_requests.find_one({"_id": request_id}) if isinstance(request_id, str) else None
    if request is None:
        raise NotFound("No such request.")
    if request["status"] != "OPEN":
        raise Conflict("This request has already been handled.")
    return request


def apply_late_request(request_id, *, actor):
    """Staff apply a customer's late request (an audited cut-off override) and close it."""
    actor.require(*STAFF_ROLES)
    request = _get_request(request_id)
    payload, order_id, day = request["payload"], request["order_id"], request["date"]
    change = request["change"]
    if change == "quantity":
        set_quantity(order_id, day, payload["items"], override_cutoff=True, actor=actor)
    elif change == "pause":
        pause(order_id, payload["first_day"], payload.get("last_day"), override_cutoff=True, actor=actor)
    elif change == "resume":
        resume(order_id, payload["day"], override_cutoff=True, actor=actor)
    elif change == "stop":
        stop(order_id, payload["from_day"], override_cutoff=True, actor=actor)
    elif change == "cancel":
        cancel(order_id, override_cutoff=True, actor=actor)
    return _resolve(request, "APPLIED", actor)


def dismiss_late_request(request_id, *, actor):
    """Close a late request without applying it."""
    actor.require(*STAFF_ROLES)
    return _resolve(_get_request(request_id), "DISMISSED", actor)


def _resolve(request, status, actor):
    updated = get_db().change_requests.find_one_and_update(
        {"_id": request["_id"], "status": "OPEN"},
        {"$set": {"status": status, "resolved_at": clock.now(), "resolved_by": actor.as_doc()}},
        return_document=ReturnDocument.AFTER,
    )
    if updated is None:
        raise Conflict("This request has already been handled.")
    audit.record(actor, f"order.late_request_{status.lower()}", "order", request["order_id"],
                 f"Late request {request['_id']} {status.lower()}")
    return updated


# ---------------------------------------------------------------- area-wide skips

def _area_query(area):
    """Subscriptions of customers in `area` (None = everyone)."""
    if not area:
        return {}
    customer_ids = [c["_id"] for c in get_db().customers.find({"area": area}, {"_id": 1})]
    return {"customer_id": {"$in": customer_ids}}


def _running_on(day):
    iso = day.isoformat()
    return {
        "kind": SUBSCRIPTION,
        "status": {"$in": ["ACTIVE", "PAUSED", "STOPPED"]},
        "start_date": {"$lte": iso},
        "$and": [
            {"$or": [{"end_date": None}, {"end_date": {"$gte": iso}}]},
            {"$or": [{"stopped_on": None}, {"stopped_on": {"$gt": iso}}]},
        ],
    }


def skip_area(day, reason, area=None, *, override_cutoff=False, actor):
    """Skip every subscription of an area (None = everyone) on `day`, with the reason customers see."""
    actor.require(*STAFF_ROLES)
    errors = validate.Errors()
    day = errors.check("day", _check_change_day, day)
    reason = errors.check("reason", validate.text, reason, "reason", label="Reason", max_length=120)
    area = errors.check("area", validate.text, area, "area", label="Area", max_length=60, required=False)
    errors.raise_if_any()
    overridden = not is_open(day)
    if overridden and not override_cutoff:
        raise Conflict(f"{cutoff_message(day)} Tick 'override the cut-off' to skip it anyway.")
    skip = {
        "_id": ids.new_id("SK"),
        "date": day.isoformat(),
        "area": area or None,
        "reason": reason,
        "active_key": f"{day.isoformat()}|{area or '*'}",
        "created_at": clock.now(),
        "created_by": actor.as_doc(),
        "undone_at": None,
        "undone_by": None,
    }
    try:
        get_db().area_skips.insert_one(skip)
    except DuplicateKeyError:
        raise Conflict("That date is already skipped for this area.") from None
    key = f"skips.{day.isoformat()}"
    query = {**_running_on(day), **_area_query(area), key: {"$exists": False}}
    result = get_db().orders.update_many(
        query, {"$set": {key: {"reason": reason, "skip_id": skip["_id"]}, "updated_at": clock.now()}})
    get_db().area_skips.update_one({"_id": skip["_id"]}, {"$set": {"orders_affected": result.modified_count}})
    where = area or "everyone"
    audit.record(actor, "order.skip_area", "area_skip", skip["_id"],
                 f"Skipped {day} for {where}: {reason} ({result.modified_count} subscriptions)"
                 + (" after the cut-off" if overridden else ""),
                 changes={"date": day.isoformat(), "area": area or None, "override_cutoff": overridden})
    skip["orders_affected"] = result.modified_count
    return skip


def undo_area_skip(skip_id, *, override_cutoff=False, actor):
    """Take an area-wide skip back (before its cut-off, or with an audited override)."""
    actor.require(*STAFF_ROLES)
    skip = get_db().area_skips.find_one({"_id": skip_id}) if isinstance(skip_id, str) else None
    if skip is None:
        raise NotFound("No such skip.")
    if skip.get("undone_at"):
        raise Conflict("This skip was already taken back.")
    day = clock.parse_day(skip["date"])
    overridden = not is_open(day)
    if overridden and not override_cutoff:
        raise Conflict(f"{cutoff_message(day)} Tick 'override the cut-off' to take the skip back anyway.")
    claimed = get_db().area_skips.find_one_and_update(
        {"_id": skip_id, "undone_at": None},
        {"$set": {"undone_at": clock.now(), "undone_by": actor.as_doc()}, "$unset": {"active_key": ""}},
        return_document=ReturnDocument.AFTER)
    if claimed is None:
        raise Conflict("This skip was already taken back.")
    key = f"skips.{skip['date']}"
    result = get_db().orders.update_many({f"{key}.skip_id": skip_id},
                                         {"$unset": {key: ""}, "$set": {"updated_at": clock.now()}})
    audit.record(actor, "order.unskip_area", "area_skip", skip_id,
                 f"Took back the skip of {skip['date']} for {skip['area'] or 'everyone'} "
                 f"({result.modified_count} subscriptions)" + (" after the cut-off" if overridden else ""))
    return claimed


def list_area_skips(*, actor, include_past=False):
    actor.require(*STAFF_ROLES)
    query = {"undone_at": None}
    if not include_past:
        query["date"] = {"$gte": clock.today().isoformat()}
    return list(get_db().area_skips.find(query).sort("date", 1).limit(MAX_LIST))


def _area_skips_from(customer, start):
    """Area-wide skips already announced for dates a new subscription covers."""
    query = {"undone_at": None, "date": {"$gte": start.isoformat()},
             "area": {"$in": [None, customer.get("area")]}}
    return {skip["date"]: {"reason": skip["reason"], "skip_id": skip["_id"]}
            for skip in get_db().area_skips.find(query).sort("created_at", 1)}


# ---------------------------------------------------------------- reading many orders

def customers_by_id(customer_ids):
    """{customer_id: customer} for the order lists (one query)."""
    return {c["_id"]: c for c in get_db().customers.find({"_id": {"$in": list(customer_ids)}})}


def orders_of_customer(customer_id, *, actor):
    """A customer's orders: subscriptions first, then one-time orders, newest first."""
    require_access(actor, customer_id)
    found = list(get_db().orders.find({"customer_id": customer_id}).sort("_id", -1).limit(MAX_LIST))
    return sorted(found, key=lambda order: order["kind"] != SUBSCRIPTION)


def _customer_ids_matching(text):
    """Customer ids for a typed customer id, or a name (its start or any word's start, any case)."""
    text = text.strip()
    words = re.escape(text.casefold()[:60])
    found = get_db().customers.find({"$or": [{"_id": text}, {"name_key": {"$regex": rf"(^|\s){words}"}}]},
                                    {"_id": 1})
    return [c["_id"] for c in found.limit(MAX_LIST)]


def list_orders(*, kind=None, status=None, customer=None, area=None, day=None, actor):
    """Staff's order list with filters; `customer` is an id or a name; `day` keeps the orders that bring
    something that day."""
    actor.require(*STAFF_ROLES)
    conditions = []
    if kind in KINDS:
        conditions.append({"kind": kind})
    if status in ONE_TIME_STATUSES + SUBSCRIPTION_STATUSES:
        conditions.append({"status": status})
    if customer:
        conditions.append({"customer_id": {"$in": _customer_ids_matching(customer)}})
    if area:
        conditions.append(_area_query(area))
    if day is not None:
        day = validate.day(day, "day")
        conditions.append({"$or": [{"kind": ONE_TIME, "delivery_date": day.isoformat()}, _running_on(day)]})
    query = {"$and": conditions} if conditions else {}
    found = list(get_db().orders.find(query).sort("_id", -1).limit(MAX_LIST))
    if day is not None:
        found = [order for order in found if order["kind"] == ONE_TIME or schedule.quantity_on(order, day)]
    return found


def customer_calendar(customer_id, month, *, actor):
    """The month view of one customer: per day, each order's state and quantities.

    Returns {"month", "weeks": [[day or None] * 7], "products": {id: product}, "requests": {date: [...]}},
    each day {"date", "entries": [{"order", "state", "quantities", "reason"}], "totals": {product_id: qty},
    "editable": bool, "past": bool}.
    """
    require_access(actor, customer_id)
    customers.get_customer(customer_id)
    month = validate.month(month)
    days = clock.month_days(month)
    first, last = days[0].isoformat(), days[-1].isoformat()
    # Two queries rather than one `$or` (see schedule.orders_for_day); the engine decides per day.
    orders = list(get_db().orders.find({"customer_id": customer_id, "kind": SUBSCRIPTION,
                                        "status": {"$ne": "DRAFT"}, "start_date": {"$lte": last}}))
    orders += get_db().orders.find({"customer_id": customer_id, "kind": ONE_TIME,
                                    "delivery_date": {"$gte": first, "$lte": last}})
    orders.sort(key=lambda order: order["_id"])
    product_ids = {item["product_id"] for order in orders for item in order["items"]}
    requests = {}
    for request in get_db().change_requests.find({"customer_id": customer_id, "status": "OPEN",
                                                  "date": {"$gte": first, "$lte": last}}):
        requests.setdefault(request["date"], []).append(request)
    today = clock.today()
    cells = []
    for day in days:
        entries, totals = [], {}
        for order in orders:
            explained = schedule.explain(order, day)
            if explained["state"] == schedule.OUTSIDE:
                continue
            if order["kind"] == ONE_TIME and order["status"] == "CANCELLED":
                continue
            entries.append({"order": order, **explained})
            for product_id, qty in explained["quantities"].items():
                totals[product_id] = totals.get(product_id, 0) + qty
        cells.append({"date": day, "entries": entries, "totals": totals, "past": day < today,
                      "editable": day >= today, "open": is_open(day),
                      "requests": requests.get(day.isoformat(), [])})
    weeks, week = [], [None] * days[0].weekday()
    for cell in cells:
        week.append(cell)
        if len(week) == 7:
            weeks.append(week)
            week = []
    if week:
        weeks.append(week + [None] * (7 - len(week)))
    return {"month": month, "weeks": weeks, "days": cells, "products": catalog.products_by_id(product_ids),
            "orders": orders}


def calendar_day(customer_id, day, *, actor):
    """One day of a customer's calendar, for the in-place editor."""
    day = validate.day(day, "day")
    calendar = customer_calendar(customer_id, clock.month_of(day), actor=actor)
    return next(cell for cell in calendar["days"] if cell["date"] == day), calendar


def history(order_id, *, actor):
    """The order's audit entries, newest first (staff)."""
    actor.require(*STAFF_ROLES)
    return audit.history("order", order_id)
