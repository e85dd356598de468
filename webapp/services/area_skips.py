"""Area-wide skips: no deliveries for an area (or everyone) on a date — rain, a strike, a festival.

Skipping writes `skips.{date} = {reason, skip_id}` on every subscription of the area running that day
(the schedule engine lets a skip beat everything), and records the skip in `area_skips`; new
subscriptions copy the skips already announced for their area. Each is one unit of work.
"""
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from webapp import clock
from webapp.db import get_db
from webapp.services import STAFF_ROLES, Conflict, NotFound, cutoff, uow, validate

MAX_LIST = 300


def of_area(area):
    """The order query for customers in `area` (None = everyone)."""
    if not area:
        return {}
    customer_ids = [c["_id"] for c in get_db().customers.find({"area": area}, {"_id": 1})]
    return {"customer_id": {"$in": customer_ids}}


def running_on(day):
    """The order query for subscriptions running on `day` (started, not ended, not stopped before it)."""
    iso = day.isoformat()
    return {
        "kind": "SUBSCRIPTION",
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
    day = errors.check("day", cutoff.change_day, day)
    reason = errors.check("reason", validate.text, reason, "reason", label="Reason", max_length=120)
    area = errors.check("area", validate.text, area, "area", label="Area", max_length=60, required=False)
    errors.raise_if_any()
    overridden = not cutoff.is_open(day)
    if overridden and not override_cutoff:
        raise Conflict(f"{cutoff.cutoff_message(day)} Tick 'override the cut-off' to skip it anyway.")
    affected = {**running_on(day), **of_area(area), f"skips.{day.isoformat()}": {"$exists": False}}

    def work(u):
        skip = {
            "_id": u.new_id("SK"),
            "date": day.isoformat(),
            "area": area or None,
            "reason": reason,
            "active_key": f"{day.isoformat()}|{area or '*'}",
            "orders_affected": 0,
            "created_at": clock.now(),
            "created_by": actor.as_doc(),
            "undone_at": None,
            "undone_by": None,
        }
        try:
            u.db.area_skips.insert_one(skip)
        except DuplicateKeyError:
            raise Conflict("That date is already skipped for this area.") from None
        result = u.db.orders.update_many(affected, {"$set": {f"skips.{day.isoformat()}": {
            "reason": reason, "skip_id": skip["_id"]}, "updated_at": clock.now()}})
        skip["orders_affected"] = result.modified_count
        u.db.area_skips.update_one({"_id": skip["_id"]}, {"$set": {"orders_affected": result.modified_count}})
        u.record("order.skip_area", "area_skip", skip["_id"],
                 f"Skipped {day} for {area or 'everyone'}: {reason} ({result.modified_count} subscriptions)"
                 + (" after the cut-off" if overridden else ""),
                 changes={"date": day.isoformat(), "area": area or None, "override_cutoff": overridden})
        return skip

    return uow.run(actor, work)


def undo_area_skip(skip_id, *, override_cutoff=False, actor):
    """Take an area-wide skip back (before its cut-off, or with an audited override)."""
    actor.require(*STAFF_ROLES)
    skip = get_db().area_skips.find_one({"_id": skip_id}) if isinstance(skip_id, str) else None
    if skip is None:
        raise NotFound("No such skip.")
    if skip.get("undone_at"):
        raise Conflict("This skip was already taken back.")
    day = clock.parse_day(skip["date"])
    overridden = not cutoff.is_open(day)
    if overridden and not override_cutoff:
        raise Conflict(f"{cutoff.cutoff_message(day)} Tick 'override the cut-off' to take the skip back anyway.")
    key = f"skips.{skip['date']}"

    def work(u):
        claimed = u.db.area_skips.find_one_and_update(
            {"_id": skip_id, "undone_at": None},
            {"$set": {"undone_at": clock.now(), "undone_by": actor.as_doc()}, "$unset": {"active_key": ""}},
            return_document=ReturnDocument.AFTER)
        if claimed is None:
            raise Conflict("This skip was already taken back.")
        result = u.db.orders.update_many({f"{key}.skip_id": skip_id},
                                         {"$unset": {key: ""}, "$set": {"updated_at": clock.now()}})
        u.record("order.unskip_area", "area_skip", skip_id,
                 f"Took back the skip of {skip['date']} for {skip['area'] or 'everyone'} "
                 f"({result.modified_count} subscriptions)" + (" after the cut-off" if overridden else ""))
        return claimed

    return uow.run(actor, work)


def list_area_skips(*, actor, include_past=False):
    """The skips announced (not taken back), from today on unless `include_past`."""
    actor.require(*STAFF_ROLES)
    query = {"undone_at": None}
    if not include_past:
        query["date"] = {"$gte": clock.today().isoformat()}
    return list(get_db().area_skips.find(query).sort("date", 1).limit(MAX_LIST))


def skips_for_new_subscription(customer, start):
    """{date: {reason, skip_id}}: the skips already announced for the customer's area from `start` on,
    for a new subscription to carry."""
    query = {"undone_at": None, "date": {"$gte": start.isoformat()},
             "area": {"$in": [None, customer.get("area")]}}
    return {skip["date"]: {"reason": skip["reason"], "skip_id": skip["_id"]}
            for skip in get_db().area_skips.find(query).sort("created_at", 1)}
