"""Pause requests: asked through a round link for a customer on that round, decided by staff.

Nothing pauses until a member of staff approves; approval pauses the customer's running
subscriptions through `orders.pause` (its rules, cut-off included, apply). Each step is one unit of
work with its audit entry: an approval pauses every subscription or none.
"""
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from webapp import clock
from webapp.db import get_db
from webapp.services import STAFF_ROLES, Actor, Conflict, NotFound, links, orders, uow, validate

PENDING, APPROVED, REJECTED = "PENDING", "APPROVED", "REJECTED"
MAX_PAUSE_DAYS = 90
RUNNING_STATUSES = ("ACTIVE", "PAUSED")


def request_pause(token, customer_id, first_day, last_day, reason=None, *, ip):
    """Ask, through a round link, to pause a customer on that round from first_day to last_day."""
    link = links.open_link(token, ip=ip, scope="round")
    actor = Actor.for_link(link, ip)
    customer = links.round_customer(link, customer_id, ip=ip)
    errors = validate.Errors()
    first = errors.check("first_day", validate.day, first_day, "first_day", label="First day")
    last = errors.check("last_day", validate.day, last_day, "last_day", label="Last day")
    reason = errors.check("reason", validate.text, reason, "reason", label="Reason", max_length=200, required=False)
    if first is not None and first < clock.today():
        errors.add("first_day", "The first day cannot be in the past.")
    if first is not None and last is not None:
        if last < first:
            errors.add("last_day", "The last day cannot be before the first day.")
        elif (last - first).days >= MAX_PAUSE_DAYS:
            errors.add("last_day", f"A pause can last at most {MAX_PAUSE_DAYS} days.")
    errors.raise_if_any()

    def work(u):
        request = {
            "_id": u.new_id("PQ"),
            "customer_id": customer["_id"],
            "link_id": link["_id"],
            "delivery_boy_id": link["delivery_boy_id"],
            "round_date": link["date"],
            "first_day": clock.iso(first),
            "last_day": clock.iso(last),
            "reason": reason or None,
            "status": PENDING,
            "requested_by": actor.as_doc(),
            "created_at": clock.now(),
            "decided_at": None,
            "decided_by": None,
            "note": None,
            "paused_order_ids": [],
        }
        u.db.pause_requests.insert_one(request)
        links.count_use(u, link)
        u.record("pause_request.create", "pause_request", request["_id"],
                 f"Pause requested for {customer['name']} from {first:%d %b} to {last:%d %b %Y}",
                 changes={"customer_id": customer["_id"], "first_day": request["first_day"],
                          "last_day": request["last_day"]})
        return request

    try:
        return uow.run(actor, work)
    except DuplicateKeyError:  # the same request is already waiting: asking twice is asking once
        return get_db().pause_requests.find_one(
            {"customer_id": customer["_id"], "first_day": clock.iso(first), "last_day": clock.iso(last),
             "status": PENDING})


def queue(*, actor, decided_limit=30):
    """{"pending": oldest first, "decided": the latest decisions}, each request with its `customer`."""
    actor.require(*STAFF_ROLES)
    db = get_db()
    pending = list(db.pause_requests.find({"status": PENDING}).sort("created_at", 1).limit(500))
    decided = list(db.pause_requests.find({"status": {"$ne": PENDING}}).sort("decided_at", -1).limit(decided_limit))
    customers = {c["_id"]: c for c in db.customers.find(
        {"_id": {"$in": sorted({r["customer_id"] for r in pending + decided})}}, {"name": 1, "address": 1, "area": 1})}
    for request in pending + decided:
        request["customer"] = customers.get(request["customer_id"], {"name": request["customer_id"]})
    return {"pending": pending, "decided": decided}


def _claim(u, request_id, status, note=None):
    """Inside a unit of work: move a pending request to `status` (two clicks decide once)."""
    claimed = u.db.pause_requests.find_one_and_update(
        {"_id": request_id, "status": PENDING},
        {"$set": {"status": status, "decided_at": clock.now(), "decided_by": u.actor.as_doc(), "note": note}},
        return_document=ReturnDocument.AFTER,
    ) if isinstance(request_id, str) else None
    if claimed is None:
        if isinstance(request_id, str) and u.db.pause_requests.find_one({"_id": request_id}, {"_id": 1}):
            raise Conflict("This request has already been decided.")
        raise NotFound("No such pause request.")
    return claimed


def approve(request_id, *, override_cutoff=False, actor):
    """Approve: pause every running subscription of the customer over the requested days, in one unit of work
    (a refusal of any pause — the cut-off of `orders.pause`, which staff may override — leaves the request
    waiting and nothing paused)."""
    actor.require(*STAFF_ROLES)

    def work(u):
        request = _claim(u, request_id, APPROVED)
        first, last = validate.as_date(request["first_day"]), validate.as_date(request["last_day"])
        subscriptions = list(u.db.orders.find(
            {"customer_id": request["customer_id"], "kind": "SUBSCRIPTION", "status": {"$in": list(RUNNING_STATUSES)}},
            {"_id": 1}))
        if not subscriptions:
            raise Conflict("This customer has no running subscription to pause.")
        paused = []
        for subscription in subscriptions:
            orders.pause(subscription["_id"], first, last, reason=request["reason"] or "Asked through a round link",
                         override_cutoff=override_cutoff, actor=actor)
            paused.append(subscription["_id"])
        u.db.pause_requests.update_one({"_id": request_id}, {"$set": {"paused_order_ids": paused}})
        u.record("pause_request.approve", "pause_request", request_id,
                 f"Approved pause {first:%d %b}–{last:%d %b %Y} for {request['customer_id']}",
                 changes={"paused_order_ids": paused})
        return {**request, "paused_order_ids": paused}

    return uow.run(actor, work)


def reject(request_id, note=None, *, actor):
    """Reject: nothing is paused."""
    actor.require(*STAFF_ROLES)
    note = validate.text(note, "note", label="Note", max_length=200, required=False) or None

    def work(u):
        request = _claim(u, request_id, REJECTED, note)
        u.record("pause_request.reject", "pause_request", request_id,
                 f"Rejected pause request of {request['customer_id']}" + (f": {note}" if note else ""))
        return request

    return uow.run(actor, work)
