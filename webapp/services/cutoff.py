"""The cut-off: changes for a date close at CUTOFF_HOUR business time the evening before.

`gate` is the one place a change for a date passes or stops: open → through; closed → staff may
override (audited by the change as an override), anyone else is refused. A customer's refused change
is kept as a late request (`change_requests`) for staff and the delivery boy; `late_requests` lists,
applies and dismisses them.
"""
from datetime import timedelta

from flask import current_app

from webapp import clock
from webapp.services import Conflict, Forbidden, uow, validate


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
    """'Changes for Thu 12 Mar closed at 21:00 on Wed 11 Mar.'"""
    moment = cutoff_for(day).astimezone(clock.business_tz())
    return (f"Changes for {day.strftime('%a %d %b')} closed at {moment.strftime('%H:%M')} "
            f"on {moment.strftime('%a %d %b')}.")


def change_day(value, field="day", label="Date"):
    """A date a change may be asked for: a real date, not in the past."""
    day = validate.day(value, field, label=label)
    validate.not_past(day, field, label=label)
    return day


def may_override(actor):
    """Staff (and the system) may still change a closed date, when they say so; it is audited as an override."""
    return actor.is_system or actor.is_staff


def gate(order, day, change, *, actor, override_cutoff, late_note, late_payload):
    """Let a change of `order` for `day` through, or refuse it at the cut-off.

    Returns True when staff overrode the cut-off (the caller audits its change as an override).
    A customer's late change is refused, but first kept as a late request in its own unit of work, so the
    request and its audit entry stay although the change does not happen.
    """
    if is_open(day):
        return False
    if actor.has_role("customer"):
        uow.run(actor, lambda u: record_late_request(u, order, day, change, late_note, late_payload))
        raise Conflict(f"{cutoff_message(day)} We have noted your request and passed it to our staff and your "
                       "delivery boy; they will confirm it at the door.")
    if not override_cutoff:
        raise Conflict(f"{cutoff_message(day)} Tick 'override the cut-off' to change it anyway.")
    if not may_override(actor):
        raise Forbidden("You are not allowed to do that.")
    return True


def record_late_change(u, order, day, note):
    """Inside the unit of work of a change staff made after the cut-off: a note for that day's stop (status
    NOTED: already made, nothing for staff to decide)."""
    now = clock.now()
    u.db.change_requests.insert_one({
        "_id": u.new_id("CR"), "order_id": order["_id"], "customer_id": order["customer_id"],
        "date": day.isoformat(), "change": "override", "payload": {}, "note": note, "status": "NOTED",
        "created_at": now, "created_by": u.actor.as_doc(), "resolved_at": now, "resolved_by": u.actor.as_doc(),
    })


def record_late_request(u, order, day, change, note, payload):
    """Inside a unit of work: a customer's change for a closed day, kept for staff and the delivery boy."""
    now = clock.now()
    request = {
        "_id": u.new_id("CR"),
        "order_id": order["_id"],
        "customer_id": order["customer_id"],
        "date": day.isoformat(),
        "change": change,
        "payload": payload,
        "note": note,
        "status": "OPEN",
        "created_at": now,
        "created_by": u.actor.as_doc(),
        "resolved_at": None,
        "resolved_by": None,
    }
    u.db.change_requests.insert_one(request)
    u.record("order.late_request", "order", order["_id"], f"Late request for {day}: {note}",
             changes={"request_id": request["_id"]})
    return request
