"""Bench: the owner's morning page and the staff day overview on N customers (10,000 by default) with DAYS days of
deliveries up to the bench day, the bench day's a whole morning of them (`--days 30` for a month; `seed.seed_month`
fills whole months). Prints time per call: the first page of the day (closed days' totals
taken once), every page after, its parts, and the overview of all rounds, each cold (the day's plan rebuilt, as
after an order changed) and warm (the plan kept, as between two taps), with the database round trips of one warm
call.

    PYTHONPATH=. python bench/bench_dashboard.py [--days N] [--customers N]
"""
import argparse
import statistics
import time
from datetime import datetime, timedelta, timezone

from seed import BATCH, BENCH_DAY, bench_app, counted, seed
from webapp import clock
from webapp.db import get_db
from webapp.services import Actor, dashboard, data_health, rounds, trends, uow

RUNS = 3
TAP_SPREAD = 4 * 60 * 60  # seconds of a morning's round


def seed_days(db, days):
    """One delivered record per order due on each of the `days` days up to the bench day (the schedule engine
    decides), in the shape the confirmation writes, one tap a second over the morning; returns how many."""
    count = 0
    for back in range(days):
        day = BENCH_DAY - timedelta(days=back)
        at = datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc)
        batch = []
        for order, due in rounds.due_for(day):
            count += 1
            lines = [{"product_id": product_id, "ordered_qty": qty, "delivered_qty": qty, "unit_price_paise": 100,
                      "amount_paise": 100 * qty} for product_id, qty in sorted(due.items())]
            batch.append({"_id": f"DL-{day:%Y%m%d}-{count:06d}", "order_id": order["_id"],
                          "order_kind": order["kind"], "customer_id": order["customer_id"], "date": day.isoformat(),
                          "month": clock.month_of(day), "status": "DELIVERED", "lines": lines,
                          "amount_paise": sum(line["amount_paise"] for line in lines), "created_at": at,
                          "updated_at": at + timedelta(seconds=count % TAP_SPREAD)})
        for start in range(0, len(batch), BATCH):
            db.deliveries.insert_many(batch[start:start + BATCH], ordered=False)
    return count


def timed(work, runs=RUNS):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times)


def line(label, seconds, note=""):
    print(f"{label:<48} {seconds * 1000:9.1f} ms  {note}", flush=True)


def cold(work):
    """`work` after the plan version moved (what an order change does), so that the day's plan is rebuilt."""
    def moved():
        uow.plan_version()
        get_db().counters.update_one({"_id": uow.PLAN_VERSION}, {"$inc": {"value": 1}})
        return work()
    return moved


def cold_and_warm(app, label, work):
    """One line cold, one warm, with the round trips of one warm call."""
    line(f"{label}, cold", timed(cold(work))[0])
    work()
    _, _, sent = counted(app, work)
    line(f"{label}, warm", timed(work)[0], f"{len(sent)} round trips")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--customers", type=int, default=10_000)
    args = parser.parse_args()
    with bench_app() as app:
        db = get_db()
        started = time.perf_counter()
        made = seed(db, customers=args.customers)
        delivered = seed_days(db, args.days)
        print(f"seeded {len(made['customers'])} customers, {delivered} deliveries over {args.days} days "
              f"in {time.perf_counter() - started:.1f} s", flush=True)
        print(flush=True)
        admin = {"_id": "US-bench-admin", "role": "admin", "name": "Owner", "email": "owner@bench.test",
                 "active": True, "session_epoch": 0, "customer_id": None}
        db.users.insert_one(admin)
        owner = Actor.for_user(admin)
        with clock.frozen(datetime.combine(BENCH_DAY, datetime.min.time()).replace(hour=8)):
            started = time.perf_counter()
            dashboard.staff_home(actor=owner)
            line("dashboard.staff_home, first of the day", time.perf_counter() - started,
                 f"({db.daily_totals.count_documents({})} closed days' totals taken)")
            median, best = timed(lambda: dashboard.staff_home(actor=owner))
            line("dashboard.staff_home, after", median, f"best {best * 1000:.1f} ms")
            cold_and_warm(app, "  today_view", lambda: dashboard.today_view(actor=owner))
            for name, work in (("  staff_summary", lambda: dashboard.staff_summary(actor=owner)),
                               ("  money", lambda: dashboard.money(BENCH_DAY)),
                               ("  trends.overview", lambda: trends.overview(BENCH_DAY))):
                line(name, timed(work, 3)[0])
            client = app.test_client()
            with client.session_transaction() as session:
                session["_user_id"] = f"{admin['_id']}|0"
            cold_and_warm(app, "GET /staff/ (the morning page)", lambda: client.get("/staff/"))
            cold_and_warm(app, "GET /staff/today (the 30 s poll)", lambda: client.get(
                "/staff/today", headers={"HX-Request": "true"}))
            cold_and_warm(app, "rounds.day_overview (/staff/day)", lambda: rounds.day_overview(BENCH_DAY, actor=owner))
            cold_and_warm(app, "GET /staff/day", lambda: client.get(f"/staff/day?date={BENCH_DAY.isoformat()}"))
            line("data_health.run_checks (nightly)", timed(lambda: data_health.run_checks(actor=owner), 1)[0])


if __name__ == "__main__":
    main()
