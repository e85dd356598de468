"""Monthly billing: every delivered line billed exactly once, payments, reconciliation.

Billing reads only the `deliveries` collection. Exactly once is the database's job: each
bill line names its delivery and the unique multikey index `delivery_billed_once`
({customer_id, lines.delivery_id}) refuses a second bill naming the same delivery, so
issuing a bill is one insert and billing never writes to deliveries. A customer's first
bill of a month is `regular` (unique per customer and month); later ones for late
deliveries are `supplementary`. Bill numbers come from a counter inside the transaction
that inserts the bill, so a refused or failed insert consumes no number.
"""
import csv
import io
import threading
import time
from collections import defaultdict
from datetime import date, timedelta
from itertools import groupby

from flask import current_app
from pymongo.errors import BulkWriteError, DuplicateKeyError

from webapp import clock
from webapp.db import get_db, in_transaction
from webapp.services import Conflict, NotFound, ValidationError, audit, guards, ids, validate

RUN_ROLES = ("admin",)
MONEY_ROLES = ("admin", "support")
VIEW_ROLES = ("admin", "marketing", "support")
PAYMENT_METHODS = ("cash", "upi", "bank")
STATUSES = ("PENDING", "PARTIAL", "PAID", "OVERDUE")
MAX_AMOUNT_PAISE = 100_000_000  # ₹10,00,000: more than any household's dairy bill
ISSUE_BATCH = 50  # bills issued per transaction (one number range, one insert, one commit)
ISSUE_ATTEMPTS = 5  # a customer's bill rebuilt after a concurrent run billed part of it first
STALE_JOB = timedelta(minutes=10)  # a running job silent this long was killed with its process
DELIVERY_FIELDS = {"_id": 1, "order_id": 1, "order_kind": 1, "customer_id": 1, "date": 1, "status": 1,
                   "lines": 1, "amount_paise": 1, "confirmed_at": 1}


class AdjustmentTaken(Exception):
    """A concurrent run put one of these adjustments on its bill first."""


class DeliveryChanged(Exception):
    """A delivery on this bill was corrected after the run read it: the bill must be rebuilt."""


# ---------------------------------------------------------------- dates and money

def next_month(month):
    year, number = map(int, month.split("-"))
    return f"{year + number // 12}-{number % 12 + 1:02d}"


def previous_month(month):
    year, number = map(int, month.split("-"))
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


def due_date_for(month, issued_on):
    """The configured day of the following month; a bill issued later than that gets as many days from issue."""
    due_day = current_app.config.get("BILL_DUE_DAY", 10)
    due = date.fromisoformat(next_month(month) + "-01").replace(day=due_day)
    return due if due >= issued_on else issued_on + timedelta(days=due_day)


def effective_status(bill, today=None):
    """PAID/PARTIAL/PENDING as stored, OVERDUE when unpaid past the due date."""
    status = bill["status"]
    if status != "PAID" and bill["due_date"] < clock.iso(today or clock.today()):
        return "OVERDUE"
    return status


def paid_status(total, paid):
    if total <= 0 or paid >= total:
        return "PAID"
    return "PARTIAL" if paid > 0 else "PENDING"


# ---------------------------------------------------------------- building a bill (pure)

def bill_lines(deliveries):
    """One line per delivered product of each delivery (nothing for undelivered quantities)."""
    lines = []
    for delivery in sorted(deliveries, key=lambda d: (d["date"], d["_id"])):
        for line in delivery.get("lines") or []:
            qty = line.get("delivered_qty") or 0
            if qty <= 0:
                continue
            lines.append({
                "delivery_id": delivery["_id"],
                "date": delivery["date"],
                "order_id": delivery["order_id"],
                "order_kind": delivery.get("order_kind"),
                "product_id": line["product_id"],
                "ordered_qty": line.get("ordered_qty", qty),
                "qty": qty,
                "unit_price_paise": line["unit_price_paise"],
                "amount_paise": qty * line["unit_price_paise"],
            })
    return lines


