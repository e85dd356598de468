"""The month's run: every delivered, not yet billed line of a month billed exactly once.

The run reads only the `deliveries` collection. Exactly once is the database's job: each bill line
names its delivery and the unique multikey index `delivery_billed_once` ({customer_id,
lines.delivery_id}) refuses a second bill naming the same delivery, so issuing a bill is one insert
and billing never writes to deliveries. A customer's first bill of a month is `regular` (unique per
customer and month); later ones for late deliveries are `supplementary`. Bills are issued in batches,
each batch one unit of work: bill numbers (taken inside it, so a batch that fails consumes none), the
customers' billing guards, the bills, their adjustments, the job's progress and an audit entry. The run reads the
month's deliveries once, in customer order, and issues each batch as soon as that pass has read its customers: it
holds one batch of deliveries at a time, however many customers there are.

A complete run leaves the month's mark (`billing_marks`: the guard counts it noted, the latest legacy import,
the number of bills and payments, the deliveries it read and how many are billed). Running the month again with
all of these unchanged and no adjustment waiting decides from the mark alone, without reading the month's
deliveries again; any delivery written since moves a count and the run reads the month as usual.

Only closed months are billed (over in business time), from the month of the first delivery on. The one
exception is `bill_to_date`: a customer leaving mid-month is billed, once and on an admin's word, for what he
received so far; that bill belongs to the current month and records `up_to`, so the month's run later bills
only the rest, on a supplementary bill.

Building a bill is bill_builder (pure); payments, queries and reconciliation have their own modules.
`billing.record_payment` and `billing.reconcile` stay importable here: the product names them so.
"""
import threading
import time
from collections import defaultdict
from functools import partial
from itertools import groupby

from flask import current_app
from pymongo.errors import BulkWriteError, DuplicateKeyError

from webapp import clock, observability
from webapp.db import get_db
from webapp.services import (Conflict, NotFound, ValidationError, bill_tallies, billing_jobs, guards, ids, payments,
                             uow, validate)
from webapp.services.bill_builder import DELIVERY_FIELDS, assemble_bill, due_date_for, previous_month
from webapp.services.payments import record_payment
from webapp.services.reconciliation import reconcile

__all__ = ["billable_month", "run_month", "start_month_run", "bill_to_date", "record_payment", "reconcile"]

ISSUE_BATCH = 50  # bills issued per unit of work (one number range, one insert, one commit)
ISSUE_ATTEMPTS = 5  # a customer's bill rebuilt after a concurrent run billed part of it first
DEFAULT_DUE_DAY = 10  # of the following month (config BILL_DUE_DAY)
BEAT_EVERY = 10  # seconds between a job's heartbeats while its run reads (well inside BILLING_HEARTBEAT_SECONDS)


class AdjustmentTaken(Exception):
    """A concurrent run put one of these adjustments on its bill first."""


class DeliveryChanged(Exception):
    """A delivery on this bill was corrected after the run read it: the bill must be rebuilt."""


# ---------------------------------------------------------------- which months

def billable_month(month):
    """`month` ('YYYY-MM') if it may be billed: over in business time, and not before the month of the first
    delivery; ValidationError on the month field otherwise. Months compare as text: any four-digit year is
    refused here, before anything turns it into a date."""
    month = validate.month(month)
    current = clock.month_of(clock.today())
    if month >= current:
        raise ValidationError(f"{month} is not over yet: only closed months are billed, the latest is "
                              f"{previous_month(current)}.", field="month")
    db = get_db()
    # A month run before (it has a mark) is billable; else one delivery in it or before it says so, asked first of
    # the guards (a confirmed delivery counts on its customer-month guard): asking the deliveries, the embedded
    # server reads every index key of the month range before its first document (1.7 s at 1,000 customers). Only
    # deliveries an import wrote have no guard: then the deliveries are asked.
    if db.billing_marks.find_one({"_id": month}, {"_id": 1}) is not None or guards.written_up_to(month):
        return month
    if db.deliveries.find_one({"month": {"$lte": month}}, {"_id": 1}) is not None:
        return month
    first = db.deliveries.find_one({}, {"month": 1}, sort=[("month", 1)])
    if first is None:
        raise ValidationError("Nothing has been delivered yet: there is no month to bill.", field="month")
    if month < first["month"]:
        raise ValidationError(f"Nothing was delivered before {first['month']}: bill {first['month']} or a later "
                              "month.", field="month")
    return month


