"""The bench table (issue 17): each operation at N = 1,000 and N = 10,000 customers, its wall time and database
round trips, the naive baseline beside it (the same result the way the old system got it: a query per customer),
and the ratio 10k / 1k.

The work is split into tasks, each in a fresh process on an embedded server of its own: per size, the business
seeded once by bench/seed.py (the same business for the same --seed), its server then stopped and its storage
directory kept; the pages with the confirmations, and billing, each on a server started on a copy of that directory;
and apart, the legacy import into an empty database. --jobs tasks run at a time (default 2, one per core: the server
of a task keeps one busy), the largest business first and its seeding before anything else. With MONGO_URI set
there is one database: one task per size seeds and measures, one task at a time.
Measured in the same task: the honest billing floor right after the run (one raw read pass over the month's
deliveries plus one unordered bulk insert of the same bill documents; its read pass is also the reconciliation's
floor), the round's floor (one indexed find of the boy's customers), the peak resident memory of the billing run and
of the CSV exports. The baselines that go customer by customer (overview, demand, billing, reconciliation) are timed over
NAIVE_SAMPLE customers spread over all and scaled to N. With --before REV the re-run, the reconciliation and the
round are also measured with the service modules as they were at git revision REV.

    PYTHONPATH=. python bench/run.py [--sizes 1000 10000] [--seed 1] [--jobs 2] [--before HEAD] [--parts ...]
"""
import argparse
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import types
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from datetime import datetime, timedelta
from pathlib import Path

from pymongo import IndexModel

from bench_import import LEGACY_DB, fresh, make_legacy
from seed import BILLED_MONTH, bench_app, counted, seed, seed_month
from webapp import clock, migrate
from webapp.db import get_client, get_db
from webapp.legacy import run as legacy
from webapp.services import Actor, bill_builder, bill_queries, billing, calendar, dashboard, deliveries, demand, \
    orders, reconciliation, rounds, schedule, uow

ROOT = Path(__file__).resolve().parent.parent
CONFIRM_STOPS = 1000
RUNS = 5  # a sub-second page's time is the median of this many calls, after one warm-up
SLOW = 1.0  # seconds: a call slower than this is timed once (after its warm-up), not RUNS times
NAIVE_SAMPLE = 500  # customers the customer-by-customer baselines are timed over, then scaled to N
# Days of delivery records in the old database the import reads, from 17 December (December billed by the old
# system, January not): three weeks, about 18.6 records a customer (186,200 at 10,000 customers). Five weeks (310,000)
# made the 10,000 import alone about 10 minutes of CPU, more than `make bench` may take on two cores beside the rest.
IMPORT_DAYS = 21
ROUND_TARGET, FLOOR_TARGET, RERUN_TARGET, RECONCILE_TARGET, GROWTH_TARGET = 5, 1.5, 0.1, 1.5, 12


# ---------------------------------------------------------------- measuring

class PeakMemory:
    """The peak resident memory of this process while the block runs, above what it held before (sampled)."""

    def __init__(self, every=0.02):
        self.every, self.peak, self.base = every, 0, 0
        self._stop = threading.Event()

    @staticmethod
    def resident():
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * 4096

    def _sample(self):
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, self.resident())

    def __enter__(self):
        self.base = self.peak = self.resident()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.resident())

    @property
    def megabytes(self):
        return (self.peak - self.base) / 2 ** 20


def once(app, work):
    """(result, seconds, round trips) of one call."""
    result, seconds, names = counted(app, work)
    return result, seconds, len(names)


def page(app, work, runs=RUNS):
    """(seconds, round trips of one call) after a warm-up: the median of `runs` calls, or the first call alone when
    it took over SLOW seconds."""
    work()
    times = []
    while len(times) < runs and (not times or times[0] <= SLOW):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    _, _, trips = once(app, work)
    return statistics.median(times), trips