def summarize(lines, *, not_delivered_days=(), paused_days=0, skipped_days=0, previous_total=None, total=0):
    """What a customer reads at the top of his bill, so he does not have to phone to ask why."""
    days = sorted({line["date"] for line in lines})
    extras = [line for line in lines if line["order_kind"] == "ONE_TIME"]
    short = [line for line in lines if line["qty"] < line["ordered_qty"]]
    prices = defaultdict(list)
    for line in sorted(lines, key=lambda item: item["date"]):
        history = prices[line["product_id"]]
        if not history or history[-1]["unit_price_paise"] != line["unit_price_paise"]:
            history.append({"from": line["date"], "unit_price_paise": line["unit_price_paise"]})
    return {
        "days_delivered": len(days),
        "first_day": days[0] if days else None,
        "last_day": days[-1] if days else None,
        "days_not_delivered": len(set(not_delivered_days) - set(days)),
        "days_paused": paused_days,
        "days_skipped": skipped_days,
        "extras": len(extras),
        "extras_paise": sum(line["amount_paise"] for line in extras),
        "short_deliveries": len(short),
        "short_days": sorted({line["date"] for line in short}),
        "price_changes": [
            {"product_id": product_id, "prices": history} for product_id, history in prices.items() if len(history) > 1
        ],
        "previous_month_total_paise": previous_total,
        "change_paise": None if previous_total is None else total - previous_total,
    }


def assemble_bill(customer_id, month, kind, deliveries, *, adjustments=(), previous_balance=0, credit=0,
                  issued_on, run_id=None, not_delivered_days=(), paused_days=0, skipped_days=0,
                  previous_total=None):
    """A bill document (without its number) from delivery documents; totals are sums of their lines."""
    lines = bill_lines(deliveries)
    adjustment_lines = [
        {"adjustment_id": a["_id"], "reason": a["reason"], "amount_paise": a["amount_paise"]} for a in adjustments
    ]
    lines_total = sum(line["amount_paise"] for line in lines)
    total = lines_total + sum(a["amount_paise"] for a in adjustment_lines)
    paid = max(0, min(total, credit))
    bill = {
        "customer_id": customer_id,
        "month": month,
        "kind": kind,
        "lines": lines,
        "adjustments": adjustment_lines,
        "lines_paise": lines_total,
        "total_paise": total,
        "previous_balance_paise": previous_balance,
        "amount_due_paise": previous_balance + total,
        "paid_paise": paid,
        "status": paid_status(total, paid),
        "due_date": clock.iso(due_date_for(month, issued_on)),
        "summary": summarize(lines, not_delivered_days=not_delivered_days, paused_days=paused_days,
                             skipped_days=skipped_days, previous_total=previous_total, total=total),
        "issued_at": clock.now(),
        "run_id": run_id,
    }
    return bill


# ---------------------------------------------------------------- the month's run

def _month_state(db, month):
    """Delivery ids already billed for the month, and customers who already have their regular bill."""
    billed, regular = set(), set()
    for bill in db.bills.find({"month": month}, {"customer_id": 1, "kind": 1, "lines.delivery_id": 1}):
        billed.update(line["delivery_id"] for line in bill.get("lines") or [])
        if bill["kind"] == "regular":
            regular.add(bill["customer_id"])
    return billed, regular


def _sums_by_customer(collection, match, field):
    pipeline = [{"$match": match}, {"$group": {"_id": "$customer_id", "sum": {"$sum": f"${field}"}}}]
    return {row["_id"]: row["sum"] for row in collection.aggregate(pipeline)}


def _subscription_days(db, month):
    """{customer_id: (paused days, skipped days)} in the month, from the subscriptions' pauses and skips."""
    days = clock.month_days(month)
    first, last = clock.iso(days[0]), clock.iso(days[-1])
    paused, skipped = defaultdict(set), defaultdict(set)
    query = {"kind": "SUBSCRIPTION", "start_date": {"$lte": last},
             "$or": [{"end_date": None}, {"end_date": {"$gte": first}}]}
    for order in db.orders.find(query, {"customer_id": 1, "start_date": 1, "end_date": 1, "pauses": 1, "skips": 1}):
        start = max(first, order["start_date"])
        end = min(last, order.get("end_date") or last)
        for pause in order.get("pauses") or []:
            for day in days:
                iso = clock.iso(day)
                if start <= iso <= end and pause["first_day"] <= iso <= pause["last_day"]:
                    paused[order["customer_id"]].add(iso)
        for iso in order.get("skips") or {}:
            if start <= iso <= end:
                skipped[order["customer_id"]].add(iso)
    return {customer: (len(paused[customer]), len(skipped[customer])) for customer in set(paused) | set(skipped)}


