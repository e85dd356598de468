"""CSV exports of whole collections (admin): customers, orders, deliveries over a date range, bills. Each streams:
the checks run when it is asked for, then a generator reads a cursor in batches (only the fields a row needs) and
yields the CSV text a batch at a time, so memory stays the same at 300,000 rows as at 300. Every cell goes through
`presentation.csv_cell` (text a spreadsheet would run as a formula is neutralised)."""
import csv
import io
from datetime import timedelta

from webapp.db import get_db
from webapp.presentation import csv_cell, csv_rupees
from webapp.services import validate

BATCH_SIZE = 1000
MAX_RANGE_DAYS = 366


def csv_chunks(header, rows, batch_size=BATCH_SIZE):
    """CSV text of the header and rows, one chunk per `batch_size` rows, read from `rows` as they are needed."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(value) for value in header])
    pending = 0
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
        pending += 1
        if pending == batch_size:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
            pending = 0
    yield out.getvalue()


CUSTOMER_FIELDS = ("name", "phone", "email", "address", "area", "delivery_boy_id", "stop", "status", "created_at")


def customers(*, actor):
    """Every customer, by id."""
    actor.require("admin")
    cursor = get_db().customers.find({}, dict.fromkeys(CUSTOMER_FIELDS, 1), batch_size=BATCH_SIZE).sort("_id", 1)
    rows = ([c["_id"], c.get("name"), c.get("phone"), c.get("email"), c.get("address"), c.get("area"),
             c.get("delivery_boy_id"), c.get("stop"), c.get("status"), _timestamp(c.get("created_at"))]
            for c in cursor)
    return csv_chunks(["customer_id", *CUSTOMER_FIELDS], rows)


ORDER_FIELDS = ("kind", "customer_id", "status", "delivery_date", "start_date", "end_date", "pattern", "items",
                "created_at")


def orders(*, actor):
    """Every order, one row per item (a subscription's pattern as its kind)."""
    actor.require("admin")
    cursor = get_db().orders.find({}, dict.fromkeys(ORDER_FIELDS, 1), batch_size=BATCH_SIZE).sort("_id", 1)

    def rows():
        for order in cursor:
            pattern = (order.get("pattern") or {}).get("kind")
            for item in order.get("items") or [{}]:
                yield [order["_id"], order.get("kind"), order.get("customer_id"), order.get("status"),
                       order.get("delivery_date"), order.get("start_date"), order.get("end_date"), pattern,
                       item.get("product_id"), item.get("qty"),
                       csv_rupees(item["unit_price_paise"]) if item.get("unit_price_paise") is not None else None,
                       _timestamp(order.get("created_at"))]

    return csv_chunks(["order_id", "kind", "customer_id", "status", "delivery_date", "start_date", "end_date",
                       "pattern", "product_id", "qty", "unit_price", "created_at"], rows())


DELIVERY_FIELDS = ("date", "order_id", "order_kind", "customer_id", "delivery_boy_id", "status", "reason", "lines",
                   "via", "confirmed_at")


def deliveries(first_day, last_day, *, actor):
    """The deliveries of a date range (both ends included, at most a year), one row per product line."""
    actor.require("admin")
    errors = validate.Errors()
    first = errors.check("first_day", validate.day, first_day, "first_day", label="From")
    last = errors.check("last_day", validate.day, last_day, "last_day", label="To")
    if first and last and last < first:
        errors.add("last_day", "To must not be before From.")
    elif first and last and last - first >= timedelta(days=MAX_RANGE_DAYS):
        errors.add("last_day", "Choose at most a year.")
    errors.raise_if_any()
    cursor = get_db().deliveries.find(
        {"date": {"$gte": first.isoformat(), "$lte": last.isoformat()}}, dict.fromkeys(DELIVERY_FIELDS, 1),
        batch_size=BATCH_SIZE).sort([("date", 1), ("_id", 1)])

    def rows():
        for delivery in cursor:
            for line in delivery.get("lines") or []:
                yield [delivery["_id"], delivery["date"], delivery["order_id"], delivery.get("order_kind"),
                       delivery["customer_id"], delivery.get("delivery_boy_id"), delivery["status"],
                       delivery.get("reason"), line["product_id"], line["ordered_qty"], line["delivered_qty"],
                       csv_rupees(line["unit_price_paise"]), csv_rupees(line["amount_paise"]), delivery.get("via"),
                       _timestamp(delivery.get("confirmed_at"))]

    return csv_chunks(["delivery_id", "date", "order_id", "order_kind", "customer_id", "delivery_boy_id", "status",
                       "reason", "product_id", "ordered_qty", "delivered_qty", "unit_price", "amount", "via",
                       "confirmed_at"], rows())


BILL_FIELDS = ("customer_id", "month", "kind", "lines_paise", "total_paise", "previous_balance_paise",
               "amount_due_paise", "paid_paise", "status", "due_date", "issued_at")


def bills(*, actor):
    """Every bill (stored status: OVERDUE is a reading of the due date, see the bills page), by number."""
    actor.require("admin")
    cursor = get_db().bills.find({}, dict.fromkeys(BILL_FIELDS, 1), batch_size=BATCH_SIZE).sort("_id", 1)
    rows = ([b["_id"], b["customer_id"], b["month"], b["kind"], csv_rupees(b.get("lines_paise") or 0),
             csv_rupees(b["total_paise"]), csv_rupees(b.get("previous_balance_paise") or 0),
             csv_rupees(b.get("amount_due_paise") or 0), csv_rupees(b.get("paid_paise") or 0), b["status"],
             b.get("due_date"), _timestamp(b.get("issued_at"))] for b in cursor)
    return csv_chunks(["bill_id", "customer_id", "month", "kind", "lines_total", "total", "previous_balance",
                       "amount_due", "paid", "status", "due_date", "issued_at"], rows)


def _timestamp(moment):
    """UTC timestamps as ISO text (a spreadsheet reads them as dates)."""
    return moment.isoformat() if moment is not None else None


def batches(cursor, size=BATCH_SIZE):
    """Lists of up to `size` documents from a cursor, read as they are needed."""
    batch = []
    for document in cursor:
        batch.append(document)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
