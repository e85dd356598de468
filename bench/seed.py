"""Bench data: a business of 10,000 customers and 12,000 active subscriptions, bulk-inserted.

Documents have the shapes of docs/DATA_MODEL.md but are written with insert_many straight
into a separate database (`earlybird_bench`), not through the services: the point is the size.
Reusable: `bench_app()` gives an app on a fresh embedded server (or on MONGO_URI when set),
`seed(db)` fills it and returns what it made (delivery boys, products, the bench day …).

    python bench/seed.py            # seed and print the counts
"""
import contextlib
import os
import shutil
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pymongo import MongoClient, monitoring  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from webapp import create_app, migrate  # noqa: E402
from webapp.db import get_db, start_server_process  # noqa: E402

BENCH_DB = "earlybird_bench"
BENCH_DAY = date(2026, 3, 10)        # the delivery day the benches look at
START_DAY = BENCH_DAY - timedelta(days=60)
BIG_ROUND = 300                      # stops of the first delivery boy
OTHER_ROUNDS = 250                   # stops of every other delivery boy
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
def bench_app():
    """An app on the bench database: MONGO_URI when set, else a fresh embedded server in a temp dir."""
    uri = os.environ.get("MONGO_URI")
    process = workdir = None
    if not uri:
        workdir = Path(tempfile.mkdtemp(prefix="earlybird-bench-"))
        port = free_port()
        process = start_server_process(workdir / "data", port, log_path=workdir / "server.log")
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


def seed(db, *, customers=10_000, subscriptions=12_000, one_time=400, day=BENCH_DAY):
    """Empty the bench database and fill it; returns {"boys", "big_boy_id", "products", "day", ...}.

    `day` is the delivery day of the one-time orders (bench_rush passes the real business date);
    delivery boys sign in with BENCH_PASSWORD (email boyN@bench.test).
    """
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

    boy_count = 1 + -(-(customers - BIG_ROUND) // OTHER_ROUNDS)
    boys = [{"_id": boy_id, "email": f"boy{n}@bench.test", "name": f"Delivery boy {n}", "phone": f"7{n:09d}",
             "role": "delivery_boy", "password_hash": BENCH_PASSWORD_HASH, "active": True, "customer_id": None,
             "session_epoch": 0, "created_at": now, "created_by": "bench"}
            for n, boy_id in enumerate(_ids("US", stamp, boy_count), start=1)]
    db.users.insert_many(boys)

    customer_docs = []
    for n, customer_id in enumerate(_ids("CU", stamp, customers)):
        boy_index = 0 if n < BIG_ROUND else 1 + (n - BIG_ROUND) // OTHER_ROUNDS
        stop = n + 1 if n < BIG_ROUND else (n - BIG_ROUND) % OTHER_ROUNDS + 1
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
    for n, order_id in enumerate(_ids("SU", stamp, subscriptions)):
        customer = customer_docs[n % customers]
        first, second = products[n % 4], products[4 + n % 8]
        items = [{"product_id": first["_id"], "qty": 1 + n % 2, "unit_price_paise": first["price_paise"]}]
        if n % 3 == 0:
            items.append({"product_id": second["_id"], "qty": 1, "unit_price_paise": second["price_paise"]})
        orders.append({
            "_id": order_id, "kind": "SUBSCRIPTION", "customer_id": customer["_id"], "items": items,
            "source": "import", "status": "ACTIVE",
            # the big round is all daily, so that all its 300 stops are due on the bench day
            "pattern": PATTERNS[0] if n < BIG_ROUND else PATTERNS[n % len(PATTERNS)],
            "start_date": (START_DAY + timedelta(days=n % 5)).isoformat(), "end_date": None,
            "overrides": {}, "pauses": [], "skips": {}, "stopped_on": None,
            "created_at": now, "created_by": {"kind": "system", "id": "bench", "role": "system", "ip": None},
            "updated_at": now,
        })
    for n, order_id in enumerate(_ids("OR", day.strftime("%Y%m%d"), one_time)):
        product = products[(n * 5) % len(products)]
        orders.append({
            "_id": order_id, "kind": "ONE_TIME", "customer_id": customer_docs[(n * 37) % customers]["_id"],
            "items": [{"product_id": product["_id"], "qty": 1 + n % 3, "unit_price_paise": product["price_paise"]}],
            "source": "staff", "status": "PENDING", "delivery_date": day.isoformat(),
            "created_at": now, "created_by": {"kind": "system", "id": "bench", "role": "system", "ip": None},
            "updated_at": now,
        })
    _insert(db.orders, orders)
    return {"boys": boys, "big_boy_id": boys[0]["_id"], "products": products, "customers": customer_docs,
            "day": day, "start_day": START_DAY, "subscriptions": subscriptions, "one_time": one_time}


def _insert(collection, docs):
    for start in range(0, len(docs), BATCH):
        collection.insert_many(docs[start:start + BATCH], ordered=False)


def main():
    with bench_app():
        started = time.perf_counter()
        made = seed(get_db())
        elapsed = time.perf_counter() - started
        db = get_db()
        print(f"seeded {db.customers.count_documents({})} customers, "
              f"{db.orders.count_documents({'kind': 'SUBSCRIPTION', 'status': 'ACTIVE'})} active subscriptions, "
              f"{db.orders.count_documents({'kind': 'ONE_TIME'})} one-time orders for {made['day']}, "
              f"{len(made['boys'])} delivery boys in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