def _issue_bills(bills, guard_counts):
    """Insert bills with consecutive numbers in one transaction: all of them or none (no number consumed).

    Raises DuplicateKeyError/BulkWriteError (a delivery already billed), AdjustmentTaken or
    DeliveryChanged (a delivery written since the run read them: its guard count moved from
    `guard_counts`) untouched.
    """
    db = get_db()
    adjustment_ids = {a["adjustment_id"]: bill for bill in bills for a in bill["adjustments"]}

    def work(session):
        # Numbers first: the counter document is created outside the transaction, so it must exist
        # before the transaction's first read fixes its snapshot.
        for bill, number in zip(bills, ids.new_bill_ids(bills[0]["month"], len(bills), session=session)):
            bill["_id"] = number
        if not guards.hold_for_billing([bill["customer_id"] for bill in bills], bills[0]["month"], guard_counts,
                                       session=session):
            raise DeliveryChanged()
        db.bills.insert_many(bills, session=session)
        for adjustment_id, bill in adjustment_ids.items():
            taken = db.adjustments.update_one({"_id": adjustment_id, "bill_id": None},
                                              {"$set": {"bill_id": bill["_id"]}}, session=session)
            if taken.modified_count != 1:
                raise AdjustmentTaken()
        return bills

    return in_transaction(work)


def _issue_with_retry(bill_for, customer_id, deliveries, adjustments, billed, has_regular, guard_counts):
    """Issue the customer's bill; when a concurrent run billed some of it first, or one of his deliveries
    was written since it was read, rebuild it from what is there now."""
    db = get_db()
    for attempt in range(ISSUE_ATTEMPTS):
        pending = [d for d in deliveries if d["_id"] not in billed]
        bill = bill_for(customer_id, pending, adjustments, has_regular)
        if bill is None:
            return None
        try:
            return _issue_bills([bill], guard_counts)[0]
        except (DuplicateKeyError, BulkWriteError, AdjustmentTaken, DeliveryChanged):
            if attempt == ISSUE_ATTEMPTS - 1:
                raise
            guard_counts.update(guards.counts(bill["month"], [customer_id]))  # noted before re-reading
            deliveries = list(db.deliveries.find(
                {"month": bill["month"], "customer_id": customer_id, "amount_paise": {"$gt": 0}}, DELIVERY_FIELDS))
            for other in db.bills.find({"customer_id": customer_id, "month": bill["month"]},
                                       {"kind": 1, "lines.delivery_id": 1}):
                billed.update(line["delivery_id"] for line in other.get("lines") or [])
                has_regular = has_regular or other["kind"] == "regular"
            adjustments = list(db.adjustments.find({"_id": {"$in": [a["_id"] for a in adjustments]}, "bill_id": None}))


