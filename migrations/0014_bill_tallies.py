"""Issue 16: the bill tallies of the owner's morning page (webapp/services/bill_tallies.py), so that the page reads a
few small documents instead of summing bills, each of which embeds its lines (aggregations over whole bills: seconds
once a month's 10,000 bills exist, and as many again once they fall due).

`up` takes them from the bills as they are: `bill_months` {_id: "YYYY-MM", billed_paise, bills, lines_paise} for
every month with any (billed_paise and bills over the bills issued in it, by the business month of issued_at;
lines_paise over the bills of that month); `bill_dues` {_id: due date, paise, bills} and `customer_dues` {_id:
customer_id, paise, dues: {due date: {paise, bills}}} (total less paid over the bills with a total above zero that
are not PAID, and how many of them wait), with `customer_dues` indexed by paise, largest first. Run again, it takes
them again. `down` removes them."""
from collections import defaultdict

from pymongo import DESCENDING, IndexModel

from webapp import clock, migrate

MONTHS, DUES, OWED = "bill_months", "bill_dues", "customer_dues"
FIELDS = ("billed_paise", "bills", "lines_paise")
INDEXES = {OWED: [IndexModel([("paise", DESCENDING)], name="paise_desc")]}


def backfill(db):
    """Replace the tallies with what the bills have; returns the outstanding."""
    months = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
    issue_month = {"$dateToString": {"format": "%Y-%m", "date": "$issued_at", "timezone": str(clock.business_tz())}}
    for row in db.bills.aggregate([
        {"$match": {"issued_at": {"$ne": None}}},
        {"$group": {"_id": issue_month, "billed_paise": {"$sum": "$total_paise"}, "bills": {"$sum": 1}}},
    ]):
        months[row["_id"]].update(billed_paise=row["billed_paise"], bills=row["bills"])
    for row in db.bills.aggregate([{"$group": {"_id": "$month", "lines_paise": {"$sum": "$lines_paise"}}}]):
        if row["_id"] is not None:
            months[row["_id"]]["lines_paise"] = row["lines_paise"]
    dues, customers = {}, defaultdict(dict)
    for row in db.bills.aggregate([
        {"$match": {"status": {"$ne": "PAID"}, "total_paise": {"$gt": 0}}},
        {"$group": {"_id": {"customer_id": "$customer_id", "due_date": "$due_date"},
                    "paise": {"$sum": {"$subtract": ["$total_paise", "$paid_paise"]}},
                    "bills": {"$sum": {"$cond": [{"$gt": ["$total_paise", "$paid_paise"]}, 1, 0]}}}},
    ]):
        if row["paise"] or row["bills"]:
            due_date = row["_id"]["due_date"]
            customers[row["_id"]["customer_id"]][due_date] = {"paise": row["paise"], "bills": row["bills"]}
            total = dues.setdefault(due_date, {"paise": 0, "bills": 0})
            total["paise"] += row["paise"]
            total["bills"] += row["bills"]
    migrate.create_indexes(db, INDEXES)
    for name, docs in ((MONTHS, [{"_id": month, **fields} for month, fields in sorted(months.items())]),
                       (DUES, [{"_id": due_date, **due} for due_date, due in sorted(dues.items())]),
                       (OWED, [{"_id": customer_id, "paise": sum(due["paise"] for due in by_date.values()),
                                "dues": by_date} for customer_id, by_date in sorted(customers.items())])):
        db[name].delete_many({})
        if docs:
            db[name].insert_many(docs)
    return sum(due["paise"] for due in dues.values())


def up(db):
    backfill(db)


def down(db):
    for name in (MONTHS, DUES, OWED):
        db.drop_collection(name)
