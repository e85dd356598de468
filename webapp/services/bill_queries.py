"""Reading bills: one bill, a customer's bills and statement, a month's list with filters, CSV exports.

Reads only. Who sees what: staff and the system every bill, a customer only his own, a bill link only
its bill (anything else answers NotFound, so a bill's existence is not revealed).
"""
from webapp import clock
from webapp.db import get_db
from webapp.presentation import csv_rupees, csv_text
from webapp.services import STAFF_ROLES, NotFound, ValidationError, validate
from webapp.services.bill_builder import effective_status

STATUSES = ("PENDING", "PARTIAL", "PAID", "OVERDUE")


def _can_see_customer(actor, customer_id):
    if actor.is_system or actor.is_staff:
        return True
    return actor.has_role("customer") and actor.customer_id == customer_id


def _with_status(bill, today):
    bill["status"] = effective_status(bill, today)
    return bill


def get_bill(bill_id, *, actor):
    """One bill, with its effective status (OVERDUE when due)."""
    bill = get_db().bills.find_one({"_id": str(bill_id)})
    visible = bill is not None and (
        _can_see_customer(actor, bill["customer_id"])
        or (actor.kind == "link"
            and get_db().shared_links.find_one({"_id": actor.id, "scope": "bill", "bill_id": bill["_id"]}))
    )
    if not visible:
        raise NotFound("No such bill.")
    return _with_status(bill, clock.today())


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


def statement(customer_id, *, actor):
    """Bills and payments over time with the running balance:
    {customer, entries, balance_paise, bills, payments, pending_adjustments}."""
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
        query["customer_id"] = {"$in": [c["_id"] for c in get_db().customers.find(match, {"_id": 1})]}
    return query


def list_bills(month, *, status=None, area=None, delivery_boy_id=None, actor):
    """A month's bills with filters; each with its customer's name, area and effective status."""
    actor.require(*STAFF_ROLES)
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
    actor.require(*STAFF_ROLES)
    db = get_db()
    areas = sorted(a for a in db.customers.distinct("area") if a)
    boys = list(db.users.find({"role": "delivery_boy"}, {"name": 1}).sort("name", 1))
    return areas, boys


def bills_csv(month, *, status=None, area=None, delivery_boy_id=None, actor):
    """The filtered bills as CSV text."""
    bills = list_bills(month, status=status, area=area, delivery_boy_id=delivery_boy_id, actor=actor)
    rows = [["bill", "customer_id", "customer", "area", "month", "kind", "lines_total", "adjustments",
             "total", "previous_balance", "amount_due", "paid", "status", "due_date"]]
    for bill in bills:
        adjustments = sum(a["amount_paise"] for a in bill.get("adjustments") or [])
        rows.append([bill["_id"], bill["customer_id"], bill["customer"]["name"], bill["customer"].get("area", ""),
                     bill["month"], bill["kind"], csv_rupees(bill["lines_paise"]), csv_rupees(adjustments),
                     csv_rupees(bill["total_paise"]), csv_rupees(bill["previous_balance_paise"]),
                     csv_rupees(bill["amount_due_paise"]), csv_rupees(bill["paid_paise"]), bill["status"],
                     bill["due_date"]])
    return csv_text(rows)


def lines_csv(month, *, status=None, area=None, delivery_boy_id=None, actor):
    """Every line of the filtered bills as CSV text."""
    actor.require(*STAFF_ROLES)
    month = validate.month(month)
    db = get_db()
    products = {p["_id"]: p["name"] for p in db.products.find({}, {"name": 1})}
    rows = [["bill", "customer_id", "date", "delivery", "order", "order_kind", "product_id", "product",
             "ordered_qty", "qty", "unit_price", "amount"]]
    query = _bill_query(month, status or None, area, delivery_boy_id)
    for bill in db.bills.find(query, {"customer_id": 1, "lines": 1}).sort("_id", 1):
        for line in bill.get("lines") or []:
            rows.append([bill["_id"], bill["customer_id"], line["date"], line["delivery_id"], line["order_id"],
                         line["order_kind"], line["product_id"], products.get(line["product_id"], ""),
                         line["ordered_qty"], line["qty"], csv_rupees(line["unit_price_paise"]),
                         csv_rupees(line["amount_paise"])])
    return csv_text(rows)