def run_month(month, *, actor, job_id=None):
    """Bill every delivered, not yet billed line of `month`, one bill per customer; returns a summary."""
    actor.require(*RUN_ROLES)
    month = validate.month(month)
    db = get_db()
    started = time.perf_counter()  # a duration, not a business time: the real clock even when frozen
    today = clock.today()
    run_id = job_id or ids.new_id("RN")
    billed, regular = _month_state(db, month)
    guard_counts = guards.counts(month)  # before the read pass: a later write to a delivery moves its count
    billed_before = _sums_by_customer(db.bills, {}, "total_paise")
    paid_before = _sums_by_customer(db.payments, {}, "amount_paise")
    previous_totals = _sums_by_customer(db.bills, {"month": previous_month(month)}, "total_paise")
    sub_days = _subscription_days(db, month)
    adjustments_by_customer = defaultdict(list)
    for adjustment in db.adjustments.find({"bill_id": None}).sort("created_at", 1):
        adjustments_by_customer[adjustment["customer_id"]].append(adjustment)

    # One pass over the month's deliveries, in customer order (index month_customer).
    deliveries_by_customer = {}
    not_delivered = defaultdict(set)
    already_billed = 0
    cursor = db.deliveries.find({"month": month}, DELIVERY_FIELDS, batch_size=5000).sort("customer_id", 1)
    for customer_id, group in groupby(cursor, key=lambda d: d["customer_id"]):
        unbilled = []
        for delivery in group:
            if (delivery.get("amount_paise") or 0) <= 0:
                not_delivered[customer_id].add(delivery["date"])
            elif delivery["_id"] in billed:
                already_billed += 1
            else:
                unbilled.append(delivery)
        if unbilled:
            deliveries_by_customer[customer_id] = unbilled

    balances = {c: billed_before.get(c, 0) - paid_before.get(c, 0) for c in set(billed_before) | set(paid_before)}
    to_bill = set(deliveries_by_customer) | set(adjustments_by_customer)
    to_bill |= {c for c, balance in balances.items() if balance and c not in regular}
    customers = sorted(to_bill)

    def bill_for(customer_id, deliveries, adjustments, has_regular):
        balance = balances.get(customer_id, 0)
        if not deliveries and not adjustments and (has_regular or not balance):
            return None
        paused, skipped = sub_days.get(customer_id, (0, 0))
        return assemble_bill(
            customer_id, month, "supplementary" if has_regular else "regular", deliveries,
            adjustments=adjustments, previous_balance=balance, credit=-balance, issued_on=today, run_id=run_id,
            not_delivered_days=not_delivered.get(customer_id, ()), paused_days=paused, skipped_days=skipped,
            previous_total=previous_totals.get(customer_id),
        )

    progress = {"customers_total": len(customers), "customers_done": 0, "bills_issued": 0, "amount_paise": 0,
                "lines": 0, "supplementary": 0}
    _job_progress(job_id, progress)
    batch = []  # (customer_id, bill) issued together in one transaction

    def issue_batch():
        try:
            issued = _issue_bills([bill for _, bill in batch], guard_counts) if batch else []
        except (DuplicateKeyError, BulkWriteError, AdjustmentTaken, DeliveryChanged):
            # A concurrent run billed some of these first, or a delivery was written since it was read:
            # issue them one by one, each rebuilt from what is there now.
            issued = [_issue_with_retry(bill_for, customer_id, deliveries_by_customer.get(customer_id, []),
                                        adjustments_by_customer.get(customer_id, []), billed, customer_id in regular,
                                        guard_counts)
                      for customer_id, _ in batch]
        for bill in filter(None, issued):
            progress["bills_issued"] += 1
            progress["amount_paise"] += bill["total_paise"]
            progress["lines"] += len(bill["lines"])
            progress["supplementary"] += bill["kind"] == "supplementary"
        batch.clear()

    try:
        for done, customer_id in enumerate(customers, start=1):
            bill = bill_for(customer_id, deliveries_by_customer.get(customer_id, []),
                            adjustments_by_customer.get(customer_id, []), customer_id in regular)
            if bill is not None:
                batch.append((customer_id, bill))
            if len(batch) >= ISSUE_BATCH or done == len(customers):
                issue_batch()
                progress["customers_done"] = done
                _job_progress(job_id, progress)
    except Exception as error:
        _job_finish(job_id, progress, error=str(error) or type(error).__name__)
        raise
    summary = dict(progress, month=month, run_id=run_id, already_billed=already_billed,
                   seconds=round(time.perf_counter() - started, 3))
    _job_finish(job_id, progress, summary=summary)
    audit.record(actor, "billing.run", "month", month,
                 f"Billed {month}: {summary['bills_issued']} bills, {summary['amount_paise']} paise",
                 changes={"run_id": run_id, "bills_issued": summary["bills_issued"]})
    return summary


# ---------------------------------------------------------------- jobs (the run started from the web page)

def _job_progress(job_id, progress):
    if job_id:
        get_db().jobs.update_one({"_id": job_id}, {"$set": {"progress": dict(progress), "updated_at": clock.now()}})


