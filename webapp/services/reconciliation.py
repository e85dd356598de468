"""Reconciliation: proof that billed lines equal delivered lines for a month (reads only)."""
from webapp.db import get_db
from webapp.services import STAFF_ROLES, validate
from webapp.services.bill_builder import DELIVERY_FIELDS, delivery_lines


def reconcile(month):
    """Delivered vs billed for `month`: counts and amounts, delivered-but-unbilled with why, billed lines
    without a matching delivery (must be empty), bills whose totals are not the sum of their lines."""
    month = validate.month(month)
    db = get_db()
    delivered = {}
    # By the month alone, which the index month_customer answers whole; what was not delivered is skipped here.
    for delivery in db.deliveries.find({"month": month}, DELIVERY_FIELDS, batch_size=5000):
        if (delivery.get("amount_paise") or 0) <= 0:
            continue
        for line in delivery_lines(delivery):
            delivered[(delivery["_id"], line["product_id"])] = (line, delivery)
    billed = {}
    bad_totals, billed_without_delivery = [], []
    last_run = None
    for bill in db.bills.find({"month": month}):
        if not bill.get("up_to"):  # a customer billed up to a day (billing.bill_to_date) is no run of the month
            last_run = max(last_run or bill["issued_at"], bill["issued_at"])
        lines_total = 0
        for line in bill.get("lines") or []:
            key = (line["delivery_id"], line["product_id"])
            lines_total += line["amount_paise"]
            billed[key] = (line, bill["_id"])
            match = delivered.get(key)
            if line["amount_paise"] != line["qty"] * line["unit_price_paise"]:
                billed_without_delivery.append(dict(line, bill_id=bill["_id"], why="amount is not qty × price"))
            elif match is None:
                billed_without_delivery.append(dict(line, bill_id=bill["_id"], why="no such delivered line"))
            elif (match[0]["qty"], match[0]["unit_price_paise"]) != (line["qty"], line["unit_price_paise"]):
                billed_without_delivery.append(dict(line, bill_id=bill["_id"],
                                                    why="delivery record differs from the billed line"))
        adjustments = sum(a["amount_paise"] for a in bill.get("adjustments") or [])
        if bill["total_paise"] != lines_total + adjustments or bill.get("lines_paise", lines_total) != lines_total:
            bad_totals.append({"bill_id": bill["_id"], "total_paise": bill["total_paise"],
                               "sum_paise": lines_total + adjustments})
    stopped = {c["_id"] for c in db.customers.find({"status": "stopped"}, {"_id": 1})}
    unbilled = []
    for key in sorted((key for key in delivered if key not in billed),
                      key=lambda key: (delivered[key][0]["date"], key)):
        line, delivery = delivered[key]
        if last_run is None:
            why = "the month has not been billed yet"
        elif delivery.get("confirmed_at") and delivery["confirmed_at"] > last_run:
            why = "confirmed after the last run"
        elif delivery["customer_id"] in stopped:
            why = "customer stopped"
        else:
            why = "not billed (run interrupted?); run the month again"
        unbilled.append(dict(line, customer_id=delivery["customer_id"], why=why))
    delivered_paise = sum(line["amount_paise"] for line, _ in delivered.values())
    billed_paise = sum(line["amount_paise"] for line, _ in billed.values())
    report = {
        "month": month,
        "delivered_lines": len(delivered),
        "delivered_paise": delivered_paise,
        "billed_lines": len(billed),
        "billed_paise": billed_paise,
        "unbilled": unbilled,
        "billed_without_delivery": billed_without_delivery,
        "bad_totals": bad_totals,
        "last_run_at": last_run,
    }
    report["ok"] = (len(delivered) == len(billed) and delivered_paise == billed_paise and not unbilled
                    and not billed_without_delivery and not bad_totals)
    return report


def reconciliation(month, *, actor):
    """The reconciliation report, for staff."""
    actor.require(*STAFF_ROLES)
    return reconcile(month)