# ---------------------------------------------------------------- what the run reads

def _latest_import(db):
    """The id of the latest legacy import (the one writer of deliveries that counts no guard), or None."""
    latest = db.import_reports.find_one({}, {"_id": 1}, sort=[("started_at", -1)])
    return latest and latest["_id"]


def _balance_records(db):
    """How many bills and payments there are (collection counts, no read): balances move only with these."""
    return {"bills": db.bills.estimated_document_count(), "payments": db.payments.estimated_document_count()}


def _unchanged_mark(db, month, noted):
    """The month's mark (`billing_marks`, left by its last complete run) when that run left nothing to bill, from
    what the run `noted` before reading anything: no delivery of the month written since (the customers' guard
    counts only grow, so an equal sum means every count is equal; an import writes deliveries without counting,
    so a new import means reading again), no bill or payment since (a balance to carry for a customer without his
    regular bill), and no adjustment waiting for a bill. None: the run reads the month again. Counting the
    month's deliveries, or summing balances, would cost the embedded server as much as reading them."""
    mark = db.billing_marks.find_one({"_id": month})
    if mark is None or any(mark.get(key) != value for key, value in noted.items()):
        return None
    if db.adjustments.find_one({"bill_id": None}, {"_id": 1}) is not None:
        return None
    return mark


def _month_state(db, month):
    """Delivery ids already billed for the month, and customers who already have their regular bill."""
    billed, regular = set(), set()
    for bill in db.bills.find({"month": month}, {"customer_id": 1, "kind": 1, "lines.delivery_id": 1}):
        billed.update(line["delivery_id"] for line in bill.get("lines") or [])
        if bill["kind"] == "regular":
            regular.add(bill["customer_id"])
    return billed, regular


def _totals_by_customer(db, month, customer_id=None):
    """{customer_id: total of his bills of `month`} (every customer's, or one's)."""
    match = {"month": month} if customer_id is None else {"month": month, "customer_id": customer_id}
    pipeline = [{"$match": match}, {"$group": {"_id": "$customer_id", "sum": {"$sum": "$total_paise"}}}]
    return {row["_id"]: row["sum"] for row in db.bills.aggregate(pipeline)}


def _subscription_days(db, month, customer_id=None, last_day=None):
    """{customer_id: (paused days, skipped days)} in the month (up to `last_day`, ISO), from the subscriptions'
    pauses, holds and skips; every customer's, or one's."""
    days = [day for day in clock.month_days(month) if last_day is None or clock.iso(day) <= last_day]
    first, last = clock.iso(days[0]), clock.iso(days[-1])
    paused, skipped = defaultdict(set), defaultdict(set)
    # Filters an index answers whole (index kind_start in migration 0009, customer_kind_status); the end date in here.
    query = ({"kind": "SUBSCRIPTION", "start_date": {"$lte": last}} if customer_id is None
             else {"customer_id": customer_id, "kind": "SUBSCRIPTION"})
    fields = {"customer_id": 1, "start_date": 1, "end_date": 1, "pauses": 1, "holds": 1, "skips": 1}
    for order in db.orders.find(query, fields):
        if order["start_date"] > last or (order.get("end_date") or first) < first:
            continue
        start = max(first, order["start_date"])
        end = min(last, order.get("end_date") or last)
        # The order's own pauses and the household's holds (away, or the customer paused; open-ended = no last day).
        for pause in (order.get("pauses") or []) + (order.get("holds") or []):
            pause_end = min(end, pause["last_day"] or end)
            for day in days:
                iso = clock.iso(day)
                if max(start, pause["first_day"]) <= iso <= pause_end:
                    paused[order["customer_id"]].add(iso)
        for iso in order.get("skips") or {}:
            if start <= iso <= end:
                skipped[order["customer_id"]].add(iso)
    return {customer: (len(paused[customer]), len(skipped[customer])) for customer in set(paused) | set(skipped)}


