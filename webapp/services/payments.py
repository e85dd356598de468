"""Money received and owed: payments with their receipts, voids, their settlement over bills, adjustments, a
customer's balance.

Payments are spread over the customer's bills oldest first (credit bills add to what is spread), so
a bill's stored status is PENDING, PARTIAL or PAID; OVERDUE is derived on read (bill_builder).
Each payment gets a receipt number `RC-YYYYMM-NNNN` from a gap-free series (taken inside its unit of work, like
bill numbers). A payment is never deleted: a void is a payment of the opposite amount naming the one it takes back
(`kind: "void"`, `voids`), so every sum over payments stays right.
"""
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError, OperationFailure

from webapp import clock
from webapp.db import get_db
from webapp.presentation import format_rupees
from webapp.services import Conflict, NotFound, ValidationError, bill_tallies, business_profile, ids, uow, validate
from webapp.services.bill_builder import paid_status

MONEY_ROLES = ("admin", "support")
PAYMENT_METHODS = ("cash", "upi", "bank")
MAX_AMOUNT_PAISE = 100_000_000  # ₹10,00,000: more than any household's dairy bill


def settle(u, customer_id):
    """Inside unit of work `u`: spread the customer's payments (and credit bills) over his bills, oldest
    first; write the bills whose paid amount or status changed, and move the bill tallies with them."""
    bills = list(u.db.bills.find({"customer_id": customer_id},
                                 {"customer_id": 1, "due_date": 1, "total_paise": 1, "paid_paise": 1, "status": 1})
                 .sort([("issued_at", 1), ("_id", 1)]))
    pool = sum(p["amount_paise"] for p in u.db.payments.find({"customer_id": customer_id}, {"amount_paise": 1}))
    pool += sum(-b["total_paise"] for b in bills if b["total_paise"] < 0)
    changed = []  # (before, after): what the bills wait for moves the bill tallies
    for bill in bills:
        paid = max(0, min(bill["total_paise"], pool))
        pool -= paid
        status = paid_status(bill["total_paise"], paid)
        if (paid, status) != (bill["paid_paise"], bill["status"]):
            u.db.bills.update_one({"_id": bill["_id"]}, {"$set": {"paid_paise": paid, "status": status}})
            changed.append((bill, {**bill, "paid_paise": paid, "status": status}))
    bill_tallies.bills_settled(u, changed)


def clean_amount(amount_paise, field="amount", *, allow_negative=False):
    if isinstance(amount_paise, bool) or not isinstance(amount_paise, int):
        raise ValidationError("Enter an amount like 250.00.", field=field)
    if amount_paise == 0 or (amount_paise < 0 and not allow_negative):
        raise ValidationError("Amount must be more than zero.", field=field)
    if abs(amount_paise) > MAX_AMOUNT_PAISE:
        raise ValidationError("That amount is too large.", field=field)
    return amount_paise


def _existing_customer(customer_id):
    customer = get_db().customers.find_one({"_id": customer_id}, {"name": 1, "status": 1})
    if customer is None:
        raise NotFound("No such customer.")
    return customer


def _receipt_number(u):
    """The next `RC-YYYYMM-NNNN`, taken inside `u`'s transaction like a bill number: a payment that is not
    recorded consumes no number, so issued receipts have no gaps."""
    stamp = clock.today().strftime("%Y%m")
    key = f"RC-{stamp}"
    ids.next_sequence(key, count=0)  # the month's counter exists (created outside the transaction), unmoved
    counter = u.db.counters.find_one_and_update({"_id": key}, {"$inc": {"seq": 1}},
                                                return_document=ReturnDocument.AFTER)
    if counter is None:
        # Created after this transaction's snapshot (its unit of work read before its first payment of the
        # month): run the unit again, as after a write conflict; the counter is there for it then.
        raise OperationFailure("receipt counter created during the transaction", code=112,
                               details={"errorLabels": ["TransientTransactionError"]})
    return ids.format_id("RC", stamp, counter["seq"])


def add_payment(u, customer_id, amount_paise, method, *, reference=None, received_on=None, collected_by=None,
                submission_id=None):
    """Inside unit of work `u`: insert a payment of checked values with its receipt number, settle the
    customer's bills and audit it; returns the payment. `collected_by`: the delivery boy who took the cash."""
    payment = {
        "_id": u.new_id("PA"),
        "receipt_number": _receipt_number(u),
        "customer_id": customer_id,
        "amount_paise": amount_paise,
        "method": method,
        "reference": reference,
        "received_on": clock.iso(received_on or clock.today()),
        "submission_id": submission_id,
        "collected_by": collected_by,
        "recorded_by": u.actor.as_doc(),
        "created_at": clock.now(),
    }
    u.db.payments.insert_one(payment)
    settle(u, customer_id)
    u.record("payment.record", "payment", payment["_id"],
             f"Recorded {amount_paise} paise ({method}), receipt {payment['receipt_number']}",
             changes={"customer_id": customer_id, "amount_paise": amount_paise,
                      "receipt_number": payment["receipt_number"]})
    return payment


