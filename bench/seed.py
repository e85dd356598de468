"""Bench data: a business of N customers (1.2 subscriptions each), bulk-inserted, the same for the same seed.

Documents have the shapes of docs/DATA_MODEL.md but are written with insert_many straight
into a separate database (`earlybird_bench`), not through the services: the point is the size.
Delivery boys have 150 to 300 stops (the first exactly BIG_ROUND, all due on the bench day); subscriptions
are daily, alternate or weekly, some with per-date overrides and pauses; one-time orders on the bench day;
`seed_month` adds a month of confirmed deliveries (some partial, some not delivered) with the customers'
billing guards, as the confirmation path leaves them.
Reusable: `bench_app()` gives an app on a fresh embedded server (or on MONGO_URI when set),
`seed(db)` fills it and returns what it made (delivery boys, products, the bench day …).

    python bench/seed.py [--customers N --seed S]     # seed and print the counts
"""
import argparse
import contextlib
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pymongo import MongoClient, monitoring  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from webapp import clock, create_app, migrate  # noqa: E402
from webapp.db import get_db, start_server_process  # noqa: E402
from webapp.services import Actor, schedule, tallies  # noqa: E402

BENCH_DB = "earlybird_bench"
BENCH_DAY = date(2026, 3, 10)        # the delivery day the benches look at
START_DAY = BENCH_DAY - timedelta(days=60)
BILLED_MONTH = "2026-02"             # the month seed_month delivers (closed on the bench day)
BIG_ROUND = 300                      # stops of the first delivery boy
ROUND_SIZES = (150, 300)             # stops of every other delivery boy, at random in this range
AREAS = ["Indiranagar", "Koramangala", "Jayanagar", "Whitefield", "Malleshwaram", "HSR Layout", "BTM Layout",
         "Hebbal"]
PRODUCTS = [("Toned milk", "500 ml packet", 2700), ("Full cream milk", "500 ml packet", 3300),
            ("Curd", "400 g cup", 4500), ("Paneer", "200 g", 9000), ("Buttermilk", "200 ml", 1500),
            ("Ghee", "200 ml jar", 15000), ("Bread", "400 g loaf", 4500), ("Eggs", "6 pack", 4800),
            ("Butter", "100 g", 5600), ("Lassi", "200 ml", 2500), ("Cheese slices", "10 pack", 14000),
            ("Cow milk", "1 l packet", 6400)]
PATTERNS = [{"kind": "daily", "weekdays": [], "dates": []}, {"kind": "daily", "weekdays": [], "dates": []},
            {"kind": "alternate", "weekdays": [], "dates": []}, {"kind": "weekly", "weekdays": [0, 2, 4], "dates": []}]
BATCH = 2000
BENCH_PASSWORD = "bench-password"
# Every seeded login signs in with BENCH_PASSWORD; few iterations, so that signing in is not what a bench times.
BENCH_PASSWORD_HASH = generate_password_hash(BENCH_PASSWORD, method="pbkdf2:sha256:1000")


HANDSHAKE_COMMANDS = {"hello", "isMaster", "ismaster", "ping", "endSessions"}


class CommandCounter(monitoring.CommandListener):
    """The names of the database commands sent (handshakes left out)."""

    def __init__(self):
        self.names = []

    def started(self, event):
        if event.command_name not in HANDSHAKE_COMMANDS:
            self.names.append(event.command_name)

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


def counted(app, work):
    """Run work() with the app on a listening client; returns (result, seconds, [command names])."""
    counter = CommandCounter()
    client = MongoClient(app.config["MONGO_URI"], event_listeners=[counter], tz_aware=True)
    original, app.extensions["mongo"] = app.extensions["mongo"], client
    try:
        started = time.perf_counter()
        result = work()
        seconds = time.perf_counter() - started
    finally:
        app.extensions["mongo"] = original
        client.close()
    return result, seconds, counter.names


def free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def bench_app(data_dir=None):
    """An app on the bench database: MONGO_URI when set, else an embedded server of its own: on a fresh temp dir,
    or on the storage directory `data_dir` (an earlier server's, stopped; left in place afterwards)."""
    uri = os.environ.get("MONGO_URI")
    process = workdir = None
    if not uri:
        workdir = Path(tempfile.mkdtemp(prefix="earlybird-bench-"))
        port = free_port()
        process = start_server_process(data_dir or workdir / "data", port, log_path=workdir / "server.log")
        uri = f"mongodb://127.0.0.1:{port}/?directConnection=true"
    app = create_app({"MONGO_URI": uri, "MONGO_DBNAME": BENCH_DB, "SECRET_KEY": "bench-" + "x" * 32})
    try:
        with app.app_context():
            yield app
    finally:
        app.extensions["mongo"].close()
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
            shutil.rmtree(workdir, ignore_errors=True)


