"""Kill the worker after each write in turn — a billing run, a round's stop confirmations, the legacy import —
then do what a person would do (run the month again once the job is seen dead, tap the stops again, import
again): the outcome equals a clean run's, with nothing lost and nothing doubled."""
from collections import Counter
from datetime import datetime, timedelta

import pytest

from tests.billing_fixtures import AFTER_MONTH, APRIL, MONTH
from tests.conftest import WORKER
from tests.delivery_fixtures import TODAY, route  # noqa: F401  (fixture)
from tests.faults import copy_of, kill_at_each_write, put_back
from tests.legacy_fixtures import make_legacy_db
from webapp import clock
from webapp.legacy import run as legacy_run
from webapp.services import billing, billing_jobs, deliveries, payments

KILLED_AT = AFTER_MONTH
STILL_BEATING = AFTER_MONTH + timedelta(seconds=30)
SILENT = AFTER_MONTH + timedelta(minutes=2)


# ---------------------------------------------------------------- a billing run

def bills_outcome(db):
    """Every bill as the customer reads it, every adjustment's bill, and whether the month reconciles."""
    bills = sorted((b["_id"], b["customer_id"], b["kind"], b["total_paise"], b["amount_due_paise"],
                    tuple(sorted(line["delivery_id"] for line in b["lines"])),
                    tuple(a["adjustment_id"] for a in b["adjustments"])) for b in db.bills.find())
    adjustments = sorted((a["_id"], a["bill_id"]) for a in db.adjustments.find())
    with clock.frozen(SILENT):
        reconciled = billing.reconcile(MONTH)["ok"]
    return {"bills": bills, "adjustments": adjustments, "reconciled": reconciled}


def start_job(system):
    """What the run page does first: the job record (the run then goes on in a background thread)."""
    job, started = billing_jobs.start_month_job(MONTH, actor=system)
    assert started
    return job


def test_a_billing_run_killed_after_any_write_is_finished_by_running_the_month_again(
        db, system, monkeypatch, make_customer, milk, subscribe, deliver):
    monkeypatch.setattr(billing, "ISSUE_BATCH", 2)
    customers = [make_customer() for _ in range(3)]
    for n, customer in enumerate(customers, start=1):
        deliver(subscribe(customer, milk), APRIL[:n + 1])
    with clock.frozen(AFTER_MONTH):
        payments.add_adjustment(customers[1]["_id"], -1500, "Sour milk on the 2nd", actor=system)
    with clock.frozen(KILLED_AT):
        job = start_job(system)

    def run_the_job():
        billing.run_month(MONTH, actor=system, job_id=job["_id"])

    start = copy_of(db)
    with clock.frozen(KILLED_AT):
        run_the_job()
    clean = bills_outcome(db)
    assert len(clean["bills"]) == 3 and clean["reconciled"]
    put_back(db, start)

    def check(n):
        [dead] = list(db.jobs.find())
        assert dead["status"] == "running", f"killed after write {n}: the job recorded its own death"
        with clock.frozen(STILL_BEATING):  # within the heartbeat: still taken for a live run
            assert billing_jobs.start_month_job(MONTH, actor=system) == (dead, False)
        with clock.frozen(SILENT):
            again = start_job(system)
            summary = billing.run_month(MONTH, actor=system, job_id=again["_id"])
        assert bills_outcome(db) == clean, f"killed after write {n}"
        assert summary["already_billed"] + summary["lines"] == sum(len(bill[5]) for bill in clean["bills"])
        assert db.jobs.find_one({"_id": dead["_id"]})["status"] == "failed"
        assert db.jobs.count_documents({"status": "done"}) == 1

    with clock.frozen(KILLED_AT):
        writes = kill_at_each_write(db, run_the_job, check, expect_writes_at_least=10)
    assert writes >= 10  # the heartbeat, each batch's five writes, the finish
    assert bills_outcome(db) == clean


# ---------------------------------------------------------------- a round's stop confirmations

