"""The one order master: subscriptions and one-time orders, whoever places them.

What is due on a date is decided only by `schedule.quantity_on`; this module writes the documents
it reads (items, pattern, overrides, pauses, status), each change one unit of work with its audit
entry. Changes for a date pass the cut-off gate (`cutoff.gate`); input is checked by `order_input`;
area-wide skips, late requests and the calendar live in their own modules.
"""
from datetime import timedelta

from pymongo import ReturnDocument

from webapp import clock
from webapp.db import get_db
from webapp.presentation import describe_pattern
from webapp.services import (STAFF_ROLES, Conflict, NotFound, ValidationError, area_skips, audit, away, catalog,
                             customers, cutoff, order_input, schedule, uow, validate)

ONE_TIME, SUBSCRIPTION = "ONE_TIME", "SUBSCRIPTION"
KINDS = (ONE_TIME, SUBSCRIPTION)
ONE_TIME_STATUSES = ("PENDING", "DELIVERED", "PARTIALLY_DELIVERED", "NOT_DELIVERED", "CANCELLED")
SUBSCRIPTION_STATUSES = ("DRAFT", "ACTIVE", "PAUSED", "STOPPED")
MAX_PAUSE_DAYS = 366
MAX_LIST = 300


# ---------------------------------------------------------------- access

def source_of(actor):
    """'customer' when a customer acts for himself, else 'staff' (staff and the system alike)."""
    return "customer" if actor.has_role("customer") else "staff"


def require_access(actor, customer_id):
    """Staff act for anyone; a customer only for himself (anyone else's order does not exist for him)."""
    if actor.has_role("customer"):
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


def allowed_actions(order, actor):
    """What `actor` may do to `order` from its page: {cancel, pause, resume, stop, activate, override_cutoff}.

    The entry points check the same rules (and the cut-off) again; this says which forms to offer."""
    running = order["kind"] == SUBSCRIPTION and order["status"] != "STOPPED"
    return {
        "cancel": order["kind"] == ONE_TIME and order["status"] == "PENDING",
        "pause": running,
        "resume": running and bool(order.get("pauses")),
        "stop": running,
        "activate": not actor.has_role("customer") and order["kind"] == SUBSCRIPTION and order["status"] == "DRAFT",
        "override_cutoff": cutoff.may_override(actor),
    }


# ---------------------------------------------------------------- creating orders

def _earliest_for(actor):
    return cutoff.first_open_day() if actor.has_role("customer") else None


def round_of(u, customer_id):
    """The customer's delivery boy, read inside the unit of work `u` (not from the customer checked before it, who
    may have moved since): a new order carries its customer's round, which `customers.assign_route` moves with him."""
    return (u.db.customers.find_one({"_id": customer_id}, {"delivery_boy_id": 1}) or {}).get("delivery_boy_id")


def create_subscription(customer_id, items, pattern, start_date, end_date=None, *, draft=False,
                        override_cutoff=False, reason=None, actor):
    """A recurring order (ACTIVE, or DRAFT when `draft`); returns the order.

    Staff starting it on a day already closed must tick the override and say why; the delivery boy then sees it
    on that stop as a late change."""
    require_access(actor, customer_id)
    errors = validate.Errors()
    customer = errors.check("customer_id", order_input.clean_customer, customer_id)
    cleaned_items = errors.check("items", order_input.clean_items, items, customer) if customer else None
    start = errors.check("start_date", order_input.clean_day, start_date, "start_date", "Start date", actor=actor,
                         earliest=_earliest_for(actor))
    end = None
    if end_date not in (None, ""):
        end = errors.check("end_date", order_input.clean_day, end_date, "end_date", "End date", actor=actor)
        if end is not None and start is not None and end < start:
            errors.add("end_date", "The end date cannot be before the start date.")
            end = None
    cleaned_pattern = None
    try:
        cleaned_pattern = order_input.clean_pattern(pattern, start, end)
    except ValidationError as error:
        errors.add(error.field or "pattern", error.message)
    errors.raise_if_any()
    overridden = False
    # The system (command line, demo seeding) sets up past and present business without a sign.
    if not draft and not actor.is_system and not cutoff.is_open(start):
        reason = validate.text(reason, "reason", label="Reason", max_length=200, required=False) or None
        overridden = away.check_open(start, actor=actor, override_cutoff=override_cutoff, reason=reason,
                                     field="start_date")
    skips = area_skips.skips_for_new_subscription(customer, start)

    def work(u):
        now = clock.now()
        order = {
            "_id": u.new_id("SU"),
            "kind": SUBSCRIPTION,
            "customer_id": customer_id,
            "delivery_boy_id": round_of(u, customer_id),
            "items": cleaned_items,
            "source": source_of(actor),
            "status": "DRAFT" if draft else "ACTIVE",
            "pattern": cleaned_pattern,
            "start_date": start.isoformat(),
            "end_date": end.isoformat() if end else None,
            "overrides": {},
            "pauses": [],
            "skips": skips,
            "holds": away.holds_for_new_order(customer, start.isoformat()),
            "stopped_on": None,
            "created_at": now,
            "created_by": actor.as_doc(),
            "updated_at": now,
        }
        u.db.orders.insert_one(order)
        u.record(_action(overridden, "create"), "order", order["_id"],
                 f"Subscription for {customer['name']}: {describe_pattern(cleaned_pattern)} from {start}"
                 + (f" (after the cut-off: {reason})" if overridden else ""),
                 changes={"items": _items_summary(cleaned_items), "source": order["source"]})
        if overridden:
            cutoff.record_late_change(u, order, start, f"New subscription from {start.strftime('%a %d %b')}, "
                                                       f"added after the cut-off: {reason}")
        return order

    return uow.run(actor, work)


