"""Bench: the legacy import of a dairy of 10,000 customers and about 300,000 `delivery_statuses`.

Bulk-generates a legacy database in the shapes of the old system (both generations and field spellings,
statuses in any case, float rupees, people paired by link, phone or email, deliveries linked by order, by
subscription or by nothing, orphans, partials above what was due, December billed and January not) into a
second database of the same server (tests/legacy_fixtures.make_legacy_db has every variant but is built for
tests: 10,000 customers give it 170,000 records, in two minutes). Then imports it into the emptied, migrated
bench database through the import's Python entry point (what `flask import-legacy` runs) and prints the time,
the database round trips (pymongo CommandListener: the legacy reads and the app's writes), the documents
written and the report's totals.

    python bench/bench_import.py [--customers N --days N]
"""
import argparse
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone

from seed import BATCH, PRODUCTS, bench_app, counted
from webapp import migrate
from webapp.db import get_client, get_db
from webapp.legacy import run

LEGACY_DB = "earlybird_legacy_bench"
COUNT_KINDS = ("read", "imported", "merged", "skipped")
FIRST_DAY = date(2025, 12, 17)      # deliveries from here, `days` of them: December billed, January not
BILLED_MONTH = "2025-12"
BOYS = 40
AREAS = ["Indiranagar", "Koramangala", "Jayanagar", "Whitefield", "Malleshwaram", "HSR Layout"]
MODES = ["daily"] * 8 + ["alternate", "weekly"]
WEEKLY_DAYS = (0, 2, 4)


def _day(n):
    return (FIRST_DAY + timedelta(days=n)).isoformat()


def _due(mode, offset):
    return (mode == "daily" or (mode == "alternate" and offset % 2 == 0)
            or (mode == "weekly" and (FIRST_DAY + timedelta(days=offset)).weekday() in WEEKLY_DAYS))


def make_legacy(source, *, customers=10_000, days=35):
    """Fill the emptied `source` with a legacy business of `customers` people (one subscription each, a delivery
    status per due day, an old one-time order for some); returns {collection: documents}."""
    created = datetime(2025, 6, 1, tzinfo=timezone.utc)
    products = [{"id": f"p-{n}", "name": name, "unit": unit,
                 ("price" if n % 2 else "default_price"): price / 100}    # both spellings, float rupees
                for n, (name, unit, price) in enumerate(PRODUCTS, start=1)]
    prices = {p["id"]: p.get("price", p.get("default_price")) for p in products}
    boys = [{"id": f"b-{n}", "name": f"Boy {n}", "phone": f"70000{n:05d}", "area": AREAS[n % len(AREAS)]}
            for n in range(BOYS)]
    users = [{"id": "u-admin", "email": "owner@legacy.test", "name": "Owner", "role": "admin",
              "password_hash": "md5$legacy", "created_at": created},
             {"id": "u-mkt", "email": "sales@legacy.test", "name": "Sales", "role": "marketing_staff",
              "password_hash": "md5$legacy", "created_at": created}]
    # half the boys again in the old generation, to merge by phone (typed with +91)
    users += [{"id": f"u-boy-{n}", "email": f"boy{n}@legacy.test", "name": f"Boy {n}", "role": "Delivery_Boy",
               "phone": f"+91 70000{n:05d}", "password_hash": "md5$legacy", "created_at": created}
              for n in range(0, BOYS, 2)]
    people, subscriptions, addresses, orders, statuses = [], [], [], [], []
    for n in range(customers):
        phone = f"9{n:09d}"
        person = {"id": f"c-{n}", "name": f"Customer {n}", "phone": phone, "address": f"{n} Main Road",
                  "area": AREAS[n % len(AREAS)], "status": ["active", "Active", "trial"][n % 3],
                  "delivery_boy_id": f"b-{n % BOYS}", "custom_product_prices": {"p-1": 26.0} if n % 10 == 0 else {}}
        login = {"id": f"u-{n}", "email": f"c{n}@legacy.test", "name": f"Customer {n}", "role": "customer",
                 "password_hash": "md5$legacy", "created_at": created}
        if n % 4 == 0:                      # linked both ways
            person["user_id"], login["customer_v2_id"] = login["id"], person["id"]
        elif n % 4 == 1:                    # the same person, found only by phone
            login["phone"] = "0" + phone
        elif n % 4 == 2:                    # a customer without a login
            login = None
        else:                               # found only by email
            person["email"] = login["email"].upper()
        if n % 50 == 49:                    # a login whose customer record never came; address in `addresses`
            users.append({**login, "phone": f"8{n:09d}"})
            addresses.append({"id": f"a-{n}", "user_id": login["id"], "address_line": f"{n} Old Street",
                              "city": "Bengaluru", "pincode": "560001"})
            continue
        if login:
            users.append(login)
        people.append(person)
        mode, product_id, qty = MODES[n % len(MODES)], f"p-{1 + n % 4}", 1 + n % 2
        sub = {"id": f"s-{n}", "mode": mode, "status": "ACTIVE" if n % 7 else "active",
               "start_date": FIRST_DAY.isoformat(), "created_at": created,
               **({"customer_id": person["id"], "product_id": product_id, "quantity": qty} if n % 2
                  else {"customerId": person["id"], "productId": product_id, "qty": qty})}
        if mode == "weekly":
            sub["weekdays"] = list(WEEKLY_DAYS)
        subscriptions.append(sub)
        for offset in range(days):
            if not _due(mode, offset):
                continue
            record = {"customer_id": person["id"], "delivery_date": _day(offset),
                      "status": ["delivered", "Delivered", "DELIVERED"][offset % 3] if (n + offset) % 97
                      else "not_delivered", "delivered_at": created + timedelta(days=200 + offset)}
            if offset % 5:                  # absent: confirmed through a public link
                record["delivery_boy_id"] = person["delivery_boy_id"]
            if offset % 3 == 0:
                record["subscription_id"] = sub["id"]
            if (n + offset) % 211 == 0:     # a partial delivery recording more than was due
                record.update(delivery_type="partial", delivered_products=[{"product_id": product_id, "quantity": 5}])
            statuses.append(record)
        free = [offset for offset in range(15, days) if not _due(mode, offset)]   # January days with no status
        if login and free:                  # an old one-time order on such a day
            product_id, qty = f"p-{5 + n % 8}", 1 + n % 2
            price = prices[product_id] - (0.00001 if n % 7 == 0 else 0)           # 49.99999-style rupees
            order = {"id": f"o-{n}", "user_id": login["id"], "order_type": "one_time",
                     "items": [{"product_id": product_id, "quantity": qty, "price": price, "total": price * qty}],
                     ("total_amount" if n % 2 else "total"): price * qty, "delivery_date": _day(free[n % len(free)]),
                     "status": ["pending", "Delivered", "DELIVERED", "cancelled", "out_for_delivery", "pending"][n % 6],
                     "created_at": created}
            orders.append(order)
            if order["status"] == "pending" and n % 4 == 0:   # delivered, said only by delivery_statuses
                statuses.append({"customer_id": person["id"], "delivery_date": order["delivery_date"],
                                 "status": "delivered", "delivered_at": created, "delivery_type": "full",
                                 **({"order_id": order["id"]} if n % 8 else {})})
    statuses += [{"customer_id": f"c-ghost-{n}", "delivery_date": _day(n % days), "status": "Delivered",
                  "delivered_at": created} for n in range(50)]                      # orphans: nobody to match
    december = sum(1 for offset in range(days) if _day(offset) < "2026-01-01")
    billing = []
    for sub in subscriptions:               # December was billed by the old system (subscriptions only)
        qty, product_id = sub.get("quantity", sub.get("qty")), sub.get("product_id", sub.get("productId"))
        amount = round(december * qty * prices[product_id], 2)
        billing.append({"customer_id": sub.get("customer_id", sub.get("customerId")), "month": BILLED_MONTH,
                        "items": [{"product_id": product_id, "quantity": december * qty, "amount": amount}],
                        "total_amount": amount})
    made = {"products": products, "delivery_boys_v2": boys, "users": users, "addresses": addresses,
            "customers_v2": people, "subscriptions_v2": subscriptions, "orders": orders,
            "delivery_statuses": statuses, "billing_records": billing}
    for name, docs in made.items():
        for start in range(0, len(docs), BATCH):
            source[name].insert_many(docs[start:start + BATCH], ordered=False)
    return {name: len(docs) for name, docs in made.items()}