def _ids(prefix, stamp, count):
    return [f"{prefix}-{stamp}-{n:05d}" for n in range(1, count + 1)]


def seed(db, *, customers=10_000, subscriptions=None, one_time=None, day=BENCH_DAY, seed=1):
    """Empty the bench database and fill it; returns {"boys", "big_boy_id", "products", "day", ...}.

    `subscriptions` defaults to 1.2 per customer and `one_time` to one per 25 customers; `day` is the delivery
    day of the one-time orders (bench_rush passes the real business date); delivery boys sign in with
    BENCH_PASSWORD (email boyN@bench.test). The same `seed` makes the same business.
    """
    rng = random.Random(seed)
    subscriptions = customers * 6 // 5 if subscriptions is None else subscriptions
    one_time = customers // 25 if one_time is None else one_time
    for name in db.list_collection_names():
        if name != "migrations":
            db[name].delete_many({})
    migrate.upgrade(db)
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    stamp = START_DAY.strftime("%Y%m%d")

    products = [{"_id": f"PR-{n:04d}", "name": name, "name_key": name.casefold(), "unit": unit,
                 "price_paise": price, "status": "active", "created_at": now, "updated_at": now}
                for n, (name, unit, price) in enumerate(PRODUCTS, start=1)]
    db.products.insert_many(products)

    sizes = [min(BIG_ROUND, customers)]
    while sum(sizes) < customers:
        sizes.append(min(rng.randint(*ROUND_SIZES), customers - sum(sizes)))
    boys = [{"_id": boy_id, "email": f"boy{n}@bench.test", "name": f"Delivery boy {n}", "phone": f"7{n:09d}",
             "role": "delivery_boy", "password_hash": BENCH_PASSWORD_HASH, "active": True, "customer_id": None,
             "session_epoch": 0, "created_at": now, "created_by": "bench"}
            for n, boy_id in enumerate(_ids("US", stamp, len(sizes)), start=1)]
    db.users.insert_many(boys)
    route = [(boy_index, stop) for boy_index, size in enumerate(sizes) for stop in range(1, size + 1)]

    customer_docs = []
    for n, customer_id in enumerate(_ids("CU", stamp, customers)):
        boy_index, stop = route[n]
        name = f"Customer {n + 1}"
        customer_docs.append({
            "_id": customer_id, "name": name, "name_key": name.casefold(), "phone": f"9{n:09d}", "email": None,
            "address": f"{n + 1} {AREAS[boy_index % len(AREAS)]} Main Road", "area": AREAS[boy_index % len(AREAS)],
            "delivery_boy_id": boys[boy_index]["_id"], "stop": stop, "status": "active",
            "custom_prices": {products[0]["_id"]: 2600} if n % 10 == 0 else {}, "user_id": None,
            "created_at": now, "updated_at": now,
        })
    _insert(db.customers, customer_docs)

    orders = []
    month_days = [START_DAY + timedelta(days=n) for n in range(90)]
    for n, order_id in enumerate(_ids("SU", stamp, subscriptions)):
        customer = customer_docs[n % customers]
        first, second = products[n % 4], products[4 + n % 8]
        items = [{"product_id": first["_id"], "qty": 1 + n % 2, "unit_price_paise": first["price_paise"]}]
        if n % 3 == 0:
            items.append({"product_id": second["_id"], "qty": 1, "unit_price_paise": second["price_paise"]})
        big = n < min(BIG_ROUND, customers)  # the big round is all daily, unpaused: all its stops are due on the day
        overrides, pauses = {}, []
        if not big and rng.random() < 0.2:  # a few days with one more (or none) of the first product
            for extra_day in rng.sample(month_days, 3):
                overrides[extra_day.isoformat()] = {first["_id"]: rng.choice([0, 2, 3])}
        if not big and rng.random() < 0.08:  # away for a few days
            first_day = rng.choice(month_days)
            pauses.append({"pause_id": f"PS-{n:06d}", "first_day": first_day.isoformat(),
                           "last_day": (first_day + timedelta(days=rng.randint(2, 7))).isoformat(),
                           "reason": "away"})
        orders.append({
            "_id": order_id, "kind": "SUBSCRIPTION", "customer_id": customer["_id"],
            "delivery_boy_id": customer["delivery_boy_id"], "items": items,
            "source": "import", "status": "ACTIVE",
            "pattern": PATTERNS[0] if big else rng.choice(PATTERNS),
            "start_date": (START_DAY + timedelta(days=n % 5)).isoformat(), "end_date": None,
            "overrides": overrides, "pauses": pauses, "skips": {}, "holds": [], "stopped_on": None,
            "created_at": now, "created_by": {"kind": "system", "id": "bench", "role": "system", "ip": None},
            "updated_at": now,
        })
    for n, order_id in enumerate(_ids("OR", day.strftime("%Y%m%d"), one_time)):
        product = products[(n * 5) % len(products)]
        customer = customer_docs[(n * 37) % customers]
        orders.append({
            "_id": order_id, "kind": "ONE_TIME", "customer_id": customer["_id"],
            "delivery_boy_id": customer["delivery_boy_id"],
            "items": [{"product_id": product["_id"], "qty": 1 + n % 3, "unit_price_paise": product["price_paise"]}],
            "source": "staff", "status": "PENDING", "delivery_date": day.isoformat(), "holds": [],
            "created_at": now, "created_by": {"kind": "system", "id": "bench", "role": "system", "ip": None},
            "updated_at": now,
        })
    _insert(db.orders, orders)
    tallies.rebuild(actor=Actor.system("bench"))  # the documents went in straight, past the writes that keep them
    return {"boys": boys, "big_boy_id": boys[0]["_id"], "products": products, "customers": customer_docs,
            "day": day, "start_day": START_DAY, "subscriptions": subscriptions, "one_time": one_time}