def _job_finish(job_id, progress, *, summary=None, error=None):
    if not job_id:
        return
    now = clock.now()
    get_db().jobs.update_one({"_id": job_id}, {
        "$set": {"progress": dict(progress), "status": "failed" if error else "done", "summary": summary,
                 "error": error, "finished_at": now, "updated_at": now},
        "$unset": {"running_key": ""},
    })


def start_month_job(month, *, actor):
    """Create the job record for a month's run, or return the one already running (unique running_key)."""
    actor.require(*RUN_ROLES)
    month = validate.month(month)
    db = get_db()
    key = f"bill-month:{month}"
    now = clock.now()
    # A job whose process died never finishes: release its key so the month can be run again.
    db.jobs.update_many({"running_key": key, "updated_at": {"$lt": now - STALE_JOB}},
                        {"$set": {"status": "failed", "error": "The run stopped without finishing."},
                         "$unset": {"running_key": ""}})
    job = {"_id": ids.new_id("JB"), "kind": "bill_month", "month": month, "status": "running", "running_key": key,
           "progress": {"customers_total": None, "customers_done": 0, "bills_issued": 0, "amount_paise": 0},
           "summary": None, "error": None, "started_by": actor.as_doc(), "started_at": now, "updated_at": now,
           "finished_at": None}
    try:
        db.jobs.insert_one(job)
    except DuplicateKeyError:
        running = db.jobs.find_one({"running_key": key})
        if running is None:  # finished between our insert and this read
            raise Conflict("A run of this month just finished; start it again to bill anything new.") from None
        return running, False
    audit.record(actor, "billing.start", "job", job["_id"], f"Started billing {month}")
    return job, True


def start_month_run(month, *, actor):
    """Start a month's run in a background thread that outlives the request; returns (job, started)."""
    job, started = start_month_job(month, actor=actor)
    if started:
        app = current_app._get_current_object()
        thread = threading.Thread(target=_run_job, args=(app, job, actor), name=f"bill-{month}", daemon=True)
        thread.start()
        job["thread"] = thread
    return job, started


def _run_job(app, job, actor):
    with app.app_context():
        try:
            run_month(job["month"], actor=actor, job_id=job["_id"])
        except Exception:  # recorded on the job record by run_month; the thread has no one to tell
            app.logger.exception("billing run %s failed", job["_id"])


def get_job(job_id, *, actor):
    actor.require(*VIEW_ROLES)
    job = get_db().jobs.find_one({"_id": job_id, "kind": "bill_month"})
    if job is None:
        raise NotFound("No such billing run.")
    return job


def recent_jobs(limit=10, *, actor):
    actor.require(*VIEW_ROLES)
    return list(get_db().jobs.find({"kind": "bill_month"}).sort("started_at", -1).limit(limit))


# ---------------------------------------------------------------- payments and adjustments

