"""The admin's reports over a date range (business days, both ends included): sales by product and by area per day
or month, collections per delivery boy and payment method, customers gained and lost per month with reasons, and
the supplier's purchases against deliveries (wastage). Reads only; each report also gives its CSV rows.
"""
import re
from datetime import timedelta

from webapp import clock
from webapp.db import get_db
from webapp.presentation import csv_rupees
from webapp.services import ValidationError, validate

REPORTS = ("sales", "collections", "customers", "wastage")
PERIODS = ("day", "month")
MAX_RANGE_DAYS = 366
OFFICE = "Office"  # a payment nobody collected at the door was received at the office
# customers.set_status keeps the reason in `changes.reason`; entries written before it did carry it only at the end
# of their summary: "…from 2026-10-05: moved away".
STATUS_REASON_RE = re.compile(r" from [0-9]{4}-[0-9]{2}-[0-9]{2}(?:: (?P<reason>.*)| \(after the cut-off: "
                              r"(?P<late>.*)\))$", re.S)
GAINED_REASONS = {"customer.create": "Added by staff", "customer.signup": "Signed up"}
CAME_BACK = "Came back"
NO_REASON = "No reason given"


def default_range():
    """This month up to today."""
    today = clock.today()
    return today.replace(day=1), today


def clean_range(first_day, last_day, per="day"):
    """(first, last, per) checked: real days, in order, at most a year apart, per day or month."""
    errors = validate.Errors()
    first = errors.check("first_day", validate.day, first_day, "first_day", label="From")
    last = errors.check("last_day", validate.day, last_day, "last_day", label="To")
    if per not in PERIODS:
        errors.add("per", "Choose per day or per month.")
    if first and last and last < first:
        errors.add("last_day", "To must not be before From.")
    elif first and last and (last - first).days >= MAX_RANGE_DAYS:
        errors.add("last_day", "Choose at most a year.")
    errors.raise_if_any()
    return first, last, per


def _day_match(first, last):
    return {"date": {"$gte": clock.iso(first), "$lte": clock.iso(last)}}


def _names(collection, ids, field="name"):
    return {doc["_id"]: doc.get(field) for doc in get_db()[collection].find({"_id": {"$in": list(ids)}}, {field: 1})}


def sales(first_day, last_day, per="day", *, actor):
    """What was delivered, per day or month: {by_product: [{period, product_id, product, qty, amount_paise}],
    by_area: [{period, area, deliveries, amount_paise}], total_paise}. A delivery counts at the price it was
    recorded with; nothing delivered counts nothing."""
    actor.require("admin")
    first, last, per = clean_range(first_day, last_day, per)
    period = "$date" if per == "day" else "$month"
    db = get_db()
    by_product = list(db.deliveries.aggregate([
        {"$match": _day_match(first, last)},
        {"$unwind": "$lines"},
        {"$match": {"lines.delivered_qty": {"$gt": 0}}},
        {"$group": {"_id": {"period": period, "product_id": "$lines.product_id"},
                    "qty": {"$sum": "$lines.delivered_qty"}, "amount_paise": {"$sum": "$lines.amount_paise"}}},
    ]))
    products = _names("products", {row["_id"]["product_id"] for row in by_product})
    product_rows = sorted(({"period": row["_id"]["period"], "product_id": row["_id"]["product_id"],
                            "product": products.get(row["_id"]["product_id"]) or row["_id"]["product_id"],
                            "qty": row["qty"], "amount_paise": row["amount_paise"]} for row in by_product),
                          key=lambda row: (row["period"], row["product"]))
    by_customer = list(db.deliveries.aggregate([
        {"$match": {**_day_match(first, last), "amount_paise": {"$gt": 0}}},
        {"$group": {"_id": {"period": period, "customer_id": "$customer_id"},
                    "deliveries": {"$sum": 1}, "amount_paise": {"$sum": "$amount_paise"}}},
    ]))
    areas = _names("customers", {row["_id"]["customer_id"] for row in by_customer}, "area")
    area_totals = {}
    for row in by_customer:
        key = (row["_id"]["period"], areas.get(row["_id"]["customer_id"]) or "—")
        total = area_totals.setdefault(key, {"period": key[0], "area": key[1], "deliveries": 0, "amount_paise": 0})
        total["deliveries"] += row["deliveries"]
        total["amount_paise"] += row["amount_paise"]
    return {"first_day": first, "last_day": last, "per": per, "by_product": product_rows,
            "by_area": [area_totals[key] for key in sorted(area_totals)],
            "total_paise": sum(row["amount_paise"] for row in product_rows)}


