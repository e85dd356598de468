"""Trends: delivery figures per day (kept per closed day, taken again after a correction, today live), customers
and collections per week, chart geometry."""
from datetime import date, datetime, timedelta

from webapp import clock
from webapp.services import customers, trends
from tests.dashboard_fixtures import MAY_12, TODAY, business  # noqa: F401  (fixtures)


def test_daily_totals_are_kept_and_taken_again_after_a_correction(business, db, deliver):
    with clock.frozen(MAY_12):
        first = {d["day"]: d for d in trends.daily_figures(date(2026, 4, 14), TODAY)}
    assert first[date(2026, 4, 15)]["delivered"] == 2  # Asha's milk and paneer (Bala's ended on 10 April)
    assert first[date(2026, 4, 15)]["one_time_paise"] == 20000
    assert first[date(2026, 4, 15)]["subscription_paise"] == 5000
    assert first[TODAY]["one_time_paise"] == 20000  # today: live
    assert db.daily_totals.count_documents({}) == 28 and db.daily_totals.find_one({"_id": TODAY.isoformat()}) is None
    deliver(business.asha_milk, [date(2026, 5, 3)], {}, reason="door_locked", at=datetime(2026, 5, 12, 9, 0))
    with clock.frozen(datetime(2026, 5, 12, 9, 30)):
        again = {d["day"]: d for d in trends.daily_figures(date(2026, 5, 1), TODAY)}
    assert again[date(2026, 5, 3)]["subscription_paise"] == 0 and again[date(2026, 5, 3)]["records"] == 1
    assert db.daily_totals.find_one({"_id": "2026-05-03"})["subscription_paise"] == 0


def test_weekly_customers_and_collections(business, system):
    with clock.frozen(MAY_12):
        customers.set_status(business.bala["_id"], "paused", actor=system)
        weeks = {w["week"]: w for w in trends.weekly_figures(TODAY - timedelta(weeks=12), TODAY)}
    assert weeks[date(2026, 3, 23)]["new"] == 2
    assert weeks[date(2026, 5, 4)]["collected_paise"] == 30000
    assert weeks[date(2026, 5, 11)]["paused"] == 1 and weeks[date(2026, 5, 11)]["stopped"] == 0
    assert sum(w["new"] for w in weeks.values()) == 2


def test_weekly_customers_come_from_the_kept_days(db):
    db.customer_days.insert_many([
        {"_id": "2026-02-15", "new": 9, "paused": 0, "stopped": 0},  # the Sunday before the thirteen weeks
        {"_id": "2026-02-16", "new": 4, "paused": 0, "stopped": 0},
        {"_id": "2026-05-11", "new": 2, "paused": 1, "stopped": 0},
        {"_id": "2026-05-12", "new": 1, "paused": 0, "stopped": 2},
    ])
    with clock.frozen(MAY_12):
        weeks = trends.weekly_figures(TODAY - timedelta(weeks=12), TODAY)
    assert len(weeks) == 13 and weeks[0]["week"] == date(2026, 2, 16) and weeks[0]["new"] == 4
    assert {key: weeks[-1][key] for key in ("week", "new", "paused", "stopped")} == {
        "week": date(2026, 5, 11), "new": 3, "paused": 1, "stopped": 2}
    assert sum(week["new"] for week in weeks) == 7


def test_bar_chart_scales_to_the_largest_value():
    chart = trends.bar_chart([{"v": 0, "d": 1}, {"v": 5, "d": 2}, {"v": 10, "d": 3}], "v", "d")
    assert [bar["height"] for bar in chart["bars"]] == [0, trends.CHART_HEIGHT / 2, trends.CHART_HEIGHT]
    assert [bar["y"] for bar in chart["bars"]] == [trends.CHART_HEIGHT, trends.CHART_HEIGHT / 2, 0]
    assert chart["max"] == 10 and trends.bar_chart([], "v", "d")["bars"] == []


def test_months_back_crosses_the_year():
    assert trends.months_back(date(2026, 1, 15), 3) == date(2025, 10, 1)
    assert trends.months_back(date(2026, 5, 31), 0) == date(2026, 5, 1)