def _settle(customer_id, *, session=None):
    """Spread the customer's payments (and credit bills) over his bills, oldest first; write what changed."""
    db = get_db()
    bills = list(db.bills.find({"customer_id": customer_id}, {"total_paise": 1, "paid_paise": 1, "status": 1},
                               session=session).sort([("issued_at", 1), ("_id", 1)]))
    pool = sum(p["amount_paise"] for p in db.payments.find({"customer_id": customer_id}, {"amount_paise": 1},
                                                           session=session))
    pool += sum(-b["total_paise"] for b in bills if b["total_paise"] < 0)
    for bill in bills:
        paid = max(0, min(bill["total_paise"], pool))
        pool -= paid
        status = paid_status(bill["total_paise"], paid)
        if (paid, status) != (bill["paid_paise"], bill["status"]):
            db.bills.update_one({"_id": bill["_id"]}, {"$set": {"paid_paise": paid, "status": status}},
                                session=session)


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
    """Record money received; a repeated form (submission_id) or (method, reference) records it once."""
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
    db = get_db()
    payment = {
        "_id": ids.new_id("PA"),
        "customer_id": customer_id,
        "amount_paise": amount_paise,
        "method": method,
        "reference": reference,
        "received_on": clock.iso(received_on),
        "submission_id": submission_id,
        "recorded_by": actor.as_doc(),
        "created_at": clock.now(),
    }

    def write(session):
        db.payments.insert_one(payment, session=session)
        _settle(customer_id, session=session)
        audit.record(actor, "payment.record", "payment", payment["_id"],
                     f"Recorded {amount_paise} paise ({method}) from {customer['name']}", session=session)
        return payment

    try:
        return in_transaction(write)
    except DuplicateKeyError:
        existing = db.payments.find_one({"submission_id": submission_id} if submission_id else
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
    adjustment = {"_id": ids.new_id("AD"), "customer_id": customer_id, "amount_paise": amount_paise,
                  "reason": reason, "bill_id": None, "created_by": actor.as_doc(), "created_at": clock.now()}
    get_db().adjustments.insert_one(adjustment)
    audit.record(actor, "billing.adjust", "customer", customer_id,
                 f"Adjustment of {amount_paise} paise for {customer['name']}: {reason}",
                 changes={"adjustment_id": adjustment["_id"], "amount_paise": amount_paise})
    return adjustment


def pending_adjustments(customer_id, *, actor):
    actor.require(*VIEW_ROLES)
    return list(get_db().adjustments.find({"customer_id": customer_id, "bill_id": None}).sort("created_at", 1))


# ---------------------------------------------------------------- reading bills

def _can_see_customer(actor, customer_id):
    if actor.is_system or actor.is_staff:
        return True
    return actor.has_role("customer") and actor.customer_id == customer_id


def _with_status(bill, today=None):
    bill["status"] = effective_status(bill, today)
    return bill


def get_bill(bill_id, *, actor):
    """One bill: staff any, a customer only his own, a bill link only its bill (else NotFound)."""
    bill = get_db().bills.find_one({"_id": str(bill_id)})
    visible = bill is not None and (
        _can_see_customer(actor, bill["customer_id"])
        or (actor.kind == "link"
            and get_db().shared_links.find_one({"_id": actor.id, "scope": "bill", "bill_id": bill["_id"]}))
    )
    if not visible:
        raise NotFound("No such bill.")
    return _with_status(bill)


def bill_view(bill_id, *, actor):
    """What a bill page renders: {bill, products, customer} (the same visibility as get_bill)."""
    bill = get_bill(bill_id, actor=actor)
    customer = get_db().customers.find_one({"_id": bill["customer_id"]}, {"name": 1, "address": 1, "area": 1}) or {}
    return {"bill": bill, "products": products_for([bill]), "customer": customer}


def products_for(bills):
    """{product_id: product} for the lines of these bills."""
    product_ids = {line["product_id"] for bill in bills for line in bill.get("lines") or []}
    return {p["_id"]: p for p in get_db().products.find({"_id": {"$in": list(product_ids)}})}


def customer_bills(customer_id, *, actor):
    """A customer's bills, newest first."""
    if not _can_see_customer(actor, customer_id):
        raise NotFound("No such customer.")
    today = clock.today()
    bills = get_db().bills.find({"customer_id": customer_id}).sort([("issued_at", -1), ("_id", -1)])
    return [_with_status(bill, today) for bill in bills]


def customer_balance(customer_id):
    """Billed − paid, straight from the records (positive: the customer owes)."""
    db = get_db()
    billed = _sums_by_customer(db.bills, {"customer_id": customer_id}, "total_paise").get(customer_id, 0)
    paid = _sums_by_customer(db.payments, {"customer_id": customer_id}, "amount_paise").get(customer_id, 0)
    return billed - paid


def statement(customer_id, *, actor):
    """Bills and payments over time with the running balance; {customer, entries, balance_paise, bills, payments}."""
    if not _can_see_customer(actor, customer_id):
        raise NotFound("No such customer.")
    db = get_db()
    customer = db.customers.find_one({"_id": customer_id})
    if customer is None:
        raise NotFound("No such customer.")
    bills = customer_bills(customer_id, actor=actor)
    payments = list(db.payments.find({"customer_id": customer_id}).sort([("received_on", -1), ("created_at", -1)]))
    entries = [{"on": b["issued_at"].astimezone(clock.business_tz()).date().isoformat(), "kind": "bill",
                "ref": b["_id"], "label": f"Bill {b['month']} ({b['kind']})", "amount_paise": b["total_paise"],
                "at": b["issued_at"]} for b in bills]
    entries += [{"on": p["received_on"], "kind": "payment", "ref": p["_id"],
                 "label": f"Payment ({p['method']}{', ' + p['reference'] if p.get('reference') else ''})",
                 "amount_paise": -p["amount_paise"], "at": p["created_at"]} for p in payments]
    entries.sort(key=lambda e: (e["on"], e["at"]))
    balance = 0
    for entry in entries:
        balance += entry["amount_paise"]
        entry["balance_paise"] = balance
    return {"customer": customer, "entries": entries, "balance_paise": balance, "bills": bills,
            "payments": payments, "pending_adjustments": list(
                db.adjustments.find({"customer_id": customer_id, "bill_id": None}).sort("created_at", 1))}


def _bill_query(month, status=None, area=None, delivery_boy_id=None):
    db = get_db()
    query = {"month": month}
    today = clock.iso(clock.today())
    if status == "OVERDUE":
        query.update(status={"$ne": "PAID"}, due_date={"$lt": today})
    elif status == "PAID":
        query["status"] = "PAID"
    elif status in ("PENDING", "PARTIAL"):
        query.update(status=status, due_date={"$gte": today})
    if area or delivery_boy_id:
        match = {}
        if area:
            match["area"] = area
        if delivery_boy_id:
            match["delivery_boy_id"] = delivery_boy_id
        query["customer_id"] = {"$in": [c["_id"] for c in db.customers.find(match, {"_id": 1})]}
    return query


def list_bills(month, *, status=None, area=None, delivery_boy_id=None, actor):
    """A month's bills with filters; each with its customer's name, area and effective status."""
    actor.require(*VIEW_ROLES)
    month = validate.month(month)
    if status not in (None, "", *STATUSES):
        raise ValidationError("Choose a status.", field="status")
    db = get_db()
    bills = list(db.bills.find(_bill_query(month, status, area, delivery_boy_id), {"lines": 0}).sort("_id", 1))
    customers = {c["_id"]: c for c in db.customers.find(
        {"_id": {"$in": list({b["customer_id"] for b in bills})}}, {"name": 1, "area": 1, "delivery_boy_id": 1})}
    today = clock.today()
    for bill in bills:
        bill["customer"] = customers.get(bill["customer_id"], {"name": bill["customer_id"], "area": ""})
        _with_status(bill, today)
    return bills


def filter_choices(*, actor):
    """Areas and delivery boys for the bills list filters."""
    actor.require(*VIEW_ROLES)
    db = get_db()
    areas = sorted(a for a in db.customers.distinct("area") if a)
    boys = list(db.users.find({"role": "delivery_boy"}, {"name": 1}).sort("name", 1))
    return areas, boys


def bills_csv(month, *, status=None, area=None, delivery_boy_id=None, actor):
    """The filtered bills as CSV text (amounts in rupees with two decimals)."""
    bills = list_bills(month, status=status, area=area, delivery_boy_id=delivery_boy_id, actor=actor)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["bill", "customer_id", "customer", "area", "month", "kind", "lines_total", "adjustments",
                     "total", "previous_balance", "amount_due", "paid", "status", "due_date"])
    for bill in bills:
        adjustments = sum(a["amount_paise"] for a in bill.get("adjustments") or [])
        writer.writerow([bill["_id"], bill["customer_id"], bill["customer"]["name"], bill["customer"].get("area", ""),
                         bill["month"], bill["kind"], _rupees(bill["lines_paise"]), _rupees(adjustments),
                         _rupees(bill["total_paise"]), _rupees(bill["previous_balance_paise"]),
                         _rupees(bill["amount_due_paise"]), _rupees(bill["paid_paise"]), bill["status"],
                         bill["due_date"]])
    return out.getvalue()


