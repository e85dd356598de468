"""Bench: a month's billing run on 10,000 customers, 12,000 subscriptions and a month of deliveries.

Seeds with bench/seed.py, then bulk-inserts one delivery per due (subscription, day) of the month
(what `schedule.quantity_on` says is due; some short or not delivered). Measures, in the same run:
  - one pass reading the month's deliveries (the query the billing run makes),
  - the bill inserts alone (the same bills, one insert each, under the same unique multikey index),
  - the whole run (time, bills/s, database round trips from a pymongo CommandListener),
  - the same run again with nothing new.
Target: the whole run within 1.5 × (read pass + bill inserts).

    python bench/bench_billing.py [--customers N --subscriptions N]
"""
import argparse
import time
from collections import Counter
from datetime import datetime, timezone


from seed import bench_app, counted, seed
from webapp import clock
from webapp.db import get_db
from webapp.services import Actor, bill_builder, billing, schedule

MONTH = "2026-03"
RUN_AT = datetime(2026, 4, 1, 7, 0)  # business time: the morning after the month
BATCH = 5000


def seed_month_deliveries(db, made, month=MONTH):
    """One delivery per due (subscription, day) of `month`: 1 in 40 short, 1 in 60 not delivered."""
    customers = {c["_id"]: c for c in made["customers"]}
    products = {p["_id"]: p for p in made["products"]}
    confirmed = datetime(2026, 3, 31, 12, 0, tzinfo=timezone.utc)
    actor = {"kind": "system", "id": "bench", "role": "system", "ip": None}
    batch, count, n = [], 0, 0
    for order in db.orders.find({"kind": "SUBSCRIPTION"}).sort("_id", 1):
        customer = customers[order["customer_id"]]
        for day in clock.month_days(month):
            due = schedule.quantity_on(order, day)
            if not due:
                continue
            n += 1
            lines = []
            for product_id, qty in sorted(due.items()):
                delivered = 0 if n % 60 == 0 else (qty - 1 if n % 40 == 0 else qty)
                price = customer["custom_prices"].get(product_id) or products[product_id]["price_paise"]
                lines.append({"product_id": product_id, "ordered_qty": qty, "delivered_qty": delivered,
                              "unit_price_paise": price, "amount_paise": price * delivered})
            amount = sum(line["amount_paise"] for line in lines)
            status = ("NOT_DELIVERED" if amount == 0 else
                      "DELIVERED" if all(line["delivered_qty"] == line["ordered_qty"] for line in lines)
                      else "PARTIALLY_DELIVERED")
            batch.append({
                "_id": f"DL-{day:%Y%m%d}-{n:06d}", "order_id": order["_id"], "order_kind": "SUBSCRIPTION",
                "customer_id": customer["_id"], "delivery_boy_id": customer["delivery_boy_id"],
                "date": day.isoformat(), "month": month, "status": status,
                "reason": "door_locked" if amount == 0 else None, "lines": lines, "amount_paise": amount,
                "via": "delivery_boy", "confirmed_by": actor, "confirmed_at": confirmed, "ip": None,
                "created_at": confirmed, "updated_at": confirmed, "revisions": 0,
            })
            if len(batch) == BATCH:
                db.deliveries.insert_many(batch, ordered=False)
                count += len(batch)
                batch = []
    if batch:
        db.deliveries.insert_many(batch, ordered=False)
        count += len(batch)
    return count


def with_counter(app, work):
    """Run work() on a listening client; returns (result, seconds, Counter of commands)."""
    result, seconds, names = counted(app, work)
    return result, seconds, Counter(names)


def read_pass(db):
    """The run's one pass over the month's deliveries, in customer order."""
    cursor = db.deliveries.find({"month": MONTH}, bill_builder.DELIVERY_FIELDS, batch_size=5000).sort("customer_id", 1)
    return list(cursor)


def insert_bills_alone(db, deliveries):
    """The same bills, one insert each, into a scratch collection with the bills' indexes; returns seconds."""
    from importlib import import_module

    indexes = import_module("migrations.0001_initial").INDEXES["bills"]
    scratch = db.bills_insert_probe
    scratch.drop()
    scratch.create_indexes(indexes)
    by_customer = {}
    for delivery in deliveries:
        if delivery["amount_paise"] > 0:
            by_customer.setdefault(delivery["customer_id"], []).append(delivery)
    due_date = bill_builder.due_date_for(MONTH, clock.today(), billing.DEFAULT_DUE_DAY)
    bills = [bill_builder.assemble_bill(customer_id, MONTH, "regular", group, issued_at=clock.now(), due_date=due_date)
             for customer_id, group in by_customer.items()]
    started = time.perf_counter()
    for n, bill in enumerate(bills, start=1):
        bill["_id"] = f"BI-PROBE-{n:05d}"
        scratch.insert_one(bill)
    seconds = time.perf_counter() - started
    scratch.drop()
    return seconds, len(bills), sum(len(b["lines"]) for b in bills)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--subscriptions", type=int, default=12_000)
    args = parser.parse_args()
    with bench_app() as app:
        db = get_db()
        started = time.perf_counter()
        made = seed(db, customers=args.customers, subscriptions=args.subscriptions)
        count = seed_month_deliveries(db, made)
        print(f"seeded {len(made['customers'])} customers, {made['subscriptions']} subscriptions, "
              f"{count} deliveries for {MONTH} in {time.perf_counter() - started:.1f} s")
        with clock.frozen(RUN_AT):
            deliveries, read_seconds, _ = with_counter(app, lambda: read_pass(db))
            print(f"read pass:       {read_seconds:7.1f} s  ({len(deliveries)} deliveries)")
            insert_seconds, bill_count, line_count = insert_bills_alone(db, deliveries)
            print(f"bill inserts:    {insert_seconds:7.1f} s  ({bill_count} bills, {line_count} lines)")
            del deliveries
            actor = Actor.system("bench")
            summary, run_seconds, commands = with_counter(app, lambda: billing.run_month(MONTH, actor=actor))
            print(f"whole run:       {run_seconds:7.1f} s  ({summary['bills_issued']} bills, {summary['lines']} lines, "
                  f"{summary['bills_issued'] / run_seconds:.0f} bills/s, {sum(commands.values())} round trips: "
                  f"{dict(commands.most_common())})")
            again, again_seconds, again_commands = with_counter(app, lambda: billing.run_month(MONTH, actor=actor))
            print(f"re-run:          {again_seconds:7.1f} s  ({again['bills_issued']} bills, "
                  f"{again['already_billed']} deliveries already billed, {sum(again_commands.values())} round trips: "
                  f"{dict(again_commands.most_common())})")
            report, reconcile_seconds, _ = with_counter(app, lambda: billing.reconcile(MONTH))
            print(f"reconcile:       {reconcile_seconds:7.1f} s  ok={report['ok']} "
                  f"({report['delivered_lines']} delivered lines = {report['billed_lines']} billed lines)")
        floor = read_seconds + insert_seconds
        print(f"run / (read pass + bill inserts) = {run_seconds:.1f} / {floor:.1f} = {run_seconds / floor:.2f} "
              f"(target ≤ 1.5)")


if __name__ == "__main__":
    main()
