"""Customer tallies the owner's morning page reads instead of counting customers (a count walks every customer:
0.7 s at 10,000): how many customers have each status, and per business day how many were added, paused and
stopped.

They are exact by construction: every unit of work that inserts or deletes a customer or changes his status moves
them in its own transaction (`customers_added`, `customers_removed`, `status_changed`), as `$inc` writes deferred
to the end of the unit (sent with its audit entries in one round trip), each creating its document on its first
move. `rebuild` takes them again from the data in one unit of work (after a database was filled straight, as the
bench seeds it); data health compares the status counts with a live count.
"""
from collections import Counter

from pymongo import DeleteOne, UpdateOne

from webapp import clock
from webapp.db import get_db
from webapp.services import uow

STATUS_COUNTS = "customers_by_status"  # its `counters` document: {_id, <status>: customers with it}
DAYS = "customer_days"  # {_id: "YYYY-MM-DD", new?, paused?, stopped?}: the events of one business day (absent: 0)
STATUS_EVENTS = ("paused", "stopped")  # statuses whose every change to them is an event of its day
EVENTS = ("new", *STATUS_EVENTS)
STATUS_ACTION = "customer.status"  # the audit entry of a status change


def local_day(at):
    """The business day ("YYYY-MM-DD") of an aware datetime."""
    return at.astimezone(clock.business_tz()).date().isoformat()


def _move(u, statuses, days):
    """Defer the moves of the status counts ({status: delta}) and of the days ({iso day: {event: delta}})."""
    statuses = {status: delta for status, delta in statuses.items() if delta}
    if statuses:
        u.defer(UpdateOne({"_id": STATUS_COUNTS}, {"$inc": statuses}, upsert=True,
                          namespace=u.namespace("counters")))
    for day, events in sorted(days.items()):
        u.defer(UpdateOne({"_id": day}, {"$inc": events}, upsert=True, namespace=u.namespace(DAYS)))


def customers_added(u, added):
    """Inside the unit of work `u` that inserts the customer documents `added` (each with its status and
    created_at)."""
    new_by_day = Counter(local_day(customer["created_at"]) for customer in added)
    _move(u, Counter(customer["status"] for customer in added),
          {day: {"new": count} for day, count in new_by_day.items()})


def customers_removed(u, removed):
    """Inside the unit of work `u` that deletes the customer documents `removed` (as they were when deleted): they
    leave their status's count and the new customers of the day they were added; a day left with no event goes
    (as it would from `rebuild`), so an undone import leaves the tallies as they were."""
    new_by_day = Counter(local_day(customer["created_at"]) for customer in removed)
    _move(u, {status: -count for status, count in Counter(customer["status"] for customer in removed).items()},
          {day: {"new": -count} for day, count in new_by_day.items()})
    for day in sorted(new_by_day):
        u.defer(DeleteOne({"_id": day, **{event: {"$in": [0, None]} for event in EVENTS}},
                          namespace=u.namespace(DAYS)))


def status_changed(u, before, after):
    """Inside the unit of work `u` that writes a STATUS_ACTION audit entry from status `before` to `after`: the
    customer moves between the counts, and a pause or a stop counts on today's events (one for each entry, as
    the entry is written when the status changes or is applied again)."""
    _move(u, {before: -1, after: 1} if before != after else {},
          {local_day(clock.now()): {after: 1}} if after in STATUS_EVENTS else {})


def status_counts():
    """{status: customers with it}, one read of one document."""
    kept = get_db().counters.find_one({"_id": STATUS_COUNTS}) or {}
    return {status: count for status, count in kept.items() if status != "_id"}


def day_events(first, last):
    """{day (a date): {"new", "paused", "stopped"}} of the business days of [first, last] that had any."""
    found = get_db()[DAYS].find({"_id": {"$gte": first.isoformat(), "$lte": last.isoformat()}})
    return {clock.parse_day(kept["_id"]): {event: kept.get(event, 0) for event in EVENTS} for kept in found}


def _by_local_day(field):
    return {"$dateToString": {"format": "%Y-%m-%d", "date": field, "timezone": str(clock.business_tz())}}


def counted(db):
    """(status counts, {iso day: {event: count}}) as the data `db` (the database, or a unit of work's `u.db`) has
    them, from three aggregations: customers by status and by the business day of created_at; STATUS_ACTION audit
    entries to a status of STATUS_EVENTS by their business day."""
    statuses = {row["_id"]: row["count"] for row in db.customers.aggregate(
        [{"$group": {"_id": "$status", "count": {"$sum": 1}}}]) if row["_id"] is not None}
    days = {}
    for row in db.customers.aggregate([{"$group": {"_id": _by_local_day("$created_at"), "count": {"$sum": 1}}}]):
        if row["_id"] is not None:
            days.setdefault(row["_id"], {})["new"] = row["count"]
    for row in db.audit_log.aggregate([
        {"$match": {"action": STATUS_ACTION, "changes.status.after": {"$in": list(STATUS_EVENTS)}}},
        {"$group": {"_id": {"day": _by_local_day("$at"), "status": "$changes.status.after"}, "count": {"$sum": 1}}},
    ]):
        days.setdefault(row["_id"]["day"], {})[row["_id"]["status"]] = row["count"]
    return statuses, days


def rebuild(*, actor):
    """Replace the tallies with those the data has (`counted`, read in the same transaction, so a unit of work
    that moves them meanwhile makes this one run again); returns the status counts."""
    actor.require("admin")

    def work(u):
        statuses, days = counted(u.db)
        u.db.counters.replace_one({"_id": STATUS_COUNTS}, statuses, upsert=True)
        u.db[DAYS].delete_many({})
        if days:
            u.db[DAYS].insert_many([{"_id": day, **{event: events.get(event, 0) for event in EVENTS}}
                                    for day, events in sorted(days.items())])
        u.record("tallies.rebuild", "counters", STATUS_COUNTS,
                 f"Customer tallies taken again from the data: {sum(statuses.values())} customers, {len(days)} days")
        return statuses

    return uow.run(actor, work)