def _clean_payment(customer_id, amount_paise, method, reference, received_on, submission_id):
    """The payment form's values checked, every wrong field at once: (customer, amount, reference, day,
    submission_id)."""
    customer = _existing_customer(customer_id)
    errors = validate.Errors()
    amount_paise = errors.check("amount", clean_amount, amount_paise)
    if method not in PAYMENT_METHODS:
        errors.add("method", "Choose cash, UPI or bank.")
    reference = errors.check("reference", validate.text, reference, "reference", label="Reference", max_length=80,
                             required=False) or None
    if received_on in (None, ""):
        received_on = clock.today()
    else:
        received_on = errors.check("received_on", validate.day, received_on, "received_on", label="Date received")
        if received_on and received_on > clock.today():
            errors.add("received_on", "Date received cannot be in the future.")
    if submission_id is not None:
        submission_id = errors.check("submission_id", validate.text, submission_id, "submission_id",
                                     label="Form", max_length=64) or None
    errors.raise_if_any()
    return customer, amount_paise, reference, received_on, submission_id


def payment_preview(customer_id, amount_paise, method, *, reference=None, received_on=None, actor):
    """What the office checks before saving a payment: {customer, amount_paise, method, reference, received_on,
    due_paise (what he owes now, never below 0), credit_paise (what would become credit)}. Nothing is written."""
    actor.require(*MONEY_ROLES)
    customer, amount_paise, reference, received_on, _ = _clean_payment(customer_id, amount_paise, method, reference,
                                                                       received_on, None)
    due = max(0, customer_balance(customer_id))
    return {"customer": customer, "amount_paise": amount_paise, "method": method, "reference": reference,
            "received_on": received_on, "due_paise": due, "credit_paise": max(0, amount_paise - due)}


def _check_credit_confirmed(customer_id, amount_paise, submission_id):
    """Refuse an amount above what the customer owes unless the office confirmed the excess becomes credit; the
    same form sent again is let through to be answered with the payment it recorded."""
    if submission_id and get_db().payments.find_one({"submission_id": submission_id}, {"_id": 1}):
        return
    due = max(0, customer_balance(customer_id))
    if amount_paise > due:
        raise ValidationError(f"This is {format_rupees(amount_paise - due)} more than is due "
                              f"({format_rupees(due)}): confirm it becomes credit.", field="confirm_credit")


def record_payment(customer_id, amount_paise, method, *, reference=None, received_on=None, submission_id=None,
                   credit_confirmed=None, actor):
    """Record money received and settle the customer's bills with it, in one unit of work.
    A repeated form (submission_id) or (method, reference) records it once: the first payment is returned.
    `credit_confirmed=False` (a person at the payment form who has not confirmed): an amount above what the
    customer owes is refused by the `confirm_credit` field, as the excess would become credit."""
    actor.require(*MONEY_ROLES)
    _, amount_paise, reference, received_on, submission_id = _clean_payment(
        customer_id, amount_paise, method, reference, received_on, submission_id)
    if credit_confirmed is False:
        _check_credit_confirmed(customer_id, amount_paise, submission_id)

    def work(u):
        return add_payment(u, customer_id, amount_paise, method, reference=reference, received_on=received_on,
                           submission_id=submission_id)

    try:
        return uow.run(actor, work)
    except DuplicateKeyError:  # the unique submission or reference index: recorded before
        existing = get_db().payments.find_one({"submission_id": submission_id} if submission_id else
                                              {"customer_id": customer_id, "method": method, "reference": reference})
        if existing is None or existing["customer_id"] != customer_id:
            raise Conflict("This payment reference is already recorded.") from None
        return existing


