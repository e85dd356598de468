"""Building a bill from data passed in: lines, summary, totals, paid status, due date.

Pure: no database, no app configuration, no clock. The month's run (services/billing.py) reads
the deliveries, adjustments and balances and passes them here; tests call it without a database.
"""
from collections import defaultdict
from datetime import date, timedelta

# The delivery fields a bill is built from (the projection the run and reconciliation read).
DELIVERY_FIELDS = {"_id": 1, "order_id": 1, "order_kind": 1, "customer_id": 1, "date": 1, "status": 1,
                   "lines": 1, "amount_paise": 1, "confirmed_at": 1}


# ---------------------------------------------------------------- months, due dates, status

def next_month(month):
    year, number = map(int, month.split("-"))
    return f"{year + number // 12}-{number % 12 + 1:02d}"


def previous_month(month):
    year, number = map(int, month.split("-"))
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


def due_date_for(month, issued_on, due_day):
    """Day `due_day` of the following month; a bill issued later than that gets as many days from issue."""
    due = date.fromisoformat(next_month(month) + "-01").replace(day=due_day)
    return due if due >= issued_on else issued_on + timedelta(days=due_day)


def paid_status(total, paid):
    """As stored: PAID, PARTIAL or PENDING (a bill with nothing to pay is PAID)."""
    if total <= 0 or paid >= total:
        return "PAID"
    return "PARTIAL" if paid > 0 else "PENDING"


def effective_status(bill, today):
    """The stored status, or OVERDUE when unpaid past the due date on `today` and none of its lines is questioned
    (a bill with open questions, `open_questions` > 0, is not final yet)."""
    status = bill["status"]
    if status != "PAID" and bill["due_date"] < today.isoformat() and not bill.get("open_questions", 0) > 0:
        return "OVERDUE"
    return status


# ---------------------------------------------------------------- lines, summary, the bill

def bill_lines(deliveries):
    """One line per delivered product of each delivery (nothing for undelivered quantities), in date order."""
    return [line for delivery in sorted(deliveries, key=lambda d: (d["date"], d["_id"]))
            for line in delivery_lines(delivery)]


def delivery_lines(delivery):
    """The bill lines of one delivery: one per delivered product."""
    lines = []
    for line in delivery.get("lines") or []:
        qty = line.get("delivered_qty") or 0
        if qty <= 0:
            continue
        lines.append({
            "delivery_id": delivery["_id"],
            "date": delivery["date"],
            "order_id": delivery["order_id"],
            "order_kind": delivery.get("order_kind"),
            "product_id": line["product_id"],
            "ordered_qty": line.get("ordered_qty", qty),
            "qty": qty,
            "unit_price_paise": line["unit_price_paise"],
            "amount_paise": qty * line["unit_price_paise"],
        })
    return lines


def summarize(lines, *, not_delivered_days=(), paused_days=0, skipped_days=0, previous_total=None, total=0):
    """What a customer reads at the top of his bill, so he does not have to phone to ask why."""
    days = sorted({line["date"] for line in lines})
    extras = [line for line in lines if line["order_kind"] == "ONE_TIME"]
    short = [line for line in lines if line["qty"] < line["ordered_qty"]]
    prices = defaultdict(list)
    for line in sorted(lines, key=lambda item: item["date"]):
        history = prices[line["product_id"]]
        if not history or history[-1]["unit_price_paise"] != line["unit_price_paise"]:
            history.append({"from": line["date"], "unit_price_paise": line["unit_price_paise"]})
    return {
        "days_delivered": len(days),
        "first_day": days[0] if days else None,
        "last_day": days[-1] if days else None,
        "days_not_delivered": len(set(not_delivered_days) - set(days)),
        "days_paused": paused_days,
        "days_skipped": skipped_days,
        "extras": len(extras),
        "extras_paise": sum(line["amount_paise"] for line in extras),
        "short_deliveries": len(short),
        "short_days": sorted({line["date"] for line in short}),
        "price_changes": [
            {"product_id": product_id, "prices": history} for product_id, history in prices.items() if len(history) > 1
        ],
        "previous_month_total_paise": previous_total,
        "change_paise": None if previous_total is None else total - previous_total,
    }


def assemble_bill(customer_id, month, kind, deliveries, *, issued_at, due_date, adjustments=(), previous_balance=0,
                  credit=0, run_id=None, not_delivered_days=(), paused_days=0, skipped_days=0, previous_total=None):
    """A bill document (without its number) from delivery documents; totals are sums of their lines.

    `credit` is what the customer has paid ahead (it pays this bill first); `due_date` a date.
    """
    lines = bill_lines(deliveries)
    adjustment_lines = [
        {"adjustment_id": a["_id"], "reason": a["reason"], "amount_paise": a["amount_paise"]} for a in adjustments
    ]
    lines_total = sum(line["amount_paise"] for line in lines)
    total = lines_total + sum(a["amount_paise"] for a in adjustment_lines)
    paid = max(0, min(total, credit))
    return {
        "customer_id": customer_id,
        "month": month,
        "kind": kind,
        "lines": lines,
        "adjustments": adjustment_lines,
        "lines_paise": lines_total,
        "total_paise": total,
        "previous_balance_paise": previous_balance,
        "amount_due_paise": previous_balance + total,
        "paid_paise": paid,
        "status": paid_status(total, paid),
        "due_date": due_date.isoformat(),
        "summary": summarize(lines, not_delivered_days=not_delivered_days, paused_days=paused_days,
                             skipped_days=skipped_days, previous_total=previous_total, total=total),
        "issued_at": issued_at,
        "run_id": run_id,
    }