def collections(first_day, last_day, *, actor):
    """Payments received in the range, per collector (the delivery boy who took it at the door, else the office)
    and method: {rows: [{collector_id, collector, method, payments, amount_paise}], by_collector: [{collector,
    amount_paise}], by_method: [{method, amount_paise}], total_paise}."""
    actor.require("admin")
    first, last, _ = clean_range(first_day, last_day)
    grouped = list(get_db().payments.aggregate([
        {"$match": {"received_on": {"$gte": clock.iso(first), "$lte": clock.iso(last)}}},
        {"$group": {"_id": {"collected_by": {"$ifNull": ["$collected_by", None]}, "method": "$method"},
                    "payments": {"$sum": 1}, "amount_paise": {"$sum": "$amount_paise"}}},
    ]))
    names = _names("users", {row["_id"]["collected_by"] for row in grouped if row["_id"]["collected_by"]})
    rows = sorted(({"collector_id": row["_id"]["collected_by"],
                    "collector": (names.get(row["_id"]["collected_by"]) or row["_id"]["collected_by"])
                    if row["_id"]["collected_by"] else OFFICE,
                    "method": row["_id"]["method"], "payments": row["payments"],
                    "amount_paise": row["amount_paise"]} for row in grouped),
                  key=lambda row: (row["collector"] == OFFICE, row["collector"], row["method"]))
    return {"first_day": first, "last_day": last, "rows": rows,
            "by_collector": _totals(rows, "collector"), "by_method": _totals(rows, "method"),
            "total_paise": sum(row["amount_paise"] for row in rows)}


def _totals(rows, key):
    totals = {}
    for row in rows:
        totals[row[key]] = totals.get(row[key], 0) + row["amount_paise"]
    return [{key: name, "amount_paise": amount} for name, amount in totals.items()]


def stop_reason(entry):
    """Why a customer stopped, as staff gave it when they changed his status."""
    reason = (entry.get("changes") or {}).get("reason")
    if reason:
        return reason
    found = STATUS_REASON_RE.search(entry.get("summary") or "")
    return (found and (found.group("reason") or found.group("late"))) or NO_REASON


def customer_movements(first_day, last_day, *, actor):
    """Customers gained (added by staff, signed up, came back after stopping) and lost (stopped) per month, from
    the audit log: {months: [{month, gained, lost, gained_reasons: {reason: n}, lost_reasons: {reason: n}}],
    events: [{at, month, customer_id, kind: gained|lost, reason}]}."""
    actor.require("admin")
    first, last, _ = clean_range(first_day, last_day)
    cursor = get_db().audit_log.find({
        "action": {"$in": [*GAINED_REASONS, "customer.status"]},
        "at": {"$gte": clock.local_datetime(first, 0), "$lt": clock.local_datetime(last + timedelta(days=1), 0)},
    }, {"at": 1, "action": 1, "entity_id": 1, "summary": 1, "changes": 1}).sort([("at", 1), ("_id", 1)])
    tz = clock.business_tz()
    events, months = [], {}
    for entry in cursor:
        kind, reason = _movement(entry)
        if kind is None:
            continue
        month = clock.month_of(entry["at"].astimezone(tz).date())
        events.append({"at": entry["at"], "month": month, "customer_id": entry["entity_id"], "kind": kind,
                       "reason": reason})
        summary = months.setdefault(month, {"month": month, "gained": 0, "lost": 0, "gained_reasons": {},
                                            "lost_reasons": {}})
        summary[kind] += 1
        reasons = summary[f"{kind}_reasons"]
        reasons[reason] = reasons.get(reason, 0) + 1
    return {"first_day": first, "last_day": last, "months": [months[m] for m in sorted(months)], "events": events}