def create_one_time_order(customer_id, items, delivery_date, *, actor):
    """A one-off order for one delivery date (PENDING); returns the order."""
    require_access(actor, customer_id)
    errors = validate.Errors()
    customer = errors.check("customer_id", order_input.clean_customer, customer_id)
    cleaned_items = errors.check("items", order_input.clean_items, items, customer) if customer else None
    day = errors.check("delivery_date", order_input.clean_day, delivery_date, "delivery_date", "Delivery date",
                       actor=actor, earliest=_earliest_for(actor))
    errors.raise_if_any()

    def work(u):
        now = clock.now()
        order = {
            "_id": u.new_id("OR"),
            "kind": ONE_TIME,
            "customer_id": customer_id,
            "delivery_boy_id": round_of(u, customer_id),
            "items": cleaned_items,
            "source": source_of(actor),
            "status": "PENDING",
            "delivery_date": day.isoformat(),
            "holds": away.holds_for_new_order(customer, day.isoformat()),
            "created_at": now,
            "created_by": actor.as_doc(),
            "updated_at": now,
        }
        u.db.orders.insert_one(order)
        u.record("order.create", "order", order["_id"], f"One-time order for {customer['name']} on {day}",
                 changes={"items": _items_summary(cleaned_items), "source": order["source"]})
        return order

    return uow.run(actor, work)


def _items_summary(items):
    return {item["product_id"]: item["qty"] for item in items}


# ---------------------------------------------------------------- changing an order

def _update(u, order, update, expect=None):
    """Inside a unit of work: apply `update` if the order is unchanged in the fields of `expect`
    (optimistic check); returns the order as updated."""
    update.setdefault("$set", {})["updated_at"] = clock.now()
    updated = u.db.orders.find_one_and_update({"_id": order["_id"], **(expect or {})}, update,
                                              return_document=ReturnDocument.AFTER)
    if updated is None:
        raise Conflict("This order was changed meanwhile. Reload and try again.")
    return updated


def _change(order, update, *, actor, action, summary, changes=None, expect=None):
    """One unit of work: the order's update (see `_update`) and its audit entry."""
    def work(u):
        updated = _update(u, order, update, expect)
        u.record(action, "order", order["_id"], summary, changes=changes)
        return updated

    return uow.run(actor, work)


def _action(overridden, name):
    return "order.override_cutoff" if overridden else f"order.{name}"


