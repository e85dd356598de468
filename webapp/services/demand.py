"""Supplier demand: what the dairy must procure for a date, per product, from the schedule engine."""
from webapp import clock
from webapp.db import get_db
from webapp.presentation import csv_text
from webapp.services import STAFF_ROLES, rounds, validate

CSV_HEADER = ["date", "product_id", "product", "unit", "quantity", "orders"]


def for_day(day, *, actor):
    """{"date", "lines": [{product_id, name, unit, qty, orders}], "orders"} for every order due on `day`.

    Two queries for the candidate orders, one for the products; the schedule engine decides.
    """
    actor.require("supplier", *STAFF_ROLES)
    day = validate.day(day)
    db = get_db()
    due = rounds.due_for(day)
    totals = {}
    for _, quantities in due:
        for product_id, qty in quantities.items():
            total = totals.setdefault(product_id, {"qty": 0, "orders": 0})
            total["qty"] += qty
            total["orders"] += 1
    products = {p["_id"]: p for p in db.products.find({"_id": {"$in": sorted(totals)}}, {"name": 1, "unit": 1})}
    lines = [{"product_id": product_id, "name": products.get(product_id, {}).get("name", product_id),
              "unit": products.get(product_id, {}).get("unit", ""), **total}
             for product_id, total in totals.items()]
    lines.sort(key=lambda line: line["name"].casefold())
    return {"date": day, "lines": lines, "orders": len(due)}


def as_csv(demand):
    """The demand as CSV text (a header row, then one row per product)."""
    day = clock.iso(demand["date"])
    return csv_text([CSV_HEADER] + [[day, line["product_id"], line["name"], line["unit"], line["qty"], line["orders"]]
                                    for line in demand["lines"]])