# ---------------------------------------------------------------- issuing

def _counted(tally, bills):
    """The run's tally once `bills` are issued."""
    return dict(tally, bills_issued=tally["bills_issued"] + len(bills),
                amount_paise=tally["amount_paise"] + sum(bill["total_paise"] for bill in bills),
                lines=tally["lines"] + sum(len(bill["lines"]) for bill in bills),
                supplementary=tally["supplementary"] + sum(bill["kind"] == "supplementary" for bill in bills))


def _issue_bills(bills, guard_counts, *, actor, job_id=None, tally=None):
    """Issue bills of one month with consecutive numbers in one unit of work: all of them or none (no
    number consumed), with the job's progress (`tally` before these bills) and an audit entry.

    Raises DuplicateKeyError/BulkWriteError (a delivery already billed), AdjustmentTaken or
    DeliveryChanged (a delivery written since the run read them: its guard count moved from
    `guard_counts`) untouched. Returns the bills with their numbers.
    """
    month = bills[0]["month"]

    def work(u):
        numbers = ids.new_bill_ids(u, month, len(bills))  # first: see ids.new_bill_ids
        numbered = [dict(bill, _id=number) for bill, number in zip(bills, numbers)]
        if not guards.hold_for_billing(u, [bill["customer_id"] for bill in numbered], month, guard_counts):
            raise DeliveryChanged()
        u.db.bills.insert_many(numbered)
        bill_tallies.bills_added(u, numbered)
        for bill in numbered:
            for adjustment in bill["adjustments"]:
                taken = u.db.adjustments.update_one({"_id": adjustment["adjustment_id"], "bill_id": None},
                                                    {"$set": {"bill_id": bill["_id"]}})
                if taken.modified_count != 1:
                    raise AdjustmentTaken()
        if job_id:
            billing_jobs.record_progress(u, job_id, _counted(tally, numbered))
        span = numbers[0] if len(numbers) == 1 else f"{numbers[0]} to {numbers[-1]}"
        u.record("billing.issue", "month", month, f"Issued {len(numbers)} bills for {month}: {span}",
                 changes={"run_id": numbered[0]["run_id"], "bills": numbers})
        return numbered

    return uow.run(actor, work)


def _issue_with_retry(bill_for, customer_id, deliveries, adjustments, billed, has_regular, guard_counts, *, actor,
                      job_id=None, tally=None):
    """Issue the customer's bill; when a concurrent run billed some of it first, or one of his deliveries
    was written since it was read, rebuild it from what is there now."""
    db = get_db()
    for attempt in range(ISSUE_ATTEMPTS):
        pending = [d for d in deliveries if d["_id"] not in billed]
        bill = bill_for(customer_id, pending, adjustments, has_regular)
        if bill is None:
            return None
        try:
            return _issue_bills([bill], guard_counts, actor=actor, job_id=job_id, tally=tally)[0]
        except (DuplicateKeyError, BulkWriteError, AdjustmentTaken, DeliveryChanged):
            if attempt == ISSUE_ATTEMPTS - 1:
                raise
            guard_counts.update(guards.counts(bill["month"], [customer_id]))  # noted before re-reading
            deliveries = [d for d in db.deliveries.find({"month": bill["month"], "customer_id": customer_id},
                                                         DELIVERY_FIELDS) if (d.get("amount_paise") or 0) > 0]
            for other in db.bills.find({"customer_id": customer_id, "month": bill["month"]},
                                       {"kind": 1, "lines.delivery_id": 1}):
                billed.update(line["delivery_id"] for line in other.get("lines") or [])
                has_regular = has_regular or other["kind"] == "regular"
            adjustments = [a for a in db.adjustments.find({"_id": {"$in": [a["_id"] for a in adjustments]}})
                           if a.get("bill_id") is None]