def set_quantity(order_id, day, items, *, override_cutoff=False, actor):
    """Change a subscription's quantities on one date (qty 0 = skip that product; all 0 = skip the day)."""
    order = get_order(order_id, actor=actor)
    if order["kind"] != SUBSCRIPTION:
        raise ValidationError("A one-time order is changed by cancelling it and placing a new one.", field="items")
    day = cutoff.change_day(day)
    quantities = order_input.clean_day_quantities(order, items)
    if order.get("stopped_on") and day.isoformat() >= order["stopped_on"]:
        raise Conflict("This subscription is stopped.")
    if not schedule.within_term(order, day):
        raise ValidationError("The subscription does not run on that date.", field="day")
    state = schedule.explain(order, day)
    if state["state"] == schedule.SKIPPED and (order.get("skips") or {}).get(day.isoformat()):
        raise Conflict(f"There are no deliveries that day: {state['reason']}.")
    hold = schedule.in_hold(order, day)
    if hold is not None:
        raise Conflict(f"Nothing is delivered to this home that day ({hold['reason']}).")
    if state["state"] == schedule.PAUSED:
        raise Conflict("The subscription is paused that day; resume it first.")
    names = catalog.products_by_id(list(quantities))
    usual = _pattern_quantities(order, day)
    now_due = state["quantities"]
    wanted = ", ".join(f"{names[p]['name'] if p in names else p} × {q}" for p, q in quantities.items())
    asked = ", ".join(f"{names[p]['name'] if p in names else p} × {q} instead of {now_due.get(p, 0)}"
                      for p, q in quantities.items() if q != now_due.get(p, 0))
    overridden = cutoff.gate(order, day, "quantity", actor=actor, override_cutoff=override_cutoff,
                             late_note=f"Asked for {asked or wanted} — confirm at the door",
                             late_payload={"items": [{"product_id": p, "qty": q} for p, q in quantities.items()]})
    key = f"overrides.{day.isoformat()}"
    back_to_usual = all(usual.get(p, 0) == q for p, q in quantities.items())
    return _change(order, {"$unset": {key: ""}} if back_to_usual else {"$set": {key: quantities}}, actor=actor,
                   action=_action(overridden, "set_quantity"),
                   summary=f"Quantities on {day}: {wanted}" + (" (after the cut-off)" if overridden else ""),
                   changes={"day": day.isoformat(), "quantities": quantities})


def _pattern_quantities(order, day):
    if not schedule.pattern_matches(order, day):
        return {}
    return {item["product_id"]: item["qty"] for item in order["items"]}


def pause(order_id, first_day, last_day=None, *, reason=None, override_cutoff=False, actor):
    """Pause a subscription from first_day to last_day (both included; None = until resumed)."""
    order = get_order(order_id, actor=actor)
    if order["kind"] != SUBSCRIPTION:
        raise ValidationError("Only a subscription can be paused.", field="first_day")
    if order["status"] == "STOPPED":
        raise Conflict("This subscription is stopped.")
    errors = validate.Errors()
    first = errors.check("first_day", cutoff.change_day, first_day, "first_day", "First day")
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
    # A customer's pause reaching past the closed days pauses the open ones at once; only the closed days
    # wait for staff as a late request.
    closed_part = None
    if actor.has_role("customer") and not cutoff.is_open(first):
        open_from = cutoff.first_open_day()
        if last is None or last >= open_from:
            closed_part = (first, open_from - timedelta(days=1))
            first = open_from
    until = last.strftime("%a %d %b") if last else "further notice"
    overridden = cutoff.gate(order, first, "pause", actor=actor, override_cutoff=override_cutoff,
                             late_note=f"Asked to pause from {first.strftime('%a %d %b')} to {until} — "
                                       "confirm before delivering",
                             late_payload={"first_day": first.isoformat(),
                                           "last_day": last.isoformat() if last else None})
    summary = f"Paused from {first} to {last or 'further notice'}" + (" (after the cut-off)" if overridden else "")

    def work(u):
        entry = {"pause_id": u.new_id("PZ"), "first_day": first.isoformat(),
                 "last_day": last.isoformat() if last else None, "reason": reason or None}
        update = {"$push": {"pauses": entry}}
        if last is None:
            update["$set"] = {"status": "PAUSED"}
        updated = _update(u, order, update, expect={"pauses": order.get("pauses") or [], "status": order["status"]})
        u.record(_action(overridden, "pause"), "order", order["_id"], summary, changes=entry)
        if closed_part:
            late_first, late_last = closed_part
            cutoff.record_late_request(
                u, order, late_first, "pause",
                f"Asked to pause from {late_first.strftime('%a %d %b')} to {late_last.strftime('%a %d %b')} — "
                "confirm before delivering",
                {"first_day": late_first.isoformat(), "last_day": late_last.isoformat()})
        return updated

    return uow.run(actor, work)