def fresh(db):
    for name in db.list_collection_names():
        db.drop_collection(name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=35)
    args = parser.parse_args()
    with bench_app() as app:
        db, legacy = get_db(), get_client()[LEGACY_DB]
        fresh(db)
        migrate.upgrade(db)
        fresh(legacy)
        started = time.perf_counter()
        made = make_legacy(legacy, customers=args.customers, days=args.days)
        print(f"legacy database generated in {time.perf_counter() - started:.1f} s: "
              + ", ".join(f"{count:,} {name}" for name, count in made.items()))

        before = {name: db[name].estimated_document_count() for name in db.list_collection_names()}
        # inside counted() get_client() is the listening client: legacy reads and app writes both count
        report, seconds, commands = counted(app, lambda: run.import_legacy(get_client()[LEGACY_DB]))
        written = {name: db[name].estimated_document_count() - before.get(name, 0)
                   for name in sorted(db.list_collection_names())}
        print(f"import: {seconds:.1f} s, {len(commands):,} database round trips "
              f"({', '.join(f'{n:,} {name}' for name, n in Counter(commands).most_common())})")
        print(f"documents written (created): {sum(written.values()):,} ("
              + ", ".join(f"{n:,} {name}" for name, n in written.items() if n) + ")")

        totals = {kind: sum(counts[kind] for counts in report["collections"].values()) for kind in COUNT_KINDS}
        print("report: legacy records " + ", ".join(f"{n:,} {kind}" for kind, n in totals.items())
              + f"; {report['unmatched_deliveries']:,} unmatched deliveries, {len(report['rounding']):,} amounts "
              f"rounded, {sum(not check['ok'] for check in report['checks'])} failed checks, "
              f"{report['unaccounted']} unaccounted; recovered (delivered, never billed) "
              f"{report['recovered_paise'] / 100:,.2f} rupees; {'OK' if report['ok'] else 'NOT OK'}")


if __name__ == "__main__":
    main()
