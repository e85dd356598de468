"""Money received and owed: payments, their settlement over bills, adjustments, a customer's balance.

Payments are spread over the customer's bills oldest first (credit bills add to what is spread), so
a bill's stored status is PENDING, PARTIAL or PAID; OVERDUE is derived on read (bill_builder).
"""
from pymongo.errors import DuplicateKeyError

from webapp import clock
from webapp.db import get_db
from webapp.services import Conflict, NotFound, ValidationError, uow, validate
from webapp.services.bill_builder import paid_status

MONEY_ROLES = ("admin", "support")
PAYMENT_METHODS = ("cash", "upi", "bank")
MAX_AMOUNT_PAISE = 100_000_000  # ₹10,00,000: more than any household's dairy bill


def settle(u, customer_id):
    """Inside unit of work `u`: spread the customer's payments (and credit bills) over his bills, oldest
    first; write the bills whose paid amount or status changed."""
    bills = list(u.db.bills.find({"customer_id": customer_id}, {"total_paise": 1, "paid_paise": 1, "status": 1})
                 .sort([("issued_at", 1), ("_id", 1)]))
    pool = sum(p["amount_paise"] for p in u.db.payments.find({"customer_id": customer_id}, {"amount_paise": 1}))
    pool += sum(-b["total_paise"] for b in bills if b["total_paise"] < 0)
    for bill in bills:
        paid = max(0, min(bill["total_paise"], pool))
        pool -= paid
        status = paid_status(bill["total_paise"], paid)
        if (paid, status) != (bill["paid_paise"], bill["status"]):
            u.db.bills.update_one({"_id": bill["_id"]}, {"$set": {"paid_paise": paid, "status": status}})


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


def record_payment(customer_id, amount_paise, method, *, reference=None, received_on=None, submission_id=None,
                   actor):
    """Record money received and settle the customer's bills with it, in one unit of work.
    A repeated form (submission_id) or (method, reference) records it once: the first payment is returned."""
    actor.require(*MONEY_ROLES)
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

    def work(u):
        payment = {
            "_id": u.new_id("PA"),
            "customer_id": customer_id,
            "amount_paise": amount_paise,
            "method": method,
            "reference": reference,
            "received_on": clock.iso(received_on),
            "submission_id": submission_id,
            "recorded_by": actor.as_doc(),
            "created_at": clock.now(),
        }
        u.db.payments.insert_one(payment)
        settle(u, customer_id)
        u.record("payment.record", "payment", payment["_id"],
                 f"Recorded {amount_paise} paise ({method}) from {customer['name']}")
        return payment

    try:
        return uow.run(actor, work)
    except DuplicateKeyError:  # the unique submission or reference index: recorded before
        existing = get_db().payments.find_one({"submission_id": submission_id} if submission_id else
                                              {"customer_id": customer_id, "method": method, "reference": reference})
        if existing is None or existing["customer_id"] != customer_id:
            raise Conflict("This payment reference is already recorded.") from None
        return existing


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