def module_at(revision, name):
    """The service module `name` as it was at git `revision` (for before/after figures)."""
    path = f"webapp/services/{name}.py"
    source = subprocess.run(["git", "show", f"{revision}:{path}"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout
    module = types.ModuleType(f"before_{name}")
    module.__file__ = str(ROOT / path)
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


# ---------------------------------------------------------------- the naive baselines (a query per customer)

def naive_sample(customers):
    """The ids of NAIVE_SAMPLE customers spread evenly over all of them (every k-th in _id order): the baselines
    that go customer by customer are timed over these and extrapolated to all."""
    ids = sorted(customer["_id"] for customer in customers)
    return ids[::max(1, len(ids) // NAIVE_SAMPLE)][:NAIVE_SAMPLE]


def extrapolated(app, work, sample, n):
    """{"naive": seconds, "naive_trips": round trips} of work() over `sample` customers, scaled to `n`."""
    _, seconds, trips = once(app, work)
    scale = n / len(sample)
    return {"naive": seconds * scale, "naive_trips": round(trips * scale), "naive_sample": len(sample)}


def naive_round(db, boy_id, day):
    """The round the old way: the boy's customers, then each one's orders and that day's deliveries."""
    stops = []
    for customer in db.customers.find({"delivery_boy_id": boy_id}).sort("stop", 1):
        due = schedule.due_on(list(db.orders.find({"customer_id": customer["_id"]})), day)
        done = list(db.deliveries.find({"customer_id": customer["_id"], "date": day.isoformat()}))
        if due:
            stops.append((customer, due, done))
    return stops


def naive_overview(db, day, sample):
    """Every round's progress the old way: each customer's orders and deliveries, one customer at a time."""
    progress = {}
    for customer in db.customers.find({"_id": {"$in": sample}}, {"delivery_boy_id": 1}):
        due = schedule.due_on(list(db.orders.find({"customer_id": customer["_id"]})), day)
        done = db.deliveries.count_documents({"customer_id": customer["_id"], "date": day.isoformat()})
        if due:
            boy = progress.setdefault(customer["delivery_boy_id"], [0, 0])
            boy[0] += 1
            boy[1] += done >= len(due)
    return progress


def naive_demand(db, day, sample):
    """The day's demand the old way: each customer's orders, one customer at a time."""
    totals = {}
    for customer in db.customers.find({"_id": {"$in": sample}}, {"_id": 1}):
        for _, quantities in schedule.due_on(list(db.orders.find({"customer_id": customer["_id"]})), day):
            for product_id, qty in quantities.items():
                totals[product_id] = totals.get(product_id, 0) + qty
    return totals


def naive_calendar(db, customer_id, month):
    """A customer's month the old way: his orders and deliveries asked again for each day."""
    days = []
    for day in clock.month_days(month):
        due = schedule.due_on(list(db.orders.find({"customer_id": customer_id})), day)
        done = list(db.deliveries.find({"customer_id": customer_id, "date": day.isoformat()}))
        days.append((day, due, done))
    return days


def naive_billing(db, month, sample, scratch):
    """The month's bills the old way: each customer's deliveries read alone, each bill inserted alone."""
    due_date = bill_builder.due_date_for(month, clock.today(), billing.DEFAULT_DUE_DAY)
    bills = 0
    for customer in db.customers.find({"_id": {"$in": sample}}, {"_id": 1}):
        delivered = [d for d in db.deliveries.find({"month": month, "customer_id": customer["_id"]},
                                                   bill_builder.DELIVERY_FIELDS) if d["amount_paise"] > 0]
        if delivered:
            bills += 1
            bill = bill_builder.assemble_bill(customer["_id"], month, "regular", delivered, issued_at=clock.now(),
                                              due_date=due_date)
            scratch.insert_one(dict(bill, _id=f"BI-NAIVE-{bills:06d}"))
    return bills


def naive_reconcile(db, month, sample):
    """Delivered vs billed the old way: each customer's deliveries and bills, one customer at a time."""
    delivered = billed = 0
    for customer in db.customers.find({"_id": {"$in": sample}}, {"_id": 1}):
        for delivery in db.deliveries.find({"month": month, "customer_id": customer["_id"]}, {"lines": 1}):
            delivered += sum(1 for line in delivery["lines"] if line["delivered_qty"] > 0)
        for bill in db.bills.find({"month": month, "customer_id": customer["_id"]}, {"lines.delivery_id": 1}):
            billed += len(bill.get("lines") or [])
    return delivered, billed


# ---------------------------------------------------------------- the floors

def read_pass(db, month):
    """One raw read pass over the month's deliveries (the billing run's read)."""
    return list(db.deliveries.find({"month": month}, bill_builder.DELIVERY_FIELDS, batch_size=5000)
                .sort("customer_id", 1))


def bulk_insert_bills(db, month, deliveries):
    """The same bill documents the run issues, built from `deliveries`, in one unordered bulk insert into a
    scratch collection (`bills_floor`) with every index the bills collection has (as the migrations left it);
    returns (seconds of the insert, bills)."""
    scratch = db.bills_floor
    scratch.drop()
    scratch.create_indexes([IndexModel(list(index["key"].items()), **{option: value for option, value in index.items()
                                                                      if option not in ("key", "v", "ns")})
                            for index in db.bills.list_indexes() if index["name"] != "_id_"])
    by_customer = {}
    for delivery in deliveries:
        if delivery["amount_paise"] > 0:
            by_customer.setdefault(delivery["customer_id"], []).append(delivery)
    due_date = bill_builder.due_date_for(month, clock.today(), billing.DEFAULT_DUE_DAY)
    bills = [dict(bill_builder.assemble_bill(customer_id, month, "regular", group, issued_at=clock.now(),
                                             due_date=due_date), _id=f"BI-FLOOR-{n:06d}")
             for n, (customer_id, group) in enumerate(by_customer.items(), start=1)]
    started = time.perf_counter()
    scratch.insert_many(bills, ordered=False)
    seconds = time.perf_counter() - started
    # Left in place: the floor's server is thrown away, and dropping a collection just written waits for the server's
    # checkpoint (13 s at 1,000 customers). With MONGO_URI, the next run drops it first.
    return seconds, len(bills)


# ---------------------------------------------------------------- one size

class Rows(dict):
    """The figures of one size, each printed as it is measured (a long run shows its progress)."""

    def __init__(self, n):
        super().__init__()
        self.n = n

    def __setitem__(self, key, figures):
        super().__setitem__(key, figures)
        shown = ", ".join(f"{name} {value:.3f}" if isinstance(value, float) else f"{name} {value}"
                          for name, value in figures.items())
        print(f"N = {self.n:,} {key}: {shown}", flush=True)


PARTS = ("pages", "confirm", "billing", "import")
# The seeded business's parts, in the tasks they are measured in: each task on a copy of the business seeded once.
# The billing floor in the billing task, measured right after the run on the same server: the same neighbours.
PART_GROUPS = (("billing", "floor"), ("pages", "confirm"))  # the longest first
# Up to REPEAT_UP_TO customers, where a billing task takes under a minute (at 10,000 it takes six), the billing task
# runs BILLING_REPEATS times, each on its own copy of the business, and each of its figures is the median over them:
# one call of a few seconds moves by a fifth with what the other core does.
BILLING_REPEATS = 3
REPEAT_UP_TO = 1_000


def seed_business(db, rows, n, seed_number):
    """Seed a business of `n` customers and its month of deliveries (row "seeding"); returns what seed() made."""
    started = time.perf_counter()
    made = seed(db, customers=n, seed=seed_number)
    delivered = seed_month(db, made)
    rows["seeding"] = {"seconds": time.perf_counter() - started,
                       "note": f"{n:,} customers, {made['subscriptions']:,} subscriptions, {len(made['boys'])} "
                               f"boys, {delivered:,} deliveries in {BILLED_MONTH}"}
    uow.plan_version()  # the day plan's version, as any business that has run has it: a warm-up then keeps its plan
    return made


def measure_seeded(app, db, rows, made, parts, before):
    """The `parts` of the table that read the seeded business `made`."""
    system = Actor.system("bench")
    day, big = made["day"], made["big_boy_id"]
    old = {name: module_at(before, name) for name in ("rounds", "reconciliation")} if before else {}
    sample = naive_sample(made["customers"])
    with clock.frozen(datetime.combine(day, datetime.min.time()).replace(hour=6)):
        stops = rounds.round_view(big, day, actor=system)["stops"]
    if "pages" in parts:
        measure_pages(app, db, rows, big, day, stops, system, old, sample)
    if "confirm" in parts:
        measure_confirm(app, db, rows, day, system)
    if "billing" in parts:
        measure_billing(app, db, rows, day, system, old, sample, floor="floor" in parts)


# ---------------------------------------------------------------- tasks, each in a process and on a server of its own

def seed_task(n, seed_number, before, parts):
    """Seed a business of `n` on a fresh server and stop the server; (rows, what seed() made, its storage directory,
    from which each group of parts starts a server of its own on a copy)."""
    rows = Rows(n)
    data_dir = Path(tempfile.mkdtemp(prefix=f"earlybird-bench-{n}-")) / "data"
    with bench_app(data_dir):
        made = seed_business(get_db(), rows, n, seed_number)
    return dict(rows), made, data_dir


def parts_task(n, seed_number, before, parts, snapshot, made):
    """The `parts` on a server of their own, started on a copy of the seeded business `snapshot`."""
    rows = Rows(n)
    copy = Path(tempfile.mkdtemp(prefix=f"earlybird-bench-{n}-")) / "data"
    shutil.copytree(snapshot, copy)
    try:
        with bench_app(copy) as app:
            measure_seeded(app, get_db(), rows, made, parts, before)
    finally:
        shutil.rmtree(copy.parent, ignore_errors=True)
    return dict(rows), None, None


def business_task(n, seed_number, before, parts):
    """Seeding and the `parts` one after the other on one database (MONGO_URI: no storage directory to copy)."""
    rows = Rows(n)
    with bench_app() as app:
        db = get_db()
        measure_seeded(app, db, rows, seed_business(db, rows, n, seed_number), parts, before)
    return dict(rows), None, None


def import_task(n, seed_number, before, parts):
    """The legacy import of a dairy of `n` customers, into an empty database of a server of its own."""
    rows = Rows(n)
    with bench_app() as app:
        measure_import(app, get_db(), rows, n)
    return dict(rows), None, None


def measure_pages(app, db, rows, big, day, stops, system, old, sample):
    """The pages' data: the round (and its floor), the staff overview, demand, a calendar, the dashboard; the
    overview's and demand's naive baselines over `sample` customers, scaled to all."""
    with clock.frozen(datetime.combine(day, datetime.min.time()).replace(hour=6)):
        seconds, trips = page(app, lambda: rounds.round_view(big, day, actor=system))
        floor, _ = page(app, lambda: list(db.customers.find({"delivery_boy_id": big}).sort("stop", 1)))
        naive = once(app, lambda: naive_round(get_db(), big, day))
        rows["round"] = {"seconds": seconds, "trips": trips, "naive": naive[1], "naive_trips": naive[2],
                         "floor": floor, "note": f"{len(stops)} stops; floor = one indexed find of his customers"}
        if old:
            was, _ = page(app, lambda: old["rounds"].round_view(big, day, actor=system))
            rows["round"] = dict(rows["round"], before=was)

        seconds, trips = page(app, lambda: rounds.day_overview(day, actor=system))
        naive = extrapolated(app, lambda: naive_overview(get_db(), day, sample), sample, rows.n)
        rows["overview"] = {"seconds": seconds, "trips": trips, **naive}

        rows["overview_changed"] = overview_after_a_change(app, db, day, stops[0]["customer"]["_id"], system)

        seconds, trips = page(app, lambda: demand.for_day(day, actor=system))
        naive = extrapolated(app, lambda: naive_demand(get_db(), day, sample), sample, rows.n)
        rows["demand"] = {"seconds": seconds, "trips": trips, **naive}

        customer_id, month = stops[0]["customer"]["_id"], clock.month_of(day)
        seconds, trips = page(app, lambda: calendar.customer_calendar(customer_id, month, actor=system))
        naive = once(app, lambda: naive_calendar(get_db(), customer_id, month))
        rows["calendar"] = {"seconds": seconds, "trips": trips, "naive": naive[1], "naive_trips": naive[2]}

        seconds, trips = page(app, lambda: dashboard.staff_home(actor=system))
        rows["dashboard"] = {"seconds": seconds, "trips": trips, "note": "dashboard.staff_home"}


def overview_after_a_change(app, db, day, customer_id, system):
    """The staff day overview right after a customer's subscription changed (its quantity on a later day, through
    the service), which moves the plan version: the median of RUNS, each after its own change; the change untimed."""
    order = db.orders.find_one({"kind": "SUBSCRIPTION", "status": "ACTIVE", "customer_id": customer_id})
    later, product_id = day + timedelta(days=2), order["items"][0]["product_id"]
    times = []
    for qty in range(2, 3 + RUNS):
        orders.set_quantity(order["_id"], later, [{"product_id": product_id, "qty": qty}], actor=system)
        _, seconds, trips = once(app, lambda: rounds.day_overview(day, actor=system))
        times.append(seconds)
    return {"seconds": statistics.median(times[1:]), "trips": trips,
            "note": "after one customer's order changed: the kept plan brought up to date"}


def measure_confirm(app, db, rows, day, system):
    """Confirming CONFIRM_STOPS stops due on the bench day (or all there are), one tap each."""
    with clock.frozen(datetime.combine(day, datetime.min.time()).replace(hour=7)):
        doors = [c["_id"] for c in db.customers.find({}, {"_id": 1}).sort([("delivery_boy_id", 1), ("stop", 1)])]
        due_doors = {order["customer_id"] for order, _ in rounds.due_for(day, doors[:CONFIRM_STOPS * 2])}
        to_confirm = [c for c in doors if c in due_doors][:CONFIRM_STOPS]

        def confirm_all():
            for customer_id in to_confirm:
                deliveries.confirm_stop(customer_id, day, actor=system)

        _, seconds, trips = once(app, confirm_all)
        rows["confirm"] = {"seconds": seconds, "trips": trips,
                           "note": f"{len(to_confirm)} stops, {trips / max(len(to_confirm), 1):.1f} round trips each"}


def measure_floor(app, db, rows, day):
    """The billing floor, right after the run on the same server: one raw read pass over the month's deliveries (also
    the reconciliation's floor) and one unordered bulk insert of the bills the run issues, into a scratch collection
    (the run is measured first: the scratch bills are not in its way, and they are never dropped, see
    bulk_insert_bills)."""
    with clock.frozen(datetime.combine(day, datetime.min.time()).replace(hour=9)):
        read, read_seconds, _ = once(app, lambda: read_pass(db, BILLED_MONTH))
        insert_seconds, bills = bulk_insert_bills(db, BILLED_MONTH, read)
    rows["floor"] = {"read": read_seconds, "insert": insert_seconds,
                     "note": f"{len(read):,} deliveries read, {bills:,} bills inserted"}


def floor_ratio(rows):
    """The billing run's time over its floor's (read + bulk insert), from one billing task's rows."""
    return rows["billing"]["seconds"] / (rows["floor"]["read"] + rows["floor"]["insert"])


def median_billing(runs):
    """Several billing tasks' rows at one size as one: each figure the median over the tasks (a note as the first task
    has it, the billing row's naming every task's run / floor ratio)."""
    merged = {key: {field: statistics.median(rows[key][field] for rows in runs)
                    if isinstance(value, (int, float)) and not isinstance(value, bool) else value
                    for field, value in row.items()}
              for key, row in runs[0].items()}
    if len(runs) > 1:
        ratios = ", ".join(f"{floor_ratio(rows):.2f}" for rows in sorted(runs, key=floor_ratio))
        merged["billing"]["note"] = (f"{merged['billing']['note']}; each figure the median of {len(runs)} billing "
                                     f"tasks (run / floor in each: {ratios})")
    return merged


def with_floors(rows):
    """The floor's figures joined to the rows they are the floor of: billing (read + bulk insert) and reconciliation
    (the read)."""
    floor = rows.get("floor")
    if floor is None or "billing" not in rows:
        return rows
    rows["billing"] = dict(rows["billing"], floor=floor["read"] + floor["insert"],
                           note=f"{rows['billing']['note']}; floor = read {floor['read']:.1f} s + bulk insert "
                                f"{floor['insert']:.1f} s")
    rows["reconcile"] = dict(rows["reconcile"], floor=floor["read"],
                             note=f"{rows['reconcile']['note']}; floor = one raw read of the month's deliveries")
    return rows


def measure_billing(app, db, rows, day, system, old, sample, floor):
    """The month's run (with `floor`, its floor right after it: measure_floor, joined by with_floors) and its naive
    baseline; the re-run; reconciliation; the exports. The naive baselines go over `sample` customers, scaled to
    all."""
    month = BILLED_MONTH
    with clock.frozen(datetime.combine(day, datetime.min.time()).replace(hour=9)):
        with PeakMemory() as memory:
            summary, seconds, trips = once(app, lambda: billing.run_month(month, actor=system))
        if floor:
            measure_floor(app, db, rows, day)
        db.bills_naive.drop()  # left in place after: as bills_floor (bulk_insert_bills)
        naive = extrapolated(app, lambda: naive_billing(get_db(), month, sample, db.bills_naive), sample, rows.n)
        rows["billing"] = {"seconds": seconds, "trips": trips, **naive, "memory": memory.megabytes,
                           "note": f"{summary['bills_issued']:,} bills, {summary['lines']:,} lines"}
        again, seconds, trips = once(app, lambda: billing.run_month(month, actor=system))
        assert again["bills_issued"] == 0
        rows["rerun"] = {"seconds": seconds, "trips": trips, "first": rows["billing"]["seconds"],
                         "note": f"{again['already_billed']:,} deliveries already billed"}
        if old:  # the run as it was: no mark, so it reads the whole month again
            db.billing_marks.delete_many({"_id": month})
            _, was, _ = once(app, lambda: billing.run_month(month, actor=system))
            rows["rerun"] = dict(rows["rerun"], before=was)
        report, seconds, trips = once(app, lambda: reconciliation.reconcile(month))
        assert report["ok"], "the bench month does not reconcile"
        naive = extrapolated(app, lambda: naive_reconcile(get_db(), month, sample), sample, rows.n)
        rows["reconcile"] = {"seconds": seconds, "trips": trips, **naive,
                             "note": f"{report['delivered_lines']:,} lines"}
        if old:
            _, was, _ = once(app, lambda: old["reconciliation"].reconcile(month))
            rows["reconcile"] = dict(rows["reconcile"], before=was)

        def export():
            size = 0
            for chunk in bill_queries.bills_csv(month, actor=system):
                size += len(chunk)
            for chunk in bill_queries.lines_csv(month, actor=system):
                size += len(chunk)
            return size

        with PeakMemory() as memory:
            size, seconds, trips = once(app, export)
        rows["exports"] = {"seconds": seconds, "trips": trips, "memory": memory.megabytes,
                           "note": f"bills and lines CSV, {size / 2 ** 20:.1f} MB"}

        # The owner's page again, now that the month's bills exist: its money figures read bills and payments.
        seconds, trips = page(app, lambda: dashboard.staff_home(actor=system))
        rows["dashboard_billed"] = {"seconds": seconds, "trips": trips,
                                    "note": f"dashboard.staff_home with {summary['bills_issued']:,} bills issued"}


def measure_import(app, db, rows, n):
    """The legacy import of a dairy of `n` customers into the emptied bench database."""
    fresh(db)
    migrate.upgrade(db)
    source = get_client()[LEGACY_DB]
    fresh(source)
    made = make_legacy(source, customers=n, days=IMPORT_DAYS)
    report, seconds, trips = once(app, lambda: legacy.import_legacy(get_client()[LEGACY_DB]))
    rows["import"] = {"seconds": seconds, "trips": trips,
                      "note": f"{made['delivery_statuses']:,} delivery records, {'OK' if report['ok'] else 'NOT OK'}"}


# ---------------------------------------------------------------- the table

LABELS = [("seeding", "seeding"), ("round", "one boy's round (page data)"), ("overview", "staff day overview"),
          ("overview_changed", "staff day overview, after an order changed"),
          ("demand", "supplier demand"), ("calendar", "customer calendar"), ("confirm", "confirming 1,000 stops"),
          ("billing", "month's billing run"), ("rerun", "billing re-run (nothing new)"),
          ("reconcile", "reconciliation"), ("dashboard", "dashboard"), ("exports", "bills + lines CSV exports"),
          ("dashboard_billed", "dashboard after the month's bills"),
          ("import", "legacy import")]


def cell(row, key, unit="s"):
    value = row.get(key)
    if value is None:
        return "—"
    about = "≈" if key.startswith("naive") and "naive_sample" in row else ""
    return about + (f"{value:.2f} {unit}" if unit == "s" else f"{value:,}")


def table(results):
    """The Markdown table: per size time, round trips and naive baseline; the 10×/1× ratio."""
    sizes = sorted(results)
    small, large = sizes[0], sizes[-1]
    head = ["operation"]
    for n in sizes:
        head += [f"{n:,}: time", "trips", "naive time", "naive trips"]
    head += [f"time {large // small}× data", "trips grow"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key, label in LABELS:
        if key not in results[small]:
            continue
        cells = [label]
        for n in sizes:
            row = results[n][key]
            cells += [cell(row, "seconds"), cell(row, "trips", ""), cell(row, "naive"), cell(row, "naive_trips", "")]
        a, b = results[small][key], results[large].get(key, {})
        ratio = b.get("seconds", 0) / a["seconds"] if a.get("seconds") else None
        cells.append(f"{ratio:.1f}×" if ratio else "—")
        cells.append("—" if a.get("trips") is None or b.get("trips") is None else
                     f"{a['trips']} → {b['trips']}")
        lines.append("| " + " | ".join(cells) + " |")
    samples = {row["naive_sample"] for rows in results.values() for row in rows.values() if "naive_sample" in row}
    if samples:
        lines.append(f"\n≈: naive, extrapolated from {', '.join(map(str, sorted(samples)))} customers spread over "
                     "all of them (time and round trips × N / sample).")
    return "\n".join(lines)


def checks(results):
    """The issue's targets, each with its figure, per size."""
    out = []
    for n, rows in sorted(results.items()):
        out.append(f"N = {n:,}:")
        for key, _ in LABELS:
            note = rows.get(key, {}).get("note")
            if note:
                out.append(f"  {key}: {note}")
        if "billing" in rows:
            bill, rerun, rec = rows["billing"], rows["rerun"], rows["reconcile"]
            out.append(f"  billing run / honest floor = {bill['seconds']:.1f} / {bill['floor']:.1f} = "
                       f"{bill['seconds'] / bill['floor']:.2f} (goal ≤ {FLOOR_TARGET})")
            out.append(f"  re-run / first run = {rerun['seconds']:.2f} / {rerun['first']:.1f} = "
                       f"{rerun['seconds'] / rerun['first']:.3f} (target ≤ {RERUN_TARGET})")
            out.append(f"  reconciliation / raw read = {rec['seconds']:.1f} / {rec['floor']:.1f} = "
                       f"{rec['seconds'] / rec['floor']:.2f} (target ≤ {RECONCILE_TARGET})")
            out.append(f"  peak resident memory: billing run {bill['memory']:.0f} MB, "
                       f"exports {rows['exports']['memory']:.0f} MB")
        if "round" in rows:
            rnd = rows["round"]
            out.append(f"  round / indexed find of his customers = {rnd['seconds'] * 1000:.0f} / "
                       f"{rnd['floor'] * 1000:.0f} ms = {rnd['seconds'] / rnd['floor']:.1f} "
                       f"(target ≤ {ROUND_TARGET})")
        befores = [(key, rows[key]["before"], rows[key]["seconds"]) for key in ("rerun", "reconcile", "round")
                   if "before" in rows.get(key, {})]
        for key, was, now in befores:
            out.append(f"  before → after, {key}: {was:.2f} s → {now:.2f} s")
    sizes = sorted(results)
    if len(sizes) > 1:
        small, large = results[sizes[0]], results[sizes[-1]]
        factor = sizes[-1] / sizes[0]
        over = [key for key, _ in LABELS if key in small and key in large
                and large[key]["seconds"] > small[key]["seconds"] * factor * GROWTH_TARGET / 10]
        out.append(f"operations beyond {GROWTH_TARGET}× time at {factor:.0f}× data: {', '.join(over) or 'none'}")
    return "\n".join(out)


TASKS = {"seed": seed_task, "parts": parts_task, "business": business_task, "import": import_task}
RANK = {"seed": 3, "business": 3, "import": 2, "parts": 1}  # among ready tasks: the larger N, then seeding first


def first_tasks(sizes, parts, separate):
    """[(kind, n, parts)] ready at the start. `separate`: seed each size once and measure its groups of parts on
    copies, in tasks of their own (parts tasks follow their seed task); else one task seeds and measures them."""
    tasks = []
    for n in sorted(sizes, reverse=True):
        seeded = tuple(part for part in parts if part != "import") + (("floor",) if "billing" in parts else ())
        if seeded:  # a billing run is measured with its floor
            tasks.append(("seed" if separate else "business", n, seeded))
        if "import" in parts:
            tasks.append(("import", n, ("import",)))
    return tasks


def following(task, snapshot):
    """The tasks a finished seed task makes ready: one per group of its parts, on copies of `snapshot`."""
    kind, n, parts = task
    if kind != "seed":
        return []
    groups = [tuple(part for part in group if part in parts) for group in PART_GROUPS]
    return [("parts", n, group) for group in groups if group
            for _ in range(BILLING_REPEATS if "billing" in group and n <= REPEAT_UP_TO else 1)]


def next_task(ready):
    """The ready task to start next: the largest business first, its seeding before anything else, then its longest
    group of parts."""
    def group_order(task):
        return next(n for n, group in enumerate(PART_GROUPS) if task[2][0] in group) if task[0] == "parts" else 0

    return max(ready, key=lambda task: (task[1], RANK[task[0]], -group_order(task)))


def cpu_seconds():
    """CPU time of this process and of its ended children (a job's server is one), user and system."""
    return sum(usage.ru_utime + usage.ru_stime
               for usage in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)))


def run_task(task, seed_number, before, origin, snapshot=None, made=None):
    """One task in a worker process; (task, rows, made, snapshot, started, ended, CPU seconds of the task and its
    server), times in seconds since `origin`."""
    kind, n, parts = task
    started, cpu = time.time() - origin, cpu_seconds()
    extra = (snapshot, made) if kind == "parts" else ()
    rows, made, snapshot = TASKS[kind](n, seed_number, before, parts, *extra)
    return task, rows, made, snapshot, started, time.time() - origin, cpu_seconds() - cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--before", help="git revision whose rounds/reconciliation (and a re-run without the "
                                         "month's mark) give the before figures")
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS),
                        help="the parts of the table to measure (default: all)")
    parser.add_argument("--jobs", type=int, default=2,
                        help="tasks measured at a time, each on its own server (default 2: one per core)")
    args = parser.parse_args()
    separate = not os.environ.get("MONGO_URI")  # one shared database: its tasks one after the other, seeded once
    results = {n: {} for n in args.sizes}
    billing_runs = {n: [] for n in args.sizes}  # the rows of each billing task (several up to REPEAT_UP_TO)
    spans, ready, running, waiting = [], first_tasks(args.sizes, args.parts, separate), {}, {}
    origin = time.time()
    workers = args.jobs if separate else 1
    # A fresh process per task: a task's peak memory is not hidden by what an earlier one left allocated.
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                             max_tasks_per_child=1) as pool:
        while ready or running:
            while ready and len(running) < workers:
                task = next_task(ready)
                ready.remove(task)
                snapshot, made = waiting.get(task[1], (None, None))
                running[pool.submit(run_task, task, args.seed, args.before, origin, snapshot, made)] = task
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                del running[future]
                task, rows, made, snapshot, started, ended, cpu = future.result()
                kind, n, parts = task
                if kind == "parts" and "billing" in parts:
                    billing_runs[n].append(rows)
                else:
                    results[n].update(rows)
                spans.append((started, ended, n, kind, parts, cpu))
                print(f"N = {n:,} {kind}: {' '.join(parts)} measured from {started:.0f} s to {ended:.0f} s",
                      flush=True)
                if snapshot is not None:
                    waiting[n] = (snapshot, made)
                    ready.extend(following(task, snapshot))
            for n, (snapshot, _) in list(waiting.items()):
                if not any(task[1] == n and task[0] == "parts" for task in [*ready, *running.values()]):
                    shutil.rmtree(Path(snapshot).parent, ignore_errors=True)  # every copy of it has been taken
                    del waiting[n]
    for n, runs in billing_runs.items():
        if runs:
            results[n].update(median_billing(runs))
    for rows in results.values():
        with_floors(rows)
    print(table(results))
    print(checks(results))
    print(f"{workers} task(s) at a time, each in a process and on a server of its own; done in "
          f"{time.time() - origin:.0f} s:")
    for started, ended, n, kind, parts, cpu in sorted(spans):
        print(f"  {started:5.0f}–{ended:5.0f} s  N = {n:,}: {kind} ({', '.join(parts)}; CPU {cpu:.0f} s, its server's "
              f"included)")


if __name__ == "__main__":
    main()
