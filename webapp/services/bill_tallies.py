"""Bill tallies the owner's morning page reads instead of summing bills (a bill embeds its lines, so every sum over
bills reads whole bills: about 0.5 ms a bill on the embedded server, seconds once a month's bills exist): per
month what was billed (bills issued in it, by the business month of issued_at), how many bills, and the lines of
the bills of that month; and what issued bills still wait for, per due date (outstanding, overdue) and per
customer and due date (the largest overdue balances).

They are exact by construction, as the customer tallies (`tallies`) are: every unit of work that inserts or
deletes bills (`bills_added`, `bills_removed`) or changes what a bill has been paid (`bills_settled`, from
`payments.settle`, which payments, voids and credit bills all go through) moves them in its own transaction, as
`$inc` writes deferred to the end of the unit, each creating its document on its first move. `rebuild` takes them
again from the bills; data health compares them with the bills.
"""
from collections import Counter, defaultdict

from pymongo import DeleteOne, UpdateOne

from webapp import clock
from webapp.db import get_db
from webapp.services import tallies, uow

MONTHS = "bill_months"  # {_id: "YYYY-MM", billed_paise?, bills?, lines_paise?} (absent: 0)
MONTH_FIELDS = ("billed_paise", "bills", "lines_paise")
DUES = "bill_dues"  # {_id: due date "YYYY-MM-DD", paise, bills}: what the bills due that day wait for, how many wait
OWED = "customer_dues"  # {_id: customer_id, paise, dues: {due date: {paise, bills}}} (index paise_desc)
BAND_BATCH = 10_000  # one round trip for a band of customers
BILL_FIELDS = {"customer_id": 1, "month": 1, "issued_at": 1, "due_date": 1, "total_paise": 1, "lines_paise": 1,
               "paid_paise": 1, "status": 1}


def waiting(bill):
    """What an issued bill still waits for: its total less what was paid, unless it is PAID or has nothing to pay."""
    if bill["total_paise"] <= 0 or bill["status"] == "PAID":
        return 0
    return bill["total_paise"] - bill["paid_paise"]


def _issue_month(bill):
    """The business month ("YYYY-MM") the bill was issued in; None for a bill without issued_at."""
    return tallies.local_day(bill["issued_at"])[:7] if bill.get("issued_at") else None


def _dues_moved(u, changes):
    """Defer the moves of what bills wait for: `changes` [(bill, paise moved, bills waiting moved)], on the bill's due
    date and on its customer's dues."""
    by_due, by_customer = defaultdict(Counter), defaultdict(Counter)
    for bill, paise, count in changes:
        if paise or count:
            by_due[bill["due_date"]]["paise"] += paise
            by_due[bill["due_date"]]["bills"] += count
            by_customer[bill["customer_id"]][bill["due_date"], "paise"] += paise
            by_customer[bill["customer_id"]][bill["due_date"], "bills"] += count
    for due_date, moves in sorted(by_due.items()):
        if any(moves.values()):
            u.defer(UpdateOne({"_id": due_date}, {"$inc": dict(moves)}, upsert=True, namespace=u.namespace(DUES)))
    for customer_id, moves in sorted(by_customer.items()):
        moves = {f"dues.{due_date}.{field}": delta for (due_date, field), delta in moves.items() if delta}
        if moves:
            total = sum(delta for key, delta in moves.items() if key.endswith(".paise"))
            u.defer(UpdateOne({"_id": customer_id}, {"$inc": {**moves, "paise": total}}, upsert=True,
                              namespace=u.namespace(OWED)))


def _move(u, bills, sign):
    """Defer the moves of `bills` (+1: inserted, -1: deleted) on their months and on what they wait for; returns the
    months moved."""
    months = defaultdict(Counter)
    for bill in bills:
        issued = _issue_month(bill)
        if issued is not None:
            months[issued]["billed_paise"] += sign * bill["total_paise"]
            months[issued]["bills"] += sign
        months[bill["month"]]["lines_paise"] += sign * (bill.get("lines_paise") or 0)
    for month, fields in sorted(months.items()):
        moves = {field: delta for field, delta in fields.items() if delta}
        if moves:
            u.defer(UpdateOne({"_id": month}, {"$inc": moves}, upsert=True, namespace=u.namespace(MONTHS)))
    _dues_moved(u, [(bill, sign * waiting(bill), sign * bool(waiting(bill))) for bill in bills])
    return months


def bills_added(u, bills):
    """Inside the unit of work `u` that inserts the bill documents `bills`."""
    _move(u, bills, 1)


def bills_removed(u, bills):
    """Inside the unit of work `u` that deletes the bill documents `bills` (as they were when deleted, at least
    their BILL_FIELDS); a month left with nothing goes (as it would from `rebuild`), so an undone import leaves the
    tallies as they were."""
    for month in sorted(_move(u, bills, -1)):
        u.defer(DeleteOne({"_id": month, **{field: {"$in": [0, None]} for field in MONTH_FIELDS}},
                          namespace=u.namespace(MONTHS)))


def bills_settled(u, changed):
    """Inside the unit of work `u` that changed what bills were paid: `changed` [(bill before, bill after)], each with
    its customer_id, due_date, total_paise, paid_paise and status."""
    _dues_moved(u, [(after, waiting(after) - waiting(before), bool(waiting(after)) - bool(waiting(before)))
                    for before, after in changed])


def months(first):
    """{month: {"billed_paise", "bills", "lines_paise"}} of the months from `first` ("YYYY-MM") on that have any."""
    return {kept["_id"]: {field: kept.get(field, 0) for field in MONTH_FIELDS}
            for kept in get_db()[MONTHS].find({"_id": {"$gte": first}})}