def lines_csv(month, *, status=None, area=None, delivery_boy_id=None, actor):
    """Every line of the filtered bills as CSV text."""
    actor.require(*VIEW_ROLES)
    month = validate.month(month)
    db = get_db()
    products = {p["_id"]: p["name"] for p in db.products.find({}, {"name": 1})}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["bill", "customer_id", "date", "delivery", "order", "order_kind", "product_id", "product",
                     "ordered_qty", "qty", "unit_price", "amount"])
    query = _bill_query(month, status or None, area, delivery_boy_id)
    for bill in db.bills.find(query, {"customer_id": 1, "lines": 1}).sort("_id", 1):
        for line in bill.get("lines") or []:
            writer.writerow([bill["_id"], bill["customer_id"], line["date"], line["delivery_id"], line["order_id"],
                             line["order_kind"], line["product_id"], products.get(line["product_id"], ""),
                             line["ordered_qty"], line["qty"], _rupees(line["unit_price_paise"]),
                             _rupees(line["amount_paise"])])
    return out.getvalue()


def _rupees(paise):
    sign = "-" if paise < 0 else ""
    return f"{sign}{abs(paise) // 100}.{abs(paise) % 100:02d}"


# ---------------------------------------------------------------- reconciliation

def reconcile(month):
    """Delivered vs billed for `month`: counts and amounts, delivered-but-unbilled with why, billed lines
    without a matching delivery (must be empty), bills whose totals are not the sum of their lines."""
    month = validate.month(month)
    db = get_db()
    delivered = {}
    for delivery in db.deliveries.find({"month": month, "amount_paise": {"$gt": 0}}, DELIVERY_FIELDS):
        for line in bill_lines([delivery]):
            delivered[(delivery["_id"], line["product_id"])] = (line, delivery)
    billed = {}
    bad_totals, billed_without_delivery = [], []
    last_run = None
    for bill in db.bills.find({"month": month}):
        last_run = max(last_run or bill["issued_at"], bill["issued_at"])
        lines_total = 0
        for line in bill.get("lines") or []:
            key = (line["delivery_id"], line["product_id"])
            lines_total += line["amount_paise"]
            billed[key] = (line, bill["_id"])
            match = delivered.get(key)
            if line["amount_paise"] != line["qty"] * line["unit_price_paise"]:
                billed_without_delivery.append(dict(line, bill_id=bill["_id"], why="amount is not qty × price"))
            elif match is None:
                billed_without_delivery.append(dict(line, bill_id=bill["_id"], why="no such delivered line"))
            elif (match[0]["qty"], match[0]["unit_price_paise"]) != (line["qty"], line["unit_price_paise"]):
                billed_without_delivery.append(dict(line, bill_id=bill["_id"],
                                                    why="delivery record differs from the billed line"))
        adjustments = sum(a["amount_paise"] for a in bill.get("adjustments") or [])
        if bill["total_paise"] != lines_total + adjustments or bill.get("lines_paise", lines_total) != lines_total:
            bad_totals.append({"bill_id": bill["_id"], "total_paise": bill["total_paise"],
                               "sum_paise": lines_total + adjustments})
    stopped = {c["_id"] for c in db.customers.find({"status": "stopped"}, {"_id": 1})}
    unbilled = []
    for key, (line, delivery) in sorted(delivered.items(), key=lambda item: (item[1][0]["date"], item[0])):
        if key in billed:
            continue
        if last_run is None:
            why = "the month has not been billed yet"
        elif delivery.get("confirmed_at") and delivery["confirmed_at"] > last_run:
            why = "confirmed after the last run"
        elif delivery["customer_id"] in stopped:
            why = "customer stopped"
        else:
            why = "not billed (run interrupted?); run the month again"
        unbilled.append(dict(line, customer_id=delivery["customer_id"], why=why))
    delivered_paise = sum(line["amount_paise"] for line, _ in delivered.values())
    billed_paise = sum(line["amount_paise"] for line, _ in billed.values())
    report = {
        "month": month,
        "delivered_lines": len(delivered),
        "delivered_paise": delivered_paise,
        "billed_lines": len(billed),
        "billed_paise": billed_paise,
        "unbilled": unbilled,
        "billed_without_delivery": billed_without_delivery,
        "bad_totals": bad_totals,
        "last_run_at": last_run,
    }
    report["ok"] = (len(delivered) == len(billed) and delivered_paise == billed_paise and not unbilled
                    and not billed_without_delivery and not bad_totals)
    return report


def reconciliation(month, *, actor):
    """The reconciliation report, for staff."""
    actor.require(*VIEW_ROLES)
    return reconcile(month)

