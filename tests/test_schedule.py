"""The schedule engine, on plain order documents: pattern arithmetic and precedence of changes."""
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webapp.services import schedule

# Pure functions; the autouse database fixture is harmless here.
props = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2032, 12, 31))
offsets = st.integers(min_value=0, max_value=800)
quantities = st.integers(min_value=1, max_value=50)


def subscription(start, kind="daily", *, qty=2, end=None, weekdays=(), dates=(), status="ACTIVE", **extra):
    return {
        "_id": "SU-TEST", "kind": "SUBSCRIPTION", "customer_id": "CU-1", "status": status,
        "items": [{"product_id": "PR-0001", "qty": qty, "unit_price_paise": 3000}],
        "pattern": {"kind": kind, "weekdays": list(weekdays), "dates": [d.isoformat() for d in dates]},
        "start_date": start.isoformat(), "end_date": end.isoformat() if end else None,
        "overrides": {}, "pauses": [], "skips": {}, "stopped_on": None, **extra,
    }


def one_time(day, status="PENDING", qty=3):
    return {"_id": "OR-TEST", "kind": "ONE_TIME", "customer_id": "CU-1", "status": status,
            "items": [{"product_id": "PR-0002", "qty": qty, "unit_price_paise": 5000}],
            "delivery_date": day.isoformat()}


@props
@given(start=days, offset=offsets, qty=quantities)
def test_daily_is_due_every_day_from_the_start(start, offset, qty):
    order = subscription(start, qty=qty)
    assert schedule.quantity_on(order, start + timedelta(days=offset)) == {"PR-0001": qty}
    assert schedule.quantity_on(order, start - timedelta(days=1 + offset % 40)) == {}


@props
@given(start=days, offset=offsets)
def test_alternate_counts_from_the_start_across_month_and_year_ends(start, offset):
    order = subscription(start, "alternate")
    day = start + timedelta(days=offset)
    assert bool(schedule.quantity_on(order, day)) == (offset % 2 == 0)
    # Two consecutive days never both bring milk, and one of them always does.
    assert bool(schedule.quantity_on(order, day)) != bool(schedule.quantity_on(order, day + timedelta(days=1)))


def test_alternate_over_a_leap_day_and_a_year_end():
    order = subscription(date(2028, 2, 27), "alternate")
    assert schedule.quantity_on(order, date(2028, 2, 29)) == {"PR-0001": 2}
    assert schedule.quantity_on(order, date(2028, 3, 1)) == {}
    assert schedule.quantity_on(order, date(2028, 3, 2)) == {"PR-0001": 2}
    order = subscription(date(2026, 12, 30), "alternate")
    assert schedule.quantity_on(order, date(2027, 1, 1)) == {"PR-0001": 2}
    assert schedule.quantity_on(order, date(2026, 12, 31)) == {}


@props
@given(start=days, offset=offsets, weekdays=st.sets(st.integers(0, 6), min_size=1))
def test_weekly_brings_on_the_chosen_weekdays_only(start, offset, weekdays):
    order = subscription(start, "weekly", weekdays=sorted(weekdays))
    day = start + timedelta(days=offset)
    assert bool(schedule.quantity_on(order, day)) == (day.weekday() in weekdays)


@props
@given(start=days, picks=st.sets(st.integers(0, 400), min_size=1, max_size=20), offset=st.integers(0, 400))
def test_custom_brings_on_the_listed_dates_only(start, picks, offset):
    chosen = [start + timedelta(days=n) for n in sorted(picks)]
    order = subscription(start, "custom", dates=chosen)
    day = start + timedelta(days=offset)
    assert bool(schedule.quantity_on(order, day)) == (day in chosen)


@props
@given(start=days, length=st.integers(0, 400), offset=offsets)
def test_nothing_after_the_end_date(start, length, offset):
    end = start + timedelta(days=length)
    order = subscription(start, end=end)
    day = start + timedelta(days=offset)
    assert bool(schedule.quantity_on(order, day)) == (day <= end)


@props
@given(start=days, stop_after=st.integers(0, 300), offset=offsets)
def test_stop_keeps_history_and_ends_the_future(start, stop_after, offset):
    stopped_on = start + timedelta(days=stop_after)
    order = subscription(start, status="STOPPED", stopped_on=stopped_on.isoformat())
    day = start + timedelta(days=offset)
    assert bool(schedule.quantity_on(order, day)) == (day < stopped_on)