def round_outcome(db):
    """The deliveries (one per order and date), their statuses, the one-time orders' statuses, the audit trail."""
    records = sorted((d["order_id"], d["date"], d["status"], d["amount_paise"], d["revisions"],
                      tuple((line["product_id"], line["delivered_qty"]) for line in d["lines"]))
                     for d in db.deliveries.find())
    return {"deliveries": records,
            "statuses": Counter(d["status"] for d in db.deliveries.find()),
            "one_time": sorted((o["_id"], o["status"]) for o in db.orders.find({"kind": "ONE_TIME"})),
            "confirm_entries": db.audit_log.count_documents({"entity": "delivery"})}


def test_a_round_confirmation_killed_after_any_write_is_finished_by_tapping_the_stops_again(db, route):
    def tap_the_round():
        for customer, boy in ((route.anil, route.ravi_actor), (route.bina, route.ravi_actor),
                              (route.chetan, route.gopal_actor)):
            deliveries.confirm_stop(customer["_id"], TODAY, actor=boy)

    with clock.frozen(datetime(2026, 3, 10, 7, 0)):
        start = copy_of(db)
        tap_the_round()
        clean = round_outcome(db)
        assert len(clean["deliveries"]) == 4 and clean["one_time"] == [(route.bina_paneer["_id"], "DELIVERED")]
        put_back(db, start)

        def check(n):
            tap_the_round()  # the delivery boy taps every stop again
            assert round_outcome(db) == clean, f"killed after write {n}"

        writes = kill_at_each_write(db, tap_the_round, check, expect_writes_at_least=3)
    assert writes >= 3  # one bulk write per stop, each the stop's only write
    assert round_outcome(db) == clean


# ---------------------------------------------------------------- the legacy import

LEGACY_DB = f"earlybird_legacy_kills_{WORKER}"
IMPORTED = ("products", "users", "customers", "orders", "deliveries", "bills", "payments")


@pytest.fixture
def small_legacy(app):
    client = app.extensions["mongo"]
    client.drop_database(LEGACY_DB)
    make_legacy_db(client[LEGACY_DB], customers=6, seed=5)
    yield client[LEGACY_DB]
    client.drop_database(LEGACY_DB)


def import_outcome(db):
    """What was imported, by legacy id (the app's ids come from counters and may skip numbers; one legacy record
    covers every order at its door, so a legacy id may come more than once, as often as a clean import makes it),
    with each historical bill's lines by the legacy order they bill, and the unmatched records."""
    orders_by_id = {o["_id"]: o.get("legacy_id") for o in db.orders.find({}, {"legacy_id": 1})}
    legacy_of_delivery = {d["_id"]: (orders_by_id.get(d["order_id"]), d["date"]) for d in db.deliveries.find()}
    outcome = {name: sorted((doc.get("legacy_collection"), str(doc["legacy_id"]))
                            for doc in db[name].find({"source": "legacy"}))
               for name in IMPORTED}
    outcome["bill_lines"] = sorted((str(b["legacy_id"]), b["total_paise"],
                                    tuple(sorted(legacy_of_delivery[line["delivery_id"]] for line in b["lines"])))
                                   for b in db.bills.find({"source": "legacy"}))
    outcome["unmatched"] = sorted(str(r["legacy_id"]) for r in db[legacy_run.UNMATCHED].find())
    return outcome


def test_a_legacy_import_killed_after_any_write_is_finished_by_importing_again(db, small_legacy):
    def import_once():
        with clock.frozen(datetime(2026, 5, 1, 6, 0)):
            return legacy_run.import_legacy(small_legacy, as_of=APRIL[6])  # a week: fewer days, fewer id counters

    start = copy_of(db)
    clean_report = import_once()
    clean = import_outcome(db)
    assert clean_report["ok"] and clean["deliveries"] and clean["bills"]
    put_back(db, start)

    def check(n):
        again = import_once()
        assert again["ok"], f"killed after write {n}"
        assert import_outcome(db) == clean, f"killed after write {n}"
        assert db.import_reports.count_documents({}) == 1

    # Killed at the end of each unit of work in turn (inside one, a kill is the same as before it; the import's
    # units are each all or nothing like every other).
    units = kill_at_each_write(db, import_once, check, unit=True, expect_writes_at_least=8)
    assert units >= 8  # products, staff logins, customers with their logins, orders, deliveries, bills…, report
    assert import_outcome(db) == clean