def resume(order_id, day, *, override_cutoff=False, actor):
    """End the pause covering `day` so deliveries start again on `day`."""
    order = get_order(order_id, actor=actor)
    if order["kind"] != SUBSCRIPTION:
        raise ValidationError("Only a subscription can be resumed.", field="day")
    day = cutoff.change_day(day)
    covering = schedule.in_pause(order, day)
    if covering is None:
        raise Conflict("The subscription is not paused on that day.")
    overridden = cutoff.gate(order, day, "resume", actor=actor, override_cutoff=override_cutoff,
                             late_note=f"Asked to resume deliveries on {day.strftime('%a %d %b')} — "
                                       "confirm at the door",
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
    return _change(order, update, actor=actor, action=_action(overridden, "resume"),
                   summary=f"Resumed from {day}" + (" (after the cut-off)" if overridden else ""),
                   changes={"day": day.isoformat()}, expect={"pauses": order.get("pauses") or []})


def activate(order_id, *, actor):
    """DRAFT → ACTIVE."""
    order = get_order(order_id, actor=actor)
    if order["kind"] != SUBSCRIPTION or order["status"] != "DRAFT":
        raise Conflict("Only a draft subscription can be activated.")
    return _change(order, {"$set": {"status": "ACTIVE"}}, actor=actor, action="order.activate", summary="Activated",
                   expect={"status": "DRAFT"})


def stop(order_id, from_day=None, *, override_cutoff=False, actor):
    """End a subscription: nothing is due from `from_day` (default: the first date still open) on."""
    order = get_order(order_id, actor=actor)
    if order["kind"] != SUBSCRIPTION:
        raise ValidationError("Only a subscription can be stopped; cancel a one-time order.", field="from_day")
    if order["status"] == "STOPPED":
        raise Conflict("This subscription is already stopped.")
    day = cutoff.first_open_day() if from_day in (None, "") else cutoff.change_day(from_day, "from_day", "Stop from")
    overridden = cutoff.gate(order, day, "stop", actor=actor, override_cutoff=override_cutoff,
                             late_note=f"Asked to stop from {day.strftime('%a %d %b')} — confirm before delivering",
                             late_payload={"from_day": day.isoformat()})
    return _change(order, {"$set": {"status": "STOPPED", "stopped_on": day.isoformat()}}, actor=actor,
                   action=_action(overridden, "stop"),
                   summary=f"Stopped from {day}" + (" (after the cut-off)" if overridden else ""),
                   changes={"stopped_on": day.isoformat()}, expect={"status": order["status"]})


def cancel(order_id, *, override_cutoff=False, actor):
    """Cancel a pending one-time order before its cut-off; a subscription is stopped from the first open date."""
    order = get_order(order_id, actor=actor)
    if order["kind"] == SUBSCRIPTION:
        return stop(order_id, override_cutoff=override_cutoff, actor=actor)
    if order["status"] != "PENDING":
        raise Conflict(f"This order is {order['status'].lower().replace('_', ' ')}; it can no longer be cancelled.")
    day = clock.parse_day(order["delivery_date"])
    overridden = cutoff.gate(order, day, "cancel", actor=actor, override_cutoff=override_cutoff,
                             late_note="Asked to cancel this one-time order — confirm before delivering",
                             late_payload={})
    return _change(order, {"$set": {"status": "CANCELLED", "cancelled_at": clock.now(),
                                    "cancelled_by": actor.as_doc()}}, actor=actor,
                   action=_action(overridden, "cancel"),
                   summary="Cancelled" + (" after the cut-off" if overridden else ""),
                   changes={"status": "CANCELLED"}, expect={"status": "PENDING"})


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
    text = customers.search_text(text)
    named = {"name_key": {"$regex": customers.name_words_pattern(text)}}
    found = get_db().customers.find({"$or": [{"_id": text}, named]}, {"_id": 1})
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
        conditions.append(area_skips.of_area(area))
    if day is not None:
        day = validate.day(day, "day")
        conditions.append({"$or": [{"kind": ONE_TIME, "delivery_date": day.isoformat()},
                                   area_skips.running_on(day)]})
    query = {"$and": conditions} if conditions else {}
    found = list(get_db().orders.find(query).sort("_id", -1).limit(MAX_LIST))
    if day is not None:
        found = [order for order in found if order["kind"] == ONE_TIME or schedule.quantity_on(order, day)]
    return found


def history(order_id, *, actor):
    """The order's audit entries, newest first (staff)."""
    actor.require(*STAFF_ROLES)
    return audit.history("order", order_id)
