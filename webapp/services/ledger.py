"""A customer's ledger over a date range (the statement) and the ageing of what is overdue. Reads only.

The ledger is what `payments.balances` adds up: bills owed, payments received, voids (a payment taken back, a
negative payment). Adjustments are already inside the bill that carries them, so they are listed with that bill,
and those not on a bill yet are listed apart: they change the balance only when their bill is issued.
"""
from webapp import clock
from webapp.db import get_db
from webapp.presentation import csv_rupees, csv_text
from webapp.services import STAFF_ROLES, NotFound, validate
from webapp.services.bill_builder import effective_status

# Days overdue (past the bill's due date): the buckets' labels and their last day (None: no end).
AGEING_BUCKETS = (("0–30", 30), ("31–60", 60), ("61–90", 90), ("90+", None))


def _can_see_customer(actor, customer_id):
    if actor.is_system or actor.is_staff:
        return True
    return actor.has_role("customer") and actor.customer_id == customer_id


def clean_range(first_day, last_day):
    """(first, last) dates of a statement: from the business start and up to today by default; To not before From."""
    errors = validate.Errors()
    first = (errors.check("first_day", validate.day, first_day, "first_day", label="From")
             if first_day not in (None, "") else validate.business_start())
    last = (errors.check("last_day", validate.day, last_day, "last_day", label="To")
            if last_day not in (None, "") else clock.today())
    if first and last and last < first:
        errors.add("last_day", "To must not be before From.")
    errors.raise_if_any()
    return first, last


def _issued_on(bill):
    return bill["issued_at"].astimezone(clock.business_tz()).date().isoformat()


def _entries(bills, payments):
    """Bills (+), payments (−) and voids (+) as dated entries, oldest first."""
    entries = [{"on": _issued_on(b), "kind": "bill", "ref": b["_id"], "month": b["month"], "bill_kind": b["kind"],
                "adjustments": b.get("adjustments") or [], "status": b["status"], "amount_paise": b["total_paise"],
                "at": b["issued_at"]} for b in bills]
    for p in payments:
        void = p.get("kind") == "void"
        entries.append({"on": p["received_on"], "kind": "void" if void else "payment", "ref": p["_id"],
                        "receipt_number": p.get("receipt_number"), "method": p["method"],
                        "reference": p.get("reference"), "voids": p.get("voids"), "reason": p.get("reason"),
                        "voided_by": p.get("voided_by"), "amount_paise": -p["amount_paise"], "at": p["created_at"]})
    entries.sort(key=lambda e: (e["on"], e["at"]))
    return entries


def statement(customer_id, first_day=None, last_day=None, *, actor):
    """The customer's ledger from `first_day` to `last_day` (both included; default: everything up to today):
    {customer, first_day, last_day, opening_paise, entries (oldest first, each with its running balance_paise),
    closing_paise, balance_paise (today's, every entry), bills (newest first, effective status), payments,
    pending_adjustments}. A customer sees only his own (NotFound otherwise)."""
    if not isinstance(customer_id, str) or not _can_see_customer(actor, customer_id):
        raise NotFound("No such customer.")
    first, last = clean_range(first_day, last_day)
    db = get_db()
    customer = db.customers.find_one({"_id": customer_id})
    if customer is None:
        raise NotFound("No such customer.")
    today = clock.today()
    bills = [{**bill, "status": effective_status(bill, today)} for bill in
             db.bills.find({"customer_id": customer_id}, {"lines": 0}).sort([("issued_at", -1), ("_id", -1)])]
    payments = list(db.payments.find({"customer_id": customer_id}).sort([("received_on", -1), ("created_at", -1)]))
    entries = _entries(bills, payments)
    first_iso, last_iso = first.isoformat(), last.isoformat()
    opening = sum(e["amount_paise"] for e in entries if e["on"] < first_iso)
    shown = [e for e in entries if first_iso <= e["on"] <= last_iso]
    running = opening
    for entry in shown:
        running += entry["amount_paise"]
        entry["balance_paise"] = running
    return {"customer": customer, "first_day": first, "last_day": last, "opening_paise": opening,
            "entries": shown, "closing_paise": running, "balance_paise": sum(e["amount_paise"] for e in entries),
            "bills": bills, "payments": payments,
            "pending_adjustments": list(db.adjustments.find({"customer_id": customer_id, "bill_id": None})
                                        .sort("created_at", 1))}


def bucket_for(days_overdue):
    """The ageing bucket's label for a bill that many days past its due date (1 and up)."""
    for label, last_day in AGEING_BUCKETS:
        if last_day is None or days_overdue <= last_day:
            return label


def ageing(*, actor):
    """What is overdue today, by customer and by days past each bill's due date:
    {today, buckets (labels), rows: [{customer_id, name, area, phone, buckets: {label: paise}, total_paise,
    oldest_due_date}] (most overdue first), totals: {label: paise}, total_paise}. Staff only."""
    actor.require(*STAFF_ROLES)
    today = clock.today()
    db = get_db()
    overdue = db.bills.find({"status": {"$ne": "PAID"}, "due_date": {"$lt": today.isoformat()}},
                            {"customer_id": 1, "total_paise": 1, "paid_paise": 1, "due_date": 1, "status": 1,
                             "open_questions": 1})
    rows = {}
    for bill in overdue:
        unpaid = bill["total_paise"] - bill["paid_paise"]
        if unpaid <= 0 or effective_status(bill, today) != "OVERDUE":
            continue
        row = rows.setdefault(bill["customer_id"], {"customer_id": bill["customer_id"],
                                                    "buckets": dict.fromkeys(ageing_labels(), 0),
                                                    "total_paise": 0, "oldest_due_date": bill["due_date"]})
        days = (today - validate.as_date(bill["due_date"])).days
        row["buckets"][bucket_for(days)] += unpaid
        row["total_paise"] += unpaid
        row["oldest_due_date"] = min(row["oldest_due_date"], bill["due_date"])
    customers = {c["_id"]: c for c in db.customers.find({"_id": {"$in": list(rows)}},
                                                         {"name": 1, "area": 1, "phone": 1})}
    for customer_id, row in rows.items():
        customer = customers.get(customer_id, {})
        row.update(name=customer.get("name", customer_id), area=customer.get("area", ""),
                   phone=customer.get("phone", ""))
    ordered = sorted(rows.values(), key=lambda r: (r["oldest_due_date"], -r["total_paise"], r["name"]))
    totals = {label: sum(r["buckets"][label] for r in ordered) for label in ageing_labels()}
    return {"today": today, "buckets": ageing_labels(), "rows": ordered, "totals": totals,
            "total_paise": sum(totals.values())}


def ageing_labels():
    return [label for label, _ in AGEING_BUCKETS]


def ageing_csv(*, actor):
    """The ageing report as CSV text: one row per customer, then the totals."""
    report = ageing(actor=actor)
    labels = report["buckets"]
    rows = [["customer_id", "customer", "area", "phone", "oldest_due_date"]
            + [f"{label} days" for label in labels] + ["total"]]
    for row in report["rows"]:
        rows.append([row["customer_id"], row["name"], row["area"], row["phone"], row["oldest_due_date"]]
                    + [csv_rupees(row["buckets"][label]) for label in labels] + [csv_rupees(row["total_paise"])])
    rows.append(["", "Total", "", "", ""] + [csv_rupees(report["totals"][label]) for label in labels]
                + [csv_rupees(report["total_paise"])])
    return csv_text(rows)
