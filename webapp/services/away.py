"""The household's holds: "away from … to …" and a paused customer, for every order he has.

A hold is kept on the customer (`holds`, the master) and copied onto each of his live orders, one-time
ones too, so the schedule engine alone (`schedule.in_hold`) keeps held days out of the round, the supplier
demand, the van load, confirmation and the calendar. An away hold is a date range: nothing to undo, it
ends by itself. Every change passes the cut-off like any other: the days whose deliveries it changes must
still be open, or staff override it with a reason.
"""
from datetime import timedelta

from webapp import clock
from webapp.db import get_db
from webapp.services import STAFF_ROLES, Conflict, Forbidden, NotFound, ValidationError, cutoff, uow, validate

AWAY, PAUSED = "away", "paused"
MAX_AWAY_DAYS = 366
# Orders a hold is copied onto: anything that may still bring something.
LIVE_STATUSES = ["DRAFT", "ACTIVE", "PAUSED", "PENDING"]


# ---------------------------------------------------------------- access and the cut-off

def require_household(actor, customer_id):
    """Staff act for any household; a customer only for his own."""
    if actor.has_role("customer"):
        if not actor.customer_id or actor.customer_id != customer_id:
            raise NotFound("No such customer.")
        return
    actor.require(*STAFF_ROLES)


def check_open(first_changed, *, actor, override_cutoff, reason, field):
    """The earliest day a change touches must be open; after the cut-off only staff, ticking the override with a
    reason, may go on. Returns True when the change is an override (audited as such)."""
    if first_changed is None or cutoff.is_open(first_changed):
        return False
    if actor.has_role("customer"):
        raise ValidationError(f"{cutoff.cutoff_message(first_changed)} The earliest day you can change is "
                              f"{cutoff.first_open_day().strftime('%a %d %b')}.", field=field)
    if not cutoff.may_override(actor):
        raise Forbidden("You are not allowed to do that.")
    if not override_cutoff:
        raise ValidationError(f"{cutoff.cutoff_message(first_changed)} Tick 'override the cut-off' and give a "
                              "reason to change it anyway.", field="override_cutoff")
    if not reason:
        raise ValidationError("Say why the cut-off is overridden.", field="reason")
    return True


# ---------------------------------------------------------------- holds inside a unit of work

def holds_for_new_order(customer, first_day):
    """The customer's holds still running on or after `first_day` (ISO), for a new order to carry."""
    return [hold for hold in customer.get("holds") or []
            if hold.get("last_day") is None or hold["last_day"] >= first_day]


def add_hold(u, customer_id, hold):
    """The hold on the customer and on every live order of his."""
    u.db.customers.update_one({"_id": customer_id}, {"$push": {"holds": hold}})
    u.db.orders.update_many({"customer_id": customer_id, "status": {"$in": LIVE_STATUSES}},
                            {"$push": {"holds": hold}})


def remove_hold(u, customer_id, hold_id):
    """The hold gone from the customer and from all his orders."""
    u.db.customers.update_one({"_id": customer_id}, {"$pull": {"holds": {"hold_id": hold_id}}})
    u.db.orders.update_many({"customer_id": customer_id, "holds.hold_id": hold_id},
                            {"$pull": {"holds": {"hold_id": hold_id}}})


def replace_hold(u, customer_id, hold):
    """The hold with the same id, with new dates, everywhere."""
    remove_hold(u, customer_id, hold["hold_id"])
    add_hold(u, customer_id, hold)


def end_hold(u, customer_id, hold, day):
    """Deliveries come back from `day`: the hold ends the day before, or goes when it had not begun."""
    if hold["first_day"] >= day.isoformat():
        remove_hold(u, customer_id, hold["hold_id"])
    else:
        replace_hold(u, customer_id, {**hold, "last_day": (day - timedelta(days=1)).isoformat()})


def days_label(first, last):
    return f"{first.strftime('%a %d %b')} to {last.strftime('%a %d %b') if last else 'further notice'}"


# ---------------------------------------------------------------- away from … to …

def _household(customer_id):
    customer = get_db().customers.find_one({"_id": customer_id}) if isinstance(customer_id, str) else None
    if customer is None:
        raise NotFound("No such customer.")
    return customer


def _away_dates(first_day, last_day):
    errors = validate.Errors()
    first = errors.check("first_day", cutoff.change_day, first_day, "first_day", "Away from")
    last = errors.check("last_day", validate.day, last_day, "last_day", label="Back on")
    if first is not None and last is not None:
        if last <= first:
            errors.add("last_day", "The day you are back must be after the day you leave.")
        elif (last - first).days > MAX_AWAY_DAYS:
            errors.add("last_day", f"An away period can last at most {MAX_AWAY_DAYS} days.")
    errors.raise_if_any()
    return first, last


def away_periods(customer_id, *, actor):
    """The household's away periods not over yet, soonest first."""
    require_household(actor, customer_id)
    today = clock.today().isoformat()
    holds = [hold for hold in _household(customer_id).get("holds") or []
             if hold["kind"] == AWAY and hold["last_day"] >= today]
    return sorted(holds, key=lambda hold: hold["first_day"])