def void_payment(payment_id, reason, *, actor):
    """Void a payment with a reason: a new ledger entry of the opposite amount (the payment itself stays, marked
    voided), the bills settled again, audited; one unit of work. A payment is voided once."""
    actor.require(*MONEY_ROLES)
    payment = get_db().payments.find_one({"_id": str(payment_id)})
    if payment is None:
        raise NotFound("No such payment.")
    reason = validate.text(reason, "reason", label="Reason", max_length=200)
    if payment["amount_paise"] <= 0:
        raise Conflict("Only a payment received can be voided.")
    if payment.get("voided_by"):
        raise Conflict("This payment is already voided.")

    def work(u):
        void = {"_id": u.new_id("PA"), "kind": "void", "voids": payment["_id"], "reason": reason,
                "customer_id": payment["customer_id"], "amount_paise": -payment["amount_paise"],
                "method": payment["method"], "reference": None, "received_on": clock.iso(clock.today()),
                "submission_id": None, "recorded_by": actor.as_doc(), "created_at": clock.now()}
        u.db.payments.insert_one(void)
        marked = u.db.payments.update_one({"_id": payment["_id"], "voided_by": None},
                                          {"$set": {"voided_by": void["_id"], "void_reason": reason}})
        if marked.modified_count != 1:
            raise Conflict("This payment is already voided.")
        settle(u, payment["customer_id"])
        u.record("payment.void", "payment", payment["_id"],
                 f"Voided {payment['amount_paise']} paise ({payment.get('receipt_number') or 'no receipt'}): "
                 f"{reason}", changes={"void_id": void["_id"], "amount_paise": -payment["amount_paise"]})
        return void

    try:
        return uow.run(actor, work)
    except DuplicateKeyError:  # the unique index on `voids`: voided at the same moment by someone else
        raise Conflict("This payment is already voided.") from None


def receipt(payment_id, *, actor):
    """A payment's receipt: {payment, customer, void (the entry that took it back, or None), business (the dairy's
    profile at its head)}. Staff, the customer
    himself, or a receipt link for that payment; anything else (a void, a payment without a receipt number,
    someone else's) is NotFound."""
    db = get_db()
    payment = db.payments.find_one({"_id": payment_id, "receipt_number": {"$type": "string"}}) \
        if isinstance(payment_id, str) else None
    visible = payment is not None and (
        actor.is_system or actor.is_staff
        or (actor.has_role("customer") and actor.customer_id == payment["customer_id"])
        or (actor.kind == "link" and actor.link is not None and actor.link.get("scope") == "receipt"
            and actor.link.get("payment_id") == payment["_id"]))
    if not visible:
        raise NotFound("No such receipt.")
    customer = db.customers.find_one({"_id": payment["customer_id"]}, {"name": 1, "address": 1, "area": 1,
                                                                       "phone": 1}) or {}
    void = db.payments.find_one({"_id": payment["voided_by"]}) if payment.get("voided_by") else None
    return {"payment": payment, "customer": customer, "void": void, "business": business_profile.get()}


def customer_receipts(customer_id, *, actor):
    """A customer's receipts, newest first (the customer himself or staff)."""
    if not (actor.is_system or actor.is_staff or (actor.has_role("customer") and actor.customer_id == customer_id)):
        raise NotFound("No such customer.")
    return list(get_db().payments.find({"customer_id": customer_id, "receipt_number": {"$type": "string"}})
                .sort([("created_at", -1)]))


def add_adjustment(customer_id, amount_paise, reason, *, actor):
    """A credit (negative) or debit (positive) with a reason; it lands on the customer's next bill."""
    actor.require(*MONEY_ROLES)
    customer = _existing_customer(customer_id)
    errors = validate.Errors()
    amount_paise = errors.check("amount", clean_amount, amount_paise, allow_negative=True)
    reason = errors.check("reason", validate.text, reason, "reason", label="Reason", max_length=200)
    errors.raise_if_any()

    def work(u):
        adjustment = {"_id": u.new_id("AD"), "customer_id": customer_id, "amount_paise": amount_paise,
                      "reason": reason, "bill_id": None, "created_by": actor.as_doc(), "created_at": clock.now()}
        u.db.adjustments.insert_one(adjustment)
        u.record("billing.adjust", "customer", customer_id,
                 f"Adjustment of {amount_paise} paise for {customer['name']}: {reason}",
                 changes={"adjustment_id": adjustment["_id"], "amount_paise": amount_paise})
        return adjustment

    return uow.run(actor, work)


def _sums_by_customer(collection, match, field):
    pipeline = [{"$match": match}, {"$group": {"_id": "$customer_id", "sum": {"$sum": f"${field}"}}}]
    return {row["_id"]: row["sum"] for row in collection.aggregate(pipeline)}


def balances(customer_ids=None):
    """{customer_id: billed − paid} straight from the records (positive: the customer owes); every
    customer with a bill or a payment, or only the given ones."""
    db = get_db()
    match = {} if customer_ids is None else {"customer_id": {"$in": list(customer_ids)}}
    billed = _sums_by_customer(db.bills, match, "total_paise")
    paid = _sums_by_customer(db.payments, match, "amount_paise")
    return {c: billed.get(c, 0) - paid.get(c, 0) for c in set(billed) | set(paid)}


def customer_balance(customer_id):
    """Billed − paid for one customer (positive: the customer owes)."""
    return balances([customer_id]).get(customer_id, 0)
