"""Cash taken at the door and its handover to the office.

Cash a delivery boy records at a stop is a payment at once (method "cash", `collected_by` = the boy), written by the
tap's unit of work through `payments.add_payment`; until the office confirms the boy's handover it has no
`handover_id`. The office confirms a handover of everything still with the boy: the cash it counted, and any
difference with its reason (`cash_handovers`).
"""
from webapp import clock
from webapp.db import get_db
from webapp.services import Conflict, NotFound, ValidationError, payments, uow, validate

HANDOVER_ROLES = ("admin", "support")


PENDING_FIELDS = {"amount_paise": 1, "customer_id": 1, "method": 1, "voided_by": 1}


def pending(payments, delivery_boy_id):
    """The cash payments a boy took and has not handed over (a voided one is not his to hand over), read from
    `payments` (a unit of work's bound collection or get_db()'s). Asked by (collected_by, handover_id), the index's
    fields exactly (the embedded server scans for any other filter beside them); the rest is checked here."""
    found = payments.find({"collected_by": delivery_boy_id, "handover_id": None}, PENDING_FIELDS)
    return [p for p in found if p.get("method") == "cash" and p["amount_paise"] > 0 and p.get("voided_by") is None]


def with_boy(delivery_boy_id):
    """{"amount_paise", "count"}: the cash a boy holds for the office."""
    held = pending(get_db().payments, delivery_boy_id)
    return {"amount_paise": sum(p["amount_paise"] for p in held), "count": len(held)}


def collect_at_stop(u, customer, day, amount_paise, tap_key):
    """Inside the tap's unit of work: the cash taken at this door becomes a payment waiting for its handover."""
    collector = u.actor.id if u.actor.has_role("delivery_boy") else customer.get("delivery_boy_id")
    return payments.add_payment(u, customer["_id"], amount_paise, "cash", received_on=day, collected_by=collector,
                                submission_id=f"tap:{tap_key}" if tap_key else None)


def clean_cash(amount_paise):
    """Cash typed at the door: None when none was taken."""
    if amount_paise in (None, 0):
        return None
    return payments.clean_amount(amount_paise, "cash")


def handovers_due(*, actor):
    """Staff: every boy holding cash, and the latest handovers. {"boys": [{"boy", "amount_paise", "count",
    "payments"}], "recent": [handover]}."""
    actor.require(*HANDOVER_ROLES)
    db = get_db()
    held = list(db.payments.find({"collected_by": {"$type": "string"}, "handover_id": None, "method": "cash",
                                  "amount_paise": {"$gt": 0}, "voided_by": None}).sort("created_at", 1))
    names = {c["_id"]: c["name"] for c in db.customers.find(
        {"_id": {"$in": sorted({p["customer_id"] for p in held})}}, {"name": 1})}
    boys = {b["_id"]: b for b in db.users.find({"role": "delivery_boy"}, {"name": 1, "phone": 1})}
    by_boy = {}
    for payment in held:
        entry = by_boy.setdefault(payment["collected_by"], {
            "boy": boys.get(payment["collected_by"], {"_id": payment["collected_by"], "name": payment["collected_by"]}),
            "amount_paise": 0, "count": 0, "payments": []})
        entry["amount_paise"] += payment["amount_paise"]
        entry["count"] += 1
        entry["payments"].append({**payment, "customer_name": names.get(payment["customer_id"], "")})
    recent = list(db.cash_handovers.find().sort("confirmed_at", -1).limit(20))
    for handover in recent:
        handover["boy_name"] = boys.get(handover["delivery_boy_id"], {}).get("name", handover["delivery_boy_id"])
    return {"boys": sorted(by_boy.values(), key=lambda entry: entry["boy"]["name"]), "recent": recent}


def confirm_handover(delivery_boy_id, expected_paise, received_paise, reason=None, *, actor):
    """The office counted `received_paise` from the boy, who held `expected_paise` when the page was shown: every
    cash payment still with him is handed over; a difference needs its reason. Returns the handover.
    Cash recorded meanwhile (the expected amount moved) is a Conflict: count again."""
    actor.require(*HANDOVER_ROLES)
    errors = validate.Errors()
    if isinstance(received_paise, bool) or not isinstance(received_paise, int) or received_paise < 0:
        errors.add("received", "Enter the cash counted, like 1250.00.")
    elif received_paise > payments.MAX_AMOUNT_PAISE:
        errors.add("received", "That amount is too large.")
    reason = errors.check("reason", validate.text, reason, "reason", label="Reason", max_length=200,
                          required=False) or None
    errors.raise_if_any()
    if not isinstance(delivery_boy_id, str) or get_db().users.find_one(
            {"_id": delivery_boy_id, "role": "delivery_boy"}, {"_id": 1}) is None:
        raise NotFound("No such delivery boy.")

    def work(u):
        held = pending(u.db.payments, delivery_boy_id)
        if not held:
            raise Conflict("This delivery boy has no cash to hand over.")
        expected = sum(p["amount_paise"] for p in held)
        if expected != expected_paise:
            raise Conflict("More cash was recorded since this page was opened; check the amount again.")
        difference = received_paise - expected
        if difference and not reason:
            raise ValidationError("Say why the cash counted differs from the cash collected.", field="reason")
        now = clock.now()
        handover = {"_id": u.new_id("CH"), "delivery_boy_id": delivery_boy_id,
                    "payment_ids": [p["_id"] for p in held], "expected_paise": expected,
                    "received_paise": received_paise, "difference_paise": difference,
                    "reason": reason if difference else None, "confirmed_by": actor.as_doc(), "confirmed_at": now}
        moved = u.db.payments.update_many({"_id": {"$in": handover["payment_ids"]}, "handover_id": None},
                                          {"$set": {"handover_id": handover["_id"]}})
        if moved.modified_count != len(held):
            raise Conflict("Part of this cash was handed over meanwhile; check again.")
        u.db.cash_handovers.insert_one(handover)
        summary = f"Cash handover of {delivery_boy_id}: {received_paise} paise counted of {expected} collected"
        u.record("cash.handover", "user", delivery_boy_id,
                 summary + (f", difference {difference} paise: {reason}" if difference else ""),
                 changes={"handover_id": handover["_id"], "expected_paise": expected,
                          "received_paise": received_paise, "difference_paise": difference})
        return handover

    return uow.run(actor, work)