def set_away(customer_id, first_day, back_on, *, reason=None, override_cutoff=False, actor):
    """No deliveries to the household from `first_day` until the day before `back_on`: one unit of work, one
    audit entry; every order of his is held for those days, and deliveries start again by themselves."""
    require_household(actor, customer_id)
    customer = _household(customer_id)
    first, back = _away_dates(first_day, back_on)
    reason = validate.text(reason, "reason", label="Reason", max_length=200, required=False) or None
    last = back - timedelta(days=1)
    for hold in customer.get("holds") or []:
        if hold["kind"] == AWAY and hold["first_day"] <= last.isoformat() and hold["last_day"] >= first.isoformat():
            raise ValidationError("You are already away on some of these days; change that period instead.",
                                  field="first_day")
    overridden = check_open(first, actor=actor, override_cutoff=override_cutoff, reason=reason, field="first_day")

    def work(u):
        hold = {"hold_id": u.new_id("HO"), "kind": AWAY, "first_day": first.isoformat(),
                "last_day": last.isoformat(), "reason": "Away" + (f": {reason}" if reason else "")}
        add_hold(u, customer_id, hold)
        u.record("customer.away" + ("_override_cutoff" if overridden else ""), "customer", customer_id,
                 f"{customer['name']} away from {days_label(first, last)}, back on {back.strftime('%a %d %b')}"
                 + (" (after the cut-off)" if overridden else ""), changes=hold)
        return hold

    return uow.run(actor, work)


def change_away(customer_id, hold_id, back_on=None, *, reason=None, override_cutoff=False, actor):
    """Move the day the household is back (earlier or later), or, with `back_on` None, call the trip off:
    a period not begun goes, one under way ends before the first open day. The days it changes must be open."""
    require_household(actor, customer_id)
    customer = _household(customer_id)
    hold = next((h for h in customer.get("holds") or [] if h["hold_id"] == hold_id and h["kind"] == AWAY), None)
    if hold is None:
        raise NotFound("No such away period.")
    reason = validate.text(reason, "reason", label="Reason", max_length=200, required=False) or None
    old_last = clock.parse_day(hold["last_day"])
    if back_on in (None, ""):
        new_last = max(cutoff.first_open_day(), clock.parse_day(hold["first_day"])) - timedelta(days=1)
        if new_last >= old_last:
            raise Conflict("This away period is over.")
    else:
        new_last = validate.day(back_on, "last_day", label="Back on") - timedelta(days=1)
        if new_last < clock.parse_day(hold["first_day"]):
            raise ValidationError("The day you are back must be after the day you leave.", field="last_day")
        if (new_last - clock.parse_day(hold["first_day"])).days >= MAX_AWAY_DAYS:
            raise ValidationError(f"An away period can last at most {MAX_AWAY_DAYS} days.", field="last_day")
    if new_last == old_last:
        return hold
    first_changed = min(old_last, new_last) + timedelta(days=1)
    overridden = check_open(first_changed, actor=actor, override_cutoff=override_cutoff, reason=reason,
                            field="last_day")

    def work(u):
        first = clock.parse_day(hold["first_day"])
        if new_last < first:
            remove_hold(u, customer_id, hold_id)
            summary, changed = f"{customer['name']} no longer away from {days_label(first, old_last)}", None
        else:
            changed = {**hold, "last_day": new_last.isoformat()}
            replace_hold(u, customer_id, changed)
            summary = (f"{customer['name']} now back on {(new_last + timedelta(days=1)).strftime('%a %d %b')} "
                       f"(was {(old_last + timedelta(days=1)).strftime('%a %d %b')})")
        u.record("customer.away" + ("_override_cutoff" if overridden else ""), "customer", customer_id,
                 summary + (f" (after the cut-off: {reason})" if overridden else ""),
                 changes={"hold_id": hold_id, "last_day": {"before": hold["last_day"],
                                                           "after": changed["last_day"] if changed else None}})
        return changed

    return uow.run(actor, work)


# ---------------------------------------------------------------- the customer's status

def status_effects(u, customer, status, day, reason):
    """Inside set_status's unit of work: what the new status does to his orders from `day` (the first day it
    changes). Returns {"held": ..., "stopped": [order ids], "cancelled": [order ids]} for the audit entry."""
    customer_id, iso = customer["_id"], day.isoformat()
    effects = {}
    paused = [hold for hold in customer.get("holds") or [] if hold["kind"] == PAUSED and hold["last_day"] is None]
    if status == "paused" and not paused:
        hold = {"hold_id": u.new_id("HO"), "kind": PAUSED, "first_day": iso, "last_day": None,
                "reason": "Deliveries paused by the dairy" + (f": {reason}" if reason else "")}
        add_hold(u, customer_id, hold)
        effects["held"] = hold["hold_id"]
    elif status != "paused":
        for hold in paused:
            end_hold(u, customer_id, hold, day)
    if status == "stopped":
        why = f"Deliveries stopped from {day.strftime('%a %d %b')}" + (f": {reason}" if reason else "")
        running = {"customer_id": customer_id, "kind": "SUBSCRIPTION", "status": {"$in": ["DRAFT", "ACTIVE", "PAUSED"]}}
        effects["stopped"] = [o["_id"] for o in u.db.orders.find(running, {"_id": 1})]
        u.db.orders.update_many(running, {"$set": {"status": "STOPPED", "stopped_on": iso, "stop_reason": why,
                                                   "updated_at": clock.now()}})
        pending = {"customer_id": customer_id, "kind": "ONE_TIME", "status": "PENDING", "delivery_date": {"$gte": iso}}
        effects["cancelled"] = [o["_id"] for o in u.db.orders.find(pending, {"_id": 1})]
        u.db.orders.update_many(pending, {"$set": {"status": "CANCELLED", "cancelled_at": clock.now(),
                                                   "cancelled_by": u.actor.as_doc(), "cancel_reason": why,
                                                   "updated_at": clock.now()}})
    return effects
