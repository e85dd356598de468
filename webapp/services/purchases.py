"""What the dairy received from its supplier: one record per day and product (the quantity received), written by
staff or the supplier, corrected by writing the day's quantity again. The wastage report sets it against what was
delivered (services/reports.py).

`purchases {_id: "PU-…", date, month, product_id, qty, created_at, created_by, updated_at, updated_by}`, unique
`(date, product_id)` (migrations/0008).
"""
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from webapp import clock
from webapp.db import get_db
from webapp.services import Conflict, catalog, uow, validate

RECORDERS = ("admin", "supplier")
# Packets, litres or kilos of one product in one day's delivery from the supplier; more is a typing slip.
MAX_PURCHASE_QTY = 100_000


def clean_purchase(day, product_id, qty):
    errors = validate.Errors()
    day = errors.check("date", validate.day, day, "date", label="Date", latest=clock.today())
    product = None
    if not product_id:
        errors.add("product_id", "Choose a product.")
    else:
        product = catalog.products_by_id([str(product_id)]).get(str(product_id))
        if product is None:
            errors.add("product_id", "Choose a product.")
    qty = errors.check("qty", validate.whole_number, qty, "qty", label="Quantity received",
                       maximum=MAX_PURCHASE_QTY)
    errors.raise_if_any()
    return day, product, qty


def record_purchase(day, product_id, qty, *, actor):
    """The quantity of a product received on a day (not a future one); writing a day and product again corrects
    it, audited with the quantity before and after. Returns the record."""
    actor.require(*RECORDERS)
    day, product, qty = clean_purchase(day, product_id, qty)
    date_text = clock.iso(day)

    def work(u):
        now = clock.now()
        key = {"date": date_text, "product_id": product["_id"]}
        existing = u.db.purchases.find_one(key, {"_id": 1})
        purchase_id = existing["_id"] if existing else u.new_id("PU", day)
        before = u.db.purchases.find_one_and_update(
            key, {"$set": {"qty": qty, "updated_at": now, "updated_by": actor.as_doc()},
                  "$setOnInsert": {"_id": purchase_id, "month": clock.month_of(day), "created_at": now,
                                   "created_by": actor.as_doc()}},
            upsert=True, return_document=ReturnDocument.BEFORE)
        previous = before["qty"] if before else None
        if previous != qty:
            u.record("purchase.record", "purchase", purchase_id, (
                f"Received {qty} × {product['name']} on {date_text}" if before is None else
                f"Received {product['name']} on {date_text} corrected: {previous} → {qty}"),
                changes={"qty": {"before": previous, "after": qty}, "date": date_text, "product_id": product["_id"]})
        return {**(before or {"_id": purchase_id, **key, "month": clock.month_of(day)}), "qty": qty}

    try:
        return uow.run(actor, work)
    except DuplicateKeyError:  # the same day and product recorded at the same moment by someone else
        raise Conflict("This day's quantity was just recorded by someone else. Reload and check it.") from None


def purchases_page(month, day=None, product_id=None, *, actor):
    """What the purchases page shows: {month, records: [{date, product_id, product, qty}] of the month by date,
    products (active ones, for the form), qty: the quantity already recorded for `day` and `product_id` (to
    correct), else None}. The month defaults to this one; a bad month is a ValidationError."""
    actor.require(*RECORDERS)
    month = clock.month_of(clock.today()) if month in (None, "") else validate.month(month)
    db = get_db()
    records = list(db.purchases.find({"month": month}).sort([("date", 1), ("product_id", 1)]))
    products = {p["_id"]: p for p in db.products.find({}, {"name": 1, "unit": 1, "status": 1, "name_key": 1})}
    for record in records:
        record["product"] = products.get(record["product_id"], {"name": record["product_id"], "unit": ""})
    existing = None
    if day and product_id:
        existing = db.purchases.find_one({"date": str(day), "product_id": str(product_id)}, {"qty": 1})
    return {"month": month, "records": records, "qty": existing["qty"] if existing else None,
            "products": sorted((p for p in products.values() if p.get("status") == "active"),
                               key=lambda p: p.get("name_key") or p["name"])}