@props
@given(start=days, offset=offsets, qty=st.integers(0, 50))
def test_an_override_beats_the_pattern(start, offset, qty):
    day = start + timedelta(days=offset)
    order = subscription(start, "alternate", overrides={day.isoformat(): {"PR-0001": qty}})
    assert schedule.quantity_on(order, day) == ({"PR-0001": qty} if qty else {})
    # Only that date changes.
    other = day + timedelta(days=2)
    assert schedule.quantity_on(order, other) == schedule.quantity_on(subscription(start, "alternate"), other)


def test_an_override_names_only_its_products():
    order = subscription(date(2026, 3, 1))
    order["items"].append({"product_id": "PR-0009", "qty": 1, "unit_price_paise": 2000})
    order["overrides"] = {"2026-03-05": {"PR-0001": 0}, "2026-03-06": {"PR-4040": 7}}
    assert schedule.quantity_on(order, date(2026, 3, 5)) == {"PR-0009": 1}
    # A product that is not on the subscription is ignored, not conjured up.
    assert schedule.quantity_on(order, date(2026, 3, 6)) == {"PR-0001": 2, "PR-0009": 1}


@props
@given(start=days, first=st.integers(0, 200), length=st.integers(0, 30), offset=st.integers(0, 260),
       qty=quantities)
def test_a_pause_beats_overrides(start, first, length, offset, qty):
    first_day = start + timedelta(days=first)
    last_day = first_day + timedelta(days=length)
    day = start + timedelta(days=offset)
    order = subscription(start, overrides={day.isoformat(): {"PR-0001": qty}},
                         pauses=[{"first_day": first_day.isoformat(), "last_day": last_day.isoformat(),
                                  "reason": "vacation"}])
    paused = first_day <= day <= last_day
    assert schedule.quantity_on(order, day) == ({} if paused else {"PR-0001": qty})
    assert (schedule.explain(order, day)["state"] == schedule.PAUSED) == paused


def test_an_open_ended_pause_lasts_until_resumed():
    order = subscription(date(2026, 3, 1), status="PAUSED",
                         pauses=[{"first_day": "2026-03-10", "last_day": None, "reason": None}])
    assert schedule.quantity_on(order, date(2026, 3, 9)) == {"PR-0001": 2}
    assert schedule.quantity_on(order, date(2027, 8, 1)) == {}


@props
@given(start=days, offset=offsets, qty=quantities)
def test_an_area_skip_beats_pauses_and_overrides(start, offset, qty):
    day = start + timedelta(days=offset)
    order = subscription(start, overrides={day.isoformat(): {"PR-0001": qty}},
                         pauses=[{"first_day": day.isoformat(), "last_day": day.isoformat(), "reason": None}],
                         skips={day.isoformat(): {"reason": "Transport strike", "skip_id": "SK-1"}})
    assert schedule.quantity_on(order, day) == {}
    assert schedule.explain(order, day) == {"state": schedule.SKIPPED, "quantities": {},
                                            "reason": "Transport strike"}
    assert schedule.quantity_on(order, day + timedelta(days=1)) == {"PR-0001": 2}


def test_a_draft_brings_nothing():
    order = subscription(date(2026, 3, 1), status="DRAFT")
    assert schedule.quantity_on(order, date(2026, 3, 2)) == {}


@props
@given(day=days, offset=st.integers(-5, 5), status=st.sampled_from(
    ["PENDING", "DELIVERED", "PARTIALLY_DELIVERED", "NOT_DELIVERED", "CANCELLED"]))
def test_one_time_orders_are_due_on_their_date_unless_cancelled(day, offset, status):
    order = one_time(day, status)
    expected = {"PR-0002": 3} if offset == 0 and status != "CANCELLED" else {}
    assert schedule.quantity_on(order, day + timedelta(days=offset)) == expected


def test_due_on_keeps_only_orders_with_something_due_and_accepts_iso_dates():
    weekly = subscription(date(2026, 3, 2), "weekly", weekdays=[0])  # Mondays
    daily = subscription(date(2026, 3, 1), qty=1)
    cancelled = one_time(date(2026, 3, 3), "CANCELLED")
    pending = one_time(date(2026, 3, 3))
    due = schedule.due_on([weekly, daily, cancelled, pending], "2026-03-03")
    assert [(order is daily or order is pending, qty) for order, qty in due] == [
        (True, {"PR-0001": 1}), (True, {"PR-0002": 3})]
    assert [order for order, _ in schedule.due_on([weekly], date(2026, 3, 9))] == [weekly]


def test_a_skipped_day_from_a_zero_override_says_so():
    order = subscription(date(2026, 3, 1), overrides={"2026-03-04": {"PR-0001": 0}})
    assert schedule.explain(order, date(2026, 3, 4))["state"] == schedule.SKIPPED
    assert schedule.explain(order, date(2026, 3, 5))["state"] == schedule.DUE