# ---------------------------------------------------------------- the month's run

@observability.timed("billing_run")
def run_month(month, *, actor, job_id=None):
    """Bill every delivered, not yet billed line of `month`, one bill per customer; returns a summary.
    `job_id`: the job record (billing_jobs) that shows this run's progress."""
    actor.require(*billing_jobs.RUN_ROLES)
    month = billable_month(month)
    db = get_db()
    started = time.perf_counter()  # a duration, not a business time: the real clock even when frozen
    due_date = due_date_for(month, clock.today(), current_app.config.get("BILL_DUE_DAY", DEFAULT_DUE_DAY))
    run_id = job_id or ids.new_id("RN")
    guard_counts = guards.counts(month)  # before the read pass: a later write to a delivery moves its count
    noted = {"writes": sum(guard_counts.values()), "import_id": _latest_import(db), **_balance_records(db)}
    mark = _unchanged_mark(db, month, noted)
    if mark is not None:
        tally = {"customers_total": 0, "customers_done": 0, "bills_issued": 0, "amount_paise": 0, "lines": 0,
                 "supplementary": 0}
        return _finish_run(month, run_id, tally, started, already_billed=mark["billed"], actor=actor, job_id=job_id)
    billed, regular = _month_state(db, month)
    balances = payments.balances()
    previous_totals = _totals_by_customer(db, previous_month(month))
    sub_days = _subscription_days(db, month)
    adjustments_by_customer = defaultdict(list)
    for adjustment in db.adjustments.find({"bill_id": None}).sort("created_at", 1):
        adjustments_by_customer[adjustment["customer_id"]].append(adjustment)

    last_beat = time.perf_counter()

    def beat_now_and_then():
        """A heartbeat now and then: a long read pass, or a long stretch with nothing to issue, is no dead process."""
        nonlocal last_beat
        if job_id and time.perf_counter() - last_beat >= BEAT_EVERY:
            uow.run(actor, lambda u: billing_jobs.beat(u, job_id))
            last_beat = time.perf_counter()

    # Customers who may have a bill without a delivery read: an adjustment waiting, or a balance to carry.
    others = set(adjustments_by_customer) | {c for c, balance in balances.items() if balance and c not in regular}
    read = already_billed = unbilled_read = 0

    def customers_to_bill():
        """(customer_id, his unbilled deliveries, the days he was not delivered) of every customer who may have a
        bill, in customer order: one pass over the month's deliveries (index month_customer) yielding each
        customer's group as it is reached, the others merged in between; only one group is held at a time."""
        nonlocal read, already_billed, unbilled_read
        waiting = iter(sorted(others))
        other = next(waiting, None)
        cursor = db.deliveries.find({"month": month}, DELIVERY_FIELDS, batch_size=5000).sort("customer_id", 1)
        for customer_id, group in groupby(cursor, key=lambda d: d["customer_id"]):
            while other is not None and other < customer_id:
                yield other, [], ()
                other = next(waiting, None)
            beat_now_and_then()
            unbilled, not_delivered = [], set()
            for delivery in group:
                read += 1
                if (delivery.get("amount_paise") or 0) <= 0:
                    not_delivered.add(delivery["date"])
                elif delivery["_id"] in billed:
                    already_billed += 1
                else:
                    unbilled.append(delivery)
            unbilled_read += len(unbilled)
            if unbilled or customer_id == other:
                yield customer_id, unbilled, not_delivered
            if customer_id == other:
                other = next(waiting, None)
        while other is not None:
            yield other, [], ()
            other = next(waiting, None)

    def bill_for(customer_id, deliveries, adjustments, has_regular, not_delivered_days=()):
        balance = balances.get(customer_id, 0)
        if not deliveries and not adjustments and (has_regular or not balance):
            return None
        paused, skipped = sub_days.get(customer_id, (0, 0))
        return assemble_bill(
            customer_id, month, "supplementary" if has_regular else "regular", deliveries,
            issued_at=clock.now(), due_date=due_date, adjustments=adjustments, previous_balance=balance,
            credit=-balance, run_id=run_id, not_delivered_days=not_delivered_days,
            paused_days=paused, skipped_days=skipped, previous_total=previous_totals.get(customer_id),
        )

    def issue(batch, tally):
        """Issue a batch in one unit of work; returns the tally after it."""
        nonlocal last_beat
        bills = [bill for _, bill, _, _ in batch]
        try:
            _issue_bills(bills, guard_counts, actor=actor, job_id=job_id, tally=tally)
            last_beat = time.perf_counter()  # the batch's progress was its heartbeat
            return _counted(tally, bills)
        except (DuplicateKeyError, BulkWriteError, AdjustmentTaken, DeliveryChanged):
            # A concurrent run billed some of these first, or a delivery was written since it was read:
            # issue them one by one, each rebuilt from what is there now.
            for customer_id, _, deliveries, not_delivered in batch:
                bill = _issue_with_retry(partial(bill_for, not_delivered_days=not_delivered), customer_id,
                                         deliveries, adjustments_by_customer.get(customer_id, []), billed,
                                         customer_id in regular, guard_counts, actor=actor, job_id=job_id,
                                         tally=tally)
                if bill is not None:
                    tally = _counted(tally, [bill])
            return tally

    # Until the pass ends, the total is what was known before it: customers with a delivery written this month
    # and no regular bill yet, and the others.
    expected = len((set(guard_counts) - regular) | others)
    tally = {"customers_total": expected, "customers_done": 0, "bills_issued": 0, "amount_paise": 0, "lines": 0,
             "supplementary": 0}
    batch = []  # (customer_id, bill, his deliveries, the days he was not delivered) issued in one unit of work
    try:
        for customer_id, deliveries, not_delivered in customers_to_bill():
            done = tally["customers_done"] + 1
            tally = dict(tally, customers_done=done, customers_total=max(expected, done))
            bill = bill_for(customer_id, deliveries, adjustments_by_customer.get(customer_id, []),
                            customer_id in regular, not_delivered)
            if bill is not None:
                batch.append((customer_id, bill, deliveries, not_delivered))
            else:
                beat_now_and_then()  # a long stretch of customers with nothing to bill issues no batch
            if len(batch) >= ISSUE_BATCH:
                tally = issue(batch, tally)
                batch = []
        tally = dict(tally, customers_total=tally["customers_done"])
        if batch:
            tally = issue(batch, tally)
    except Exception as error:
        if job_id:
            message = str(error) or type(error).__name__
            uow.run(actor, lambda u: billing_jobs.finish(u, job_id, tally, error=message))
        raise
    # Every delivered delivery read is now on a bill (this run's or a concurrent one's): the month's mark.
    mark = dict(noted, bills=noted["bills"] + tally["bills_issued"], deliveries=read,
                billed=already_billed + unbilled_read, run_id=run_id, at=clock.now())
    return _finish_run(month, run_id, tally, started, already_billed=already_billed, actor=actor, job_id=job_id,
                       mark=mark)


