"""Reading bills: one bill, a customer's bills and statement, a month's list with filters, CSV exports.

Reads only. Who sees what: staff and the system every bill, a customer only his own, a bill link only
its bill (anything else answers NotFound, so a bill's existence is not revealed).
"""
from webapp import clock
from webapp.db import get_db
from webapp.presentation import csv_rupees
from webapp.services import STAFF_ROLES, NotFound, ValidationError, bottles, business_profile, exports, ledger, upi, validate
from webapp.services.bill_builder import effective_status

STATUSES = ("PENDING", "PARTIAL", "PAID", "OVERDUE")


def _can_see_customer(actor, customer_id):
    if actor.is_system or actor.is_staff:
        return True
    return actor.has_role("customer") and actor.customer_id == customer_id


def _with_status(bill, today):
    """The bill with its effective status and `due_now_paise`, what is left to pay on it (total less paid)."""
    bill["status"] = effective_status(bill, today)
    bill["due_now_paise"] = upi.due_now_paise(bill)
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
    """What a bill page renders (the same visibility as get_bill): the bill as an invoice, see `as_invoice`."""
    bill = get_bill(bill_id, actor=actor)
    customer = get_db().customers.find_one({"_id": bill["customer_id"]},
                                           {"name": 1, "address": 1, "area": 1, "phone": 1, "custom_prices": 1}) or {}
    return as_invoice(bill, customer, products_for([bill]))


def as_invoice(bill, customer, products):
    """A bill with what its invoice shows: {bill, customer, products, business (the dairy's profile),
    issued_on (the business day it was issued), product_summary (one row per product and rate), days (the
    day-by-day detail), due_now_paise (total less paid: what UPI asks for), upi ({uri, svg, amount_paise}, None
    when nothing is due or the dairy has no UPI ID), bottles (the customer's returnable bottles now: deposit held,
    charges)}."""
    business = business_profile.get()
    return {"bill": bill, "customer": customer, "products": products, "business": business,
            "issued_on": bill["issued_at"].astimezone(clock.business_tz()).date(),
            "product_summary": product_summary(bill, products, customer.get("custom_prices") or {}),
            "days": day_detail(bill, products), "due_now_paise": upi.due_now_paise(bill),
            "upi": upi.for_bill(bill, business), "bottles": bottles.for_customer(bill["customer_id"])}


def day_detail(bill, products):
    """The bill's lines by day, oldest first, products by name within a day: [{date, lines}]; each line keeps
    its `index` in bill.lines (the anchor a question about it names) and has the product's `name`."""
    days = {}
    for index, line in enumerate(bill.get("lines") or []):
        name = products.get(line["product_id"], {}).get("name", line["product_id"])
        days.setdefault(line["date"], []).append({**line, "index": index, "name": name})
    return [{"date": day, "lines": sorted(lines, key=lambda line: (line["name"].casefold(), line["index"]))}
            for day, lines in sorted(days.items())]


def product_summary(bill, products, custom_prices):
    """The bill's lines added up per product and rate, in the order of the products' names: [{product_id, name,
    unit, qty, unit_price_paise, amount_paise, list_price_paise}]; list_price_paise is the product's price where
    the customer has his own rate for it and was billed at a rate other than that price, else None."""
    rows = {}
    for line in bill.get("lines") or []:
        row = rows.setdefault((line["product_id"], line["unit_price_paise"]), {
            "product_id": line["product_id"], "unit_price_paise": line["unit_price_paise"], "qty": 0,
            "amount_paise": 0})
        row["qty"] += line["qty"]
        row["amount_paise"] += line["amount_paise"]
    for row in rows.values():
        product = products.get(row["product_id"], {})
        list_price = product.get("price_paise")
        row.update(name=product.get("name", row["product_id"]), unit=product.get("unit", ""),
                   list_price_paise=list_price if row["product_id"] in custom_prices
                   and list_price not in (None, row["unit_price_paise"]) else None)
    return sorted(rows.values(), key=lambda row: (row["name"].casefold(), row["unit_price_paise"]))


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


def statement(customer_id, first_day=None, last_day=None, *, actor):
    """The customer's ledger over a date range: `ledger.statement` (the same visibility)."""
    return ledger.statement(customer_id, first_day, last_day, actor=actor)


def _bill_query(month, status=None, area=None, delivery_boy_id=None):
    query = {"month": month}
    today = clock.iso(clock.today())
    # A bill with an open question is not overdue (bill_builder.effective_status): it lists as PENDING/PARTIAL.
    if status == "OVERDUE":
        query.update(status={"$ne": "PAID"}, due_date={"$lt": today}, open_questions={"$not": {"$gt": 0}})
    elif status == "PAID":
        query["status"] = "PAID"
    elif status in ("PENDING", "PARTIAL"):
        query.update(status=status, **{"$or": [{"due_date": {"$gte": today}}, {"open_questions": {"$gt": 0}}]})
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
    """The filtered bills as CSV, streamed: a generator of text chunks read from a cursor (checks run at once)."""
    actor.require(*STAFF_ROLES)
    month = validate.month(month)
    if status not in (None, "", *STATUSES):
        raise ValidationError("Choose a status.", field="status")
    db = get_db()
    today = clock.today()
    cursor = db.bills.find(_bill_query(month, status or None, area, delivery_boy_id), {"lines": 0},
                           batch_size=exports.BATCH_SIZE).sort("_id", 1)

    def rows():
        for batch in exports.batches(cursor):
            customers = {c["_id"]: c for c in db.customers.find(
                {"_id": {"$in": list({b["customer_id"] for b in batch})}}, {"name": 1, "area": 1})}
            for bill in batch:
                customer = customers.get(bill["customer_id"], {"name": bill["customer_id"], "area": ""})
                adjustments = sum(a["amount_paise"] for a in bill.get("adjustments") or [])
                yield [bill["_id"], bill["customer_id"], customer["name"], customer.get("area", ""), bill["month"],
                       bill["kind"], csv_rupees(bill["lines_paise"]), csv_rupees(adjustments),
                       csv_rupees(bill["total_paise"]), csv_rupees(bill["previous_balance_paise"]),
                       csv_rupees(bill["amount_due_paise"]), csv_rupees(bill["paid_paise"]),
                       effective_status(bill, today), bill["due_date"]]

    return exports.csv_chunks(["bill", "customer_id", "customer", "area", "month", "kind", "lines_total",
                               "adjustments", "total", "previous_balance", "amount_due", "paid", "status",
                               "due_date"], rows())


def lines_csv(month, *, status=None, area=None, delivery_boy_id=None, actor):
    """Every line of the filtered bills as CSV, streamed like `bills_csv`."""
    actor.require(*STAFF_ROLES)
    month = validate.month(month)
    db = get_db()
    products = {p["_id"]: p["name"] for p in db.products.find({}, {"name": 1})}
    cursor = db.bills.find(_bill_query(month, status or None, area, delivery_boy_id),
                           {"customer_id": 1, "lines": 1}, batch_size=exports.BATCH_SIZE).sort("_id", 1)
    rows = ([bill["_id"], bill["customer_id"], line["date"], line["delivery_id"], line["order_id"],
             line["order_kind"], line["product_id"], products.get(line["product_id"], ""), line["ordered_qty"],
             line["qty"], csv_rupees(line["unit_price_paise"]), csv_rupees(line["amount_paise"])]
            for bill in cursor for line in bill.get("lines") or [])
    return exports.csv_chunks(["bill", "customer_id", "date", "delivery", "order", "order_kind", "product_id",
                               "product", "ordered_qty", "qty", "unit_price", "amount"], rows)
