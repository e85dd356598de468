"""Billing history: the bills the old system issued become `historical` bills naming the imported deliveries
they covered, so the unique index `delivery_billed_once` marks those deliveries billed and the first run of the
new billing bills exactly what the old system never billed.

`billing_records` were subscription-only bills: one covers the customer's subscription deliveries of its
month. One-time orders with `billed: true` go on the historical bill of their delivery's month (a bill only
names deliveries of its own month, which reconciliation checks). A historical bill was settled in the old
system: it comes with a payment of its amount (method "legacy"), so it adds nothing to the customer's balance.
"""
from collections import defaultdict
from datetime import date

from webapp.legacy import reader
from webapp.services.bill_builder import assemble_bill, next_month


def plan(ctx, customers, one_time, deliveries):
    """{month: [historical bill without _id]} and the payments settling them (keyed by the bill's legacy id)."""
    report = ctx.report
    records = ctx.legacy["billing_records"]
    report.read("billing_records", len(records))
    billable = [d for d in deliveries + ctx.imported_deliveries
                if d["amount_paise"] > 0 and d["_id"] not in ctx.billed_delivery_ids]
    subscription_deliveries = defaultdict(list)
    for delivery in billable:
        if delivery["order_kind"] == "SUBSCRIPTION":
            subscription_deliveries[(delivery["customer_id"], delivery["month"])].append(delivery)
    groups = {}  # (customer_id, month) → {"legacy_id", "deliveries", "legacy_total_paise"}

    def group(customer_id, month, legacy_id):
        return groups.setdefault((customer_id, month), {"legacy_id": legacy_id, "deliveries": [],
                                                        "legacy_total_paise": None})

    for record in records:
        owner, month = reader.pick(record, "customer_id", "customerId", "user_id"), str(record.get("month") or "")[:7]
        legacy_id = record.get("id") or f"billing_records:{owner}:{month}"
        customer = customers["customers_v2"].get(owner) or customers["users"].get(owner)
        if legacy_id in ctx.imported_legacy_ids["bills"]:
            ctx.already("billing_records")
        elif customer is None:
            report.skip("billing_records", legacy_id, "its customer was not imported")
        elif len(month) != 7 or reader.day(month + "-01") is None:
            report.skip("billing_records", legacy_id, "no valid month")
        else:
            entry = group(customer["_id"], month, legacy_id)
            entry["legacy_id"] = legacy_id
            entry["deliveries"].extend(subscription_deliveries.pop((customer["_id"], month), []))
            entry["legacy_total_paise"] = ctx.money.paise(reader.pick(record, "total_amount", "total"),
                                                          "billing_records", legacy_id, "total_amount")
            report.imported("billing_records")

    one_time_deliveries = {d["order_id"]: d for d in billable if d["order_kind"] == "ONE_TIME"}
    billed_orders = [one_time.get(record.get("id")) for record in ctx.legacy["orders"] if record.get("billed") is True]
    for order in billed_orders:
        delivery = one_time_deliveries.get(order["_id"]) if order is not None else None
        if delivery is not None:  # None: not delivered, or already on a bill
            group(delivery["customer_id"], delivery["month"],
                  f"billed_orders:{delivery['customer_id']}:{delivery['month']}")["deliveries"].append(delivery)
    bills, payments = defaultdict(list), []
    for (customer_id, month), entry in sorted(groups.items()):
        issued = date.fromisoformat(next_month(month) + "-01")
        bill = assemble_bill(customer_id, month, "historical", entry["deliveries"], issued_at=ctx.now,
                             due_date=issued, credit=0)
        total = bill["total_paise"]
        bill.update(paid_paise=total, status="PAID", legacy_total_paise=entry["legacy_total_paise"])
        bills[month].append(ctx.mark(bill, "billing_records", entry["legacy_id"]))
        if total:
            payments.append(ctx.mark({
                "_id": ctx.new_id("PA"), "customer_id": customer_id, "amount_paise": total, "method": "legacy",
                "reference": None, "received_on": issued.isoformat(), "submission_id": None,
                "recorded_by": ctx.actor.as_doc(), "created_at": ctx.now}, "billing_records", entry["legacy_id"]))
    billed_ids = {d["_id"] for entries in groups.values() for d in entries["deliveries"]} | ctx.billed_delivery_ids
    delivery_of = {d["order_id"]: d["_id"] for d in deliveries + ctx.imported_deliveries if d["order_kind"] == "ONE_TIME"}
    report.check("one-time orders billed in the old system marked billed", len(billed_orders),
                 sum(1 for order in billed_orders if order is not None and delivery_of.get(order["_id"]) in billed_ids))
    report.recovered_paise = sum(d["amount_paise"] for d in billable if d["_id"] not in billed_ids)
    return bills, payments