def outstanding():
    """What every issued bill still waits for, in paise: the due dates' tallies (a few documents a month)."""
    return sum(due["paise"] for due in get_db()[DUES].find({}, {"paise": 1}))


def overdue(today):
    """{"paise", "bills"}: what the bills due before `today` (ISO date) still wait for, and how many wait."""
    found = {"paise": 0, "bills": 0}
    for due in get_db()[DUES].find({"_id": {"$lt": today}}):
        found["paise"] += due["paise"]
        found["bills"] += due["bills"]
    return found


def largest_overdue(today, limit):
    """[(customer_id, overdue paise, overdue bills)] of the `limit` customers owing most on bills due before
    `today`, largest first (equal ones by customer id).

    What a customer owes in all bounds what he owes overdue, so customers are read in bands of what they owe in all
    (index paise_desc; the embedded server reads a whole index range before the first answer, so a band, not a
    sorted walk): from four times what a waiting customer owes on average down, each band a quarter of the one
    before, until the last of those kept owes overdue at least what the band starts at (no one unread can pass
    him) or every overdue bill is found (the average and the overdue bills from one read of the due dates). A
    customer behind on his bills owes more than one who is not, so the first band or two do on a usual day."""
    due_dates = list(get_db()[DUES].find())
    overdue_bills = sum(due["bills"] for due in due_dates if due["_id"] < today)
    found, bills_found = [], 0
    if not overdue_bills:
        return found
    waiting_paise, waiting_bills = (sum(due[field] for due in due_dates) for field in ("paise", "bills"))
    floor, ceiling = max(1, 4 * waiting_paise // max(waiting_bills, 1)), None
    while True:
        band = {"$gte": floor} if ceiling is None else {"$gte": floor, "$lt": ceiling}
        for owed in get_db()[OWED].find({"paise": band}, batch_size=BAND_BATCH):
            due = [kept for due_date, kept in owed["dues"].items() if due_date < today]
            paise = sum(kept["paise"] for kept in due)
            if paise > 0:
                bills = sum(kept["bills"] for kept in due)
                bills_found += bills
                found.append((owed["_id"], paise, bills))
        found.sort(key=lambda row: (-row[1], row[0]))
        del found[limit:]
        if floor == 1 or bills_found >= overdue_bills or (len(found) == limit and found[-1][1] >= floor):
            return found
        floor, ceiling = max(1, floor // 4), floor


def counted(db):
    """(months {month: {"billed_paise", "bills", "lines_paise"}}, due dates {due_date: {"paise", "bills"}},
    customers {customer_id: {due_date: {"paise", "bills"}}}) as the bills of `db` (the database, or a unit of
    work's `u.db`) have them, from three aggregations."""
    found = defaultdict(lambda: dict.fromkeys(MONTH_FIELDS, 0))
    issue_month = {"$dateToString": {"format": "%Y-%m", "date": "$issued_at", "timezone": str(clock.business_tz())}}
    for row in db.bills.aggregate([
        {"$match": {"issued_at": {"$ne": None}}},
        {"$group": {"_id": issue_month, "billed_paise": {"$sum": "$total_paise"}, "bills": {"$sum": 1}}},
    ]):
        found[row["_id"]].update(billed_paise=row["billed_paise"], bills=row["bills"])
    for row in db.bills.aggregate([{"$group": {"_id": "$month", "lines_paise": {"$sum": "$lines_paise"}}}]):
        if row["_id"] is not None:
            found[row["_id"]]["lines_paise"] = row["lines_paise"]
    due_dates, customers = {}, defaultdict(dict)
    for row in db.bills.aggregate([
        {"$match": {"status": {"$ne": "PAID"}, "total_paise": {"$gt": 0}}},
        {"$group": {"_id": {"customer_id": "$customer_id", "due_date": "$due_date"},
                    "paise": {"$sum": {"$subtract": ["$total_paise", "$paid_paise"]}},
                    "bills": {"$sum": {"$cond": [{"$gt": ["$total_paise", "$paid_paise"]}, 1, 0]}}}},
    ]):
        if row["paise"] or row["bills"]:
            due_date = row["_id"]["due_date"]
            customers[row["_id"]["customer_id"]][due_date] = {"paise": row["paise"], "bills": row["bills"]}
            total = due_dates.setdefault(due_date, {"paise": 0, "bills": 0})
            total["paise"] += row["paise"]
            total["bills"] += row["bills"]
    return dict(found), due_dates, dict(customers)


def rebuild(*, actor):
    """Replace the tallies with those the bills have (`counted`, read in the same transaction, so a unit of work
    that moves them meanwhile makes this one run again); returns the outstanding."""
    actor.require("admin")

    def work(u):
        months_found, due_dates, customers = counted(u.db)
        for name, docs in ((MONTHS, [{"_id": month, **fields} for month, fields in sorted(months_found.items())]),
                           (DUES, [{"_id": due_date, **due} for due_date, due in sorted(due_dates.items())]),
                           (OWED, [{"_id": customer_id, "paise": sum(due["paise"] for due in dues.values()),
                                    "dues": dues} for customer_id, dues in sorted(customers.items())])):
            u.db[name].delete_many({})
            if docs:
                u.db[name].insert_many(docs)
        waiting_now = sum(due["paise"] for due in due_dates.values())
        u.record("bill_tallies.rebuild", "bill_months", None,
                 f"Bill tallies taken again from the bills: {len(months_found)} months, {waiting_now} paise "
                 f"outstanding from {len(customers)} customers")
        return waiting_now

    return uow.run(actor, work)