def _finish_run(month, run_id, tally, started, *, already_billed, actor, job_id=None, mark=None):
    """The run's summary, its job finished and its audit entry (with the month's new mark after a full pass)."""
    summary = dict(tally, month=month, run_id=run_id, already_billed=already_billed,
                   seconds=round(time.perf_counter() - started, 3))

    def finish(u):
        if job_id:
            billing_jobs.finish(u, job_id, tally, summary=summary)
        if mark is not None:
            u.db.billing_marks.replace_one({"_id": month}, mark, upsert=True)
        u.record("billing.run", "month", month,
                 f"Billed {month}: {summary['bills_issued']} bills, {summary['amount_paise']} paise",
                 changes={"run_id": run_id, "bills_issued": summary["bills_issued"]})

    uow.run(actor, finish)
    return summary


def start_month_run(month, *, actor):
    """Start a month's run in a background thread that outlives the request; returns (job, started)."""
    actor.require(*billing_jobs.RUN_ROLES)
    billable_month(month)  # refused before a job record exists
    job, started = billing_jobs.start_month_job(month, actor=actor)
    if started:
        app = current_app._get_current_object()
        threading.Thread(target=_run_job, args=(app, job, actor), name=f"bill-{month}", daemon=True).start()
    return job, started


def _run_job(app, job, actor):
    with app.app_context():
        try:
            run_month(job["month"], actor=actor, job_id=job["_id"])
        except Exception:  # recorded on the job record by run_month; the thread has no one to tell
            app.logger.exception("billing run %s failed", job["_id"])