def _movement(entry):
    """('gained' | 'lost' | None, reason) for one audit entry."""
    if entry["action"] in GAINED_REASONS:
        return "gained", GAINED_REASONS[entry["action"]]
    status = (entry.get("changes") or {}).get("status") or {}
    if status.get("after") == "stopped" and status.get("before") != "stopped":
        return "lost", stop_reason(entry)
    if status.get("before") == "stopped" and status.get("after") in ("active", "trial"):
        return "gained", CAME_BACK
    return None, None


def wastage(first_day, last_day, *, actor):
    """Per month and product: what the supplier delivered to the dairy (purchases) against what reached customers
    (delivered quantities): [{month, product_id, product, unit, purchased, delivered, wasted, wasted_percent}]
    (wasted_percent None when nothing was purchased)."""
    actor.require("admin")
    first, last, _ = clean_range(first_day, last_day)
    db = get_db()
    purchased = {(row["_id"]["month"], row["_id"]["product_id"]): row["qty"] for row in db.purchases.aggregate([
        {"$match": _day_match(first, last)},
        {"$group": {"_id": {"month": "$month", "product_id": "$product_id"}, "qty": {"$sum": "$qty"}}},
    ])}
    delivered = {(row["_id"]["month"], row["_id"]["product_id"]): row["qty"] for row in db.deliveries.aggregate([
        {"$match": _day_match(first, last)},
        {"$unwind": "$lines"},
        {"$group": {"_id": {"month": "$month", "product_id": "$lines.product_id"},
                    "qty": {"$sum": "$lines.delivered_qty"}}},
    ])}
    keys = set(purchased) | set(delivered)
    products = {p["_id"]: p for p in db.products.find({"_id": {"$in": list({k[1] for k in keys})}},
                                                      {"name": 1, "unit": 1})}
    rows = []
    for month, product_id in keys:
        bought, sold = purchased.get((month, product_id), 0), delivered.get((month, product_id), 0)
        product = products.get(product_id, {"name": product_id, "unit": ""})
        rows.append({"month": month, "product_id": product_id, "product": product["name"], "unit": product["unit"],
                     "purchased": bought, "delivered": sold, "wasted": bought - sold,
                     "wasted_percent": round((bought - sold) * 100 / bought, 1) if bought else None})
    rows.sort(key=lambda row: (row["month"], row["product"]))
    return {"first_day": first, "last_day": last, "rows": rows}


def run_report(name, first_day, last_day, per="day", *, actor):
    """One report by name (see REPORTS)."""
    if name == "sales":
        return sales(first_day, last_day, per, actor=actor)
    if name == "collections":
        return collections(first_day, last_day, actor=actor)
    if name == "customers":
        return customer_movements(first_day, last_day, actor=actor)
    if name == "wastage":
        return wastage(first_day, last_day, actor=actor)
    raise ValidationError("No such report.", field="report")


def csv_rows(name, data):
    """A report as CSV rows (header first); money in rupees."""
    if name == "sales":
        yield ["section", "period", "product_or_area", "qty_or_deliveries", "amount"]
        for row in data["by_product"]:
            yield ["product", row["period"], row["product"], row["qty"], csv_rupees(row["amount_paise"])]
        for row in data["by_area"]:
            yield ["area", row["period"], row["area"], row["deliveries"], csv_rupees(row["amount_paise"])]
    elif name == "collections":
        yield ["collector", "method", "payments", "amount"]
        for row in data["rows"]:
            yield [row["collector"], row["method"], row["payments"], csv_rupees(row["amount_paise"])]
    elif name == "customers":
        yield ["month", "customer_id", "kind", "reason"]
        for event in data["events"]:
            yield [event["month"], event["customer_id"], event["kind"], event["reason"]]
    elif name == "wastage":
        yield ["month", "product_id", "product", "purchased", "delivered", "wasted", "wasted_percent"]
        for row in data["rows"]:
            yield [row["month"], row["product_id"], row["product"], row["purchased"], row["delivered"], row["wasted"],
                   row["wasted_percent"]]
