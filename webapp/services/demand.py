"""Supplier demand: what the dairy must procure for a date, per product: the day's plan (day_plan, the schedule
engine's answer for every order, kept between requests), so that it costs what the staff overview costs."""
from webapp import clock
from webapp.db import get_db
from webapp.presentation import csv_text
from webapp.services import STAFF_ROLES, day_plan, validate

CSV_HEADER = ["date", "product_id", "product", "unit", "quantity", "orders"]


def for_day(day, *, actor):
    """{"date", "lines": [{product_id, name, unit, qty, orders}], "orders"} for every order due on `day`: the day's
    plan and one query for the products."""
    actor.require("supplier", *STAFF_ROLES)
    day = validate.day(day)
    db = get_db()
    plan = day_plan.due_plan(day)
    totals = {product_id: {"qty": qty, "orders": plan["order_counts"][product_id]}
              for product_id, qty in plan["quantities"].items()}
    products = {p["_id"]: p for p in db.products.find({"_id": {"$in": sorted(totals)}}, {"name": 1, "unit": 1})}
    lines = [{"product_id": product_id, "name": products.get(product_id, {}).get("name", product_id),
              "unit": products.get(product_id, {}).get("unit", ""), **total}
             for product_id, total in totals.items()]
    lines.sort(key=lambda line: line["name"].casefold())
    return {"date": day, "lines": lines, "orders": sum(len(stop["orders"]) for stop in plan["stops"].values())}


def as_csv(demand):
    """The demand as CSV text (a header row, then one row per product)."""
    day = clock.iso(demand["date"])
    return csv_text([CSV_HEADER] + [[day, line["product_id"], line["name"], line["unit"], line["qty"], line["orders"]]
                                    for line in demand["lines"]])