# ---------------------------------------------------------------- a customer leaving mid-month

def bill_to_date(customer_id, *, actor):
    """Bill one customer now for his delivered, not yet billed deliveries of the current month up to today, with
    his pending adjustments and balance (a customer leaving mid-month; admin). Returns the bill.

    The bill is a bill of the current month like any other (its number `BI-<month>-NNNN`, reconciliation of that
    month counts its lines, the unique index keeps each delivery on one bill) and records `up_to`; the month's
    run, once the month is over, bills only what was delivered after it, on a supplementary bill. Conflict when
    nothing delivered up to today is left to bill, so asking twice bills once."""
    actor.require(*billing_jobs.RUN_ROLES)
    db = get_db()
    customer = db.customers.find_one({"_id": customer_id}, {"name": 1}) if isinstance(customer_id, str) else None
    if customer is None:
        raise NotFound("No such customer.")
    today = clock.today()
    month, up_to = clock.month_of(today), clock.iso(today)
    due_date = due_date_for(month, today, current_app.config.get("BILL_DUE_DAY", DEFAULT_DUE_DAY))
    for attempt in range(ISSUE_ATTEMPTS):
        guard_counts = guards.counts(month, [customer_id])  # before reading the deliveries, as the run does
        billed, has_regular = set(), False
        for bill in db.bills.find({"customer_id": customer_id, "month": month}, {"kind": 1, "lines.delivery_id": 1}):
            billed.update(line["delivery_id"] for line in bill.get("lines") or [])
            has_regular = has_regular or bill["kind"] == "regular"
        recorded = [d for d in db.deliveries.find({"month": month, "customer_id": customer_id}, DELIVERY_FIELDS)
                    if d["date"] <= up_to]
        delivered = [d for d in recorded if (d.get("amount_paise") or 0) > 0 and d["_id"] not in billed]
        if not delivered:
            raise Conflict(f"Nothing delivered to {customer['name']} up to today is left to bill.")
        adjustments = list(db.adjustments.find({"customer_id": customer_id, "bill_id": None}).sort("created_at", 1))
        balance = payments.customer_balance(customer_id)
        paused, skipped = _subscription_days(db, month, customer_id, up_to).get(customer_id, (0, 0))
        bill = assemble_bill(
            customer_id, month, "supplementary" if has_regular else "regular", delivered, issued_at=clock.now(),
            due_date=due_date, adjustments=adjustments, previous_balance=balance, credit=-balance,
            run_id=ids.new_id("RN"), paused_days=paused, skipped_days=skipped,
            not_delivered_days={d["date"] for d in recorded if (d.get("amount_paise") or 0) <= 0},
            previous_total=_totals_by_customer(db, previous_month(month), customer_id).get(customer_id),
        )
        bill["up_to"] = up_to

        def work(u, bill=bill):
            [issued] = _issue_bills([bill], guard_counts, actor=actor)
            u.record("billing.to_date", "customer", customer_id,
                     f"Billed {customer['name']} up to {up_to}: {issued['_id']}",
                     changes={"bill_id": issued["_id"], "up_to": up_to, "lines": len(issued["lines"])})
            return issued

        try:
            return uow.run(actor, work)
        except (DuplicateKeyError, BulkWriteError, AdjustmentTaken, DeliveryChanged):
            if attempt == ISSUE_ATTEMPTS - 1:
                raise Conflict("The customer's deliveries kept changing while he was billed; try again.") from None
