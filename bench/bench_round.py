"""Bench: one delivery boy's list of 300 stops and the supplier demand, on 10,000 customers and
12,000 active subscriptions. Prints time per call and database round trips (a pymongo
CommandListener), which must not grow with the number of stops.

    python bench/bench_round.py
"""
import statistics
import time
from datetime import datetime

from flask import render_template

from seed import bench_app, counted, seed
from webapp import clock
from webapp.db import get_db
from webapp.forms.deliveries import ConfirmStopForm
from webapp.services import Actor, deliveries, demand, rounds

RUNS = 10


def round_trips(app, work):
    """Run work() once on a listening client; returns (result, [command names])."""
    result, _, names = counted(app, work)
    return result, names


def timed(work, runs=RUNS):
    """(median, best) seconds over `runs` calls, after one warm-up call."""
    work()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times)


def report(label, app, work, size):
    median, best = timed(work)
    _, names = round_trips(app, work)
    print(f"{label:<44} {size:>6}  {median * 1000:8.1f} ms median  {best * 1000:8.1f} ms best  "
          f"{len(names):>3} round trips ({', '.join(names)})")
    return len(names)


def main():
    with bench_app() as app:
        started = time.perf_counter()
        made = seed(get_db())
        print(f"seeded {len(made['customers'])} customers, {made['subscriptions']} active subscriptions, "
              f"{made['one_time']} one-time orders, {len(made['boys'])} delivery boys "
              f"in {time.perf_counter() - started:.1f} s\n")
        day, big, small = made["day"], made["big_boy_id"], made["boys"][1]["_id"]
        system = Actor.system("bench")
        stops = rounds.round_for(big, day)
        small_stops = rounds.round_for(small, day)
        print(f"{'what':<44} {'stops':>6}")
        trips = [report("rounds.round_for (big round)", app, lambda: rounds.round_for(big, day), len(stops)),
                 report("rounds.round_for (another round)", app, lambda: rounds.round_for(small, day),
                        len(small_stops))]
        report("rounds.round_view (page data, big round)", app,
               lambda: rounds.round_view(big, day, actor=system), len(stops))
        overview = rounds.day_overview(day, actor=system)
        report("rounds.day_overview (staff, all rounds)", app,
               lambda: rounds.day_overview(day, actor=system), overview["progress"]["total"])
        due = demand.for_day(day, actor=system)
        report("demand.for_day (all customers)", app, lambda: demand.for_day(day, actor=system), due["orders"])

        with app.test_request_context("/delivery/round"):
            context = rounds.round_view(big, day, actor=system)
            median, _ = timed(lambda: render_template(
                "delivery/round/_round.html", confirm_url=lambda stop: "/confirm", form=ConfirmStopForm(),
                form_on_demand=True, **context), runs=3)
            print(f"{'render _round.html (big round)':<44} {len(stops):>6}  {median * 1000:8.1f} ms median")

        with clock.frozen(datetime.combine(day, datetime.min.time()).replace(hour=7)):
            confirm_count = 60
            started = time.perf_counter()
            for stop in stops[:confirm_count]:
                deliveries.confirm_stop(stop["customer"]["_id"], day, actor=system)
            per_stop = (time.perf_counter() - started) / confirm_count
            print(f"{'deliveries.confirm_stop (one stop, staff)':<44} {1:>6}  {per_stop * 1000:8.1f} ms each "
                  f"(over {confirm_count} stops)")
            _, names = round_trips(app, lambda: deliveries.confirm(
                stops[0]["orders"][0]["order"]["_id"], day, {}, reason="door_locked", actor=system))
            print(f"{'deliveries.confirm (a correction)':<44} {1:>6}  {len(names):>3} round trips "
                  f"({', '.join(names)})")
            trips.append(report("rounds.round_for (big, 60 stops confirmed)", app,
                                lambda: rounds.round_for(big, day), len(stops)))
        print("\nround trips constant whatever the stops:", "yes" if len(set(trips)) == 1 else f"NO {trips}")


if __name__ == "__main__":
    main()