def seed_month(db, made, month=BILLED_MONTH):
    """One confirmed delivery per due (subscription, day) of `month` (what `schedule.quantity_on` says is due):
    1 in 40 short, 1 in 60 not delivered; and each customer's billing guard counting his delivery writes, as
    confirmation leaves it. Returns the number of deliveries."""
    customers = {c["_id"]: c for c in made["customers"]}
    products = {p["_id"]: p for p in made["products"]}
    confirmed = datetime.combine(clock.month_days(month)[-1], datetime.min.time(), tzinfo=timezone.utc)
    actor = {"kind": "system", "id": "bench", "role": "system", "ip": None}
    writes = {}
    batch, count = [], 0
    for order in db.orders.find({"kind": "SUBSCRIPTION"}).sort("_id", 1):
        customer = customers[order["customer_id"]]
        for day in clock.month_days(month):
            due = schedule.quantity_on(order, day)
            if not due:
                continue
            count += 1
            lines = []
            for product_id, qty in sorted(due.items()):
                delivered = 0 if count % 60 == 0 else (qty - 1 if count % 40 == 0 else qty)
                price = customer["custom_prices"].get(product_id) or products[product_id]["price_paise"]
                lines.append({"product_id": product_id, "ordered_qty": qty, "delivered_qty": delivered,
                              "unit_price_paise": price, "amount_paise": price * delivered})
            amount = sum(line["amount_paise"] for line in lines)
            status = ("NOT_DELIVERED" if amount == 0 else
                      "DELIVERED" if all(line["delivered_qty"] == line["ordered_qty"] for line in lines)
                      else "PARTIALLY_DELIVERED")
            batch.append({
                "_id": f"DL-{day:%Y%m%d}-{count:06d}", "order_id": order["_id"], "order_kind": "SUBSCRIPTION",
                "customer_id": customer["_id"], "delivery_boy_id": customer["delivery_boy_id"],
                "date": day.isoformat(), "month": month, "status": status,
                "reason": "door_locked" if amount == 0 else None, "lines": lines, "amount_paise": amount,
                "via": "delivery_boy", "confirmed_by": actor, "confirmed_at": confirmed, "ip": None,
                "created_at": confirmed, "updated_at": confirmed, "revisions": 0,
            })
            writes[customer["_id"]] = writes.get(customer["_id"], 0) + 1
            if len(batch) == BATCH:
                db.deliveries.insert_many(batch, ordered=False)
                batch = []
    if batch:
        db.deliveries.insert_many(batch, ordered=False)
    _insert(db.billing_guards, [{"_id": f"{customer_id}:{month}", "customer_id": customer_id, "month": month,
                                 "writes": n} for customer_id, n in writes.items()])
    return count


def _insert(collection, docs):
    for start in range(0, len(docs), BATCH):
        collection.insert_many(docs[start:start + BATCH], ordered=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with bench_app():
        started = time.perf_counter()
        db = get_db()
        made = seed(db, customers=args.customers, seed=args.seed)
        delivered = seed_month(db, made)
        elapsed = time.perf_counter() - started
        print(f"seeded {len(made['customers'])} customers, {made['subscriptions']} subscriptions, "
              f"{made['one_time']} one-time orders for {made['day']}, {len(made['boys'])} delivery boys, "
              f"{delivered} deliveries in {BILLED_MONTH} in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
