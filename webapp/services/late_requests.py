"""Late requests: changes a customer asked for after the cut-off (`change_requests`).

The cut-off gate (`cutoff.gate`) records them; they show on the delivery boy's stop that day and in
the staff list, where staff apply one (the change, as an audited cut-off override) or dismiss it.
"""
from pymongo import ReturnDocument

from webapp import clock
from webapp.db import get_db
from webapp.services import STAFF_ROLES, Conflict, NotFound, orders, uow

MAX_LIST = 300


# What a stop shows: customers' late requests still open, and staff's changes made after the cut-off.
FOR_THE_DOOR = ["OPEN", "NOTED"]


def late_requests_for(customer_ids, day):
    """Late changes of these customers for `day`, oldest first (one query; for the round). Asked by date alone
    (index date_customer): a day has few late changes, while an `$in` of a round's customers costs the embedded
    server one index seek per customer."""
    wanted = set(customer_ids)
    found = get_db().change_requests.find({"date": clock.parse_day(day).isoformat()})
    return sorted((request for request in found if request["customer_id"] in wanted
                   and request["status"] in FOR_THE_DOOR), key=lambda request: request["created_at"])


def list_requests(*, status="OPEN", customer_id=None, actor):
    """Late requests for the staff view, newest date first."""
    actor.require(*STAFF_ROLES)
    query = {"status": status}
    if customer_id:
        query["customer_id"] = customer_id
    return list(get_db().change_requests.find(query).sort([("date", -1), ("created_at", 1)]).limit(MAX_LIST))


def apply(request_id, *, actor):
    """Staff apply a customer's late request and close it: one unit of work (the order's change, made through
    its entry point as an audited cut-off override, joins it)."""
    actor.require(*STAFF_ROLES)

    def work(u):
        request = _resolve(u, request_id, "APPLIED")
        payload, order_id, day = request["payload"], request["order_id"], request["date"]
        change = request["change"]
        if change == "quantity":
            orders.set_quantity(order_id, day, payload["items"], override_cutoff=True, actor=actor)
        elif change == "pause":
            orders.pause(order_id, payload["first_day"], payload.get("last_day"), override_cutoff=True, actor=actor)
        elif change == "resume":
            orders.resume(order_id, payload["day"], override_cutoff=True, actor=actor)
        elif change == "stop":
            orders.stop(order_id, payload["from_day"], override_cutoff=True, actor=actor)
        elif change == "cancel":
            orders.cancel(order_id, override_cutoff=True, actor=actor)
        return request

    return uow.run(actor, work)


def dismiss(request_id, *, actor):
    """Close a late request without applying it."""
    actor.require(*STAFF_ROLES)
    return uow.run(actor, lambda u: _resolve(u, request_id, "DISMISSED"))


def _resolve(u, request_id, status):
    """Close an open request as `status` (two clicks decide once) and audit it; returns the closed request."""
    resolved = u.db.change_requests.find_one_and_update(
        {"_id": request_id, "status": "OPEN"},
        {"$set": {"status": status, "resolved_at": clock.now(), "resolved_by": u.actor.as_doc()}},
        return_document=ReturnDocument.AFTER) if isinstance(request_id, str) else None
    if resolved is None:
        if isinstance(request_id, str) and u.db.change_requests.find_one({"_id": request_id}, {"_id": 1}):
            raise Conflict("This request has already been handled.")
        raise NotFound("No such request.")
    u.record(f"order.late_request_{status.lower()}", "order", resolved["order_id"],
             f"Late request {resolved['_id']} {status.lower()}")
    return resolved
