"""Trends for the owner's morning page: deliveries and revenue per day, customers and collections per week.

A day's delivery figures come from `daily_totals` (one document per closed business day, aggregated once from
that day's deliveries), so a month of figures is a read of thirty small documents rather than of every delivery;
a day whose deliveries changed after its totals were taken (a staff correction) is aggregated again, and today,
still moving, is always aggregated live. Customers added, paused and stopped per week are read from their kept
tallies per day (`tallies`); collections per week are one aggregation grouped by day; only the few days are
bucketed into weeks here. Chart geometry is computed here too, so the template only draws.
"""
from datetime import timedelta

from webapp import clock
from webapp.db import get_db
from webapp.services import Actor, tallies, uow

TOTALS_ACTOR_NAME = "daily-totals"
FIGURES = ("records", "delivered", "subscription_paise", "one_time_paise")
CHART_HEIGHT = 120
CHART_BAR = 8
CHART_GAP = 2


# ---------------------------------------------------------------- per day: deliveries and their value

def _aggregate_days(first, last):
    """{iso day: figures} straight from the deliveries of [first, last] (one indexed aggregation)."""
    pipeline = [
        {"$match": {"date": {"$gte": first.isoformat(), "$lte": last.isoformat()}}},
        {"$group": {
            "_id": "$date",
            "records": {"$sum": 1},
            "delivered": {"$sum": {"$cond": [{"$gt": ["$amount_paise", 0]}, 1, 0]}},
            "subscription_paise": {"$sum": {"$cond": [{"$eq": ["$order_kind", "SUBSCRIPTION"]}, "$amount_paise", 0]}},
            "one_time_paise": {"$sum": {"$cond": [{"$eq": ["$order_kind", "ONE_TIME"]}, "$amount_paise", 0]}},
        }},
    ]
    return {row.pop("_id"): row for row in get_db().deliveries.aggregate(pipeline)}


def _empty(day):
    return {"day": day, **{name: 0 for name in FIGURES}}


def _store_totals(days, figures):
    """Keep the totals of these closed days (one unit of work; one audit entry for the batch)."""
    if not days:
        return

    def work(u):
        taken_at = clock.now()
        for day in days:
            values = {name: figures.get(day.isoformat(), {}).get(name, 0) for name in FIGURES}
            u.db.daily_totals.replace_one({"_id": day.isoformat()},
                                          {**values, "month": clock.month_of(day), "computed_at": taken_at},
                                          upsert=True)
        u.record("daily_totals.refresh", "daily_totals", days[0].isoformat(),
                 f"Delivery totals of {len(days)} day(s) from {days[0]} to {days[-1]} taken again")

    uow.run(Actor.system(TOTALS_ACTOR_NAME), work)


def daily_figures(first, last):
    """[{day, records, delivered, subscription_paise, one_time_paise}] for every day of [first, last]: closed days
    from their kept totals (taken again when missing or when a delivery of that day changed since), today live."""
    db = get_db()
    today = clock.today()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    closed = [day for day in days if day < today]
    kept = {}
    if closed:
        kept = {doc["_id"]: doc for doc in db.daily_totals.find(
            {"_id": {"$gte": closed[0].isoformat(), "$lte": closed[-1].isoformat()}})}
    missing = [day for day in closed if day.isoformat() not in kept]
    if kept:
        oldest = min(doc["computed_at"] for doc in kept.values())
        changed = set(db.deliveries.distinct("date", {
            "updated_at": {"$gt": oldest}, "date": {"$gte": closed[0].isoformat(), "$lt": today.isoformat()}}))
        missing += [day for day in closed if day.isoformat() in changed
                    and kept[day.isoformat()]["computed_at"] < _latest_change(day)]
    missing = sorted(set(missing))
    fresh = _aggregate_days(missing[0], missing[-1]) if missing else {}
    _store_totals(missing, fresh)
    live = _aggregate_days(today, today) if first <= today <= last else {}
    result = []
    for day in days:
        key = day.isoformat()
        source = live if day == today else fresh if day in missing else kept
        result.append({**_empty(day), **{name: source.get(key, {}).get(name, 0) for name in FIGURES}})
    return result


def _latest_change(day):
    latest = get_db().deliveries.find_one({"date": day.isoformat()}, {"updated_at": 1}, sort=[("updated_at", -1)])
    return latest["updated_at"]


def months_back(today, months):
    """The first day of the month `months` before today's."""
    month_index = today.year * 12 + today.month - 1 - months
    return today.replace(year=month_index // 12, month=month_index % 12 + 1, day=1)


def history(today, days=90, months=3):
    """Closed days' figures up to yesterday, over the last `days` days and at least since the first of the month
    `months` before today's: read once for every figure of the page. Today, still moving, is left to the rounds."""
    yesterday = today - timedelta(days=1)
    return daily_figures(min(months_back(today, months), yesterday - timedelta(days=days - 1)), yesterday)


# ---------------------------------------------------------------- per week: customers and collections

def week_start(day):
    return day - timedelta(days=day.weekday())


def _weeks(first, last):
    start = week_start(first)
    return [start + timedelta(weeks=n) for n in range((week_start(last) - start).days // 7 + 1)]


def _into_weeks(rows, weeks):
    totals = {week: 0 for week in weeks}
    for row in rows:
        week = week_start(clock.parse_day(row["_id"]))
        if week in totals:
            totals[week] += row["value"]
    return totals


def weekly_figures(first, last):
    """[{week (its Monday), new, paused, stopped, collected_paise}] for the weeks covering [first, last]: customer
    events from their kept tallies per day (`tallies.day_events`, at most 7 small documents a week), collections
    from one aggregation of the payments by the day received."""
    db = get_db()
    weeks = _weeks(first, last)
    events = {week: {event: 0 for event in tallies.EVENTS} for week in weeks}
    for day, counts in tallies.day_events(weeks[0], last).items():
        for event, count in counts.items():
            events[week_start(day)][event] += count
    collected = _into_weeks(db.payments.aggregate([
        {"$match": {"received_on": {"$gte": weeks[0].isoformat(), "$lte": last.isoformat()}}},
        {"$group": {"_id": "$received_on", "value": {"$sum": "$amount_paise"}}},
    ]), weeks)
    return [{"week": week, **events[week], "collected_paise": collected[week]} for week in weeks]


# ---------------------------------------------------------------- charts

def bar_chart(points, value_key, label_key):
    """Geometry of a bar chart of `points` (server-rendered SVG): {"width", "height", "max", "bars": [{x, y,
    width, height, value, label}]}; bars scale to the largest value, a zero is a bar of no height."""
    values = [point[value_key] for point in points]
    top = max(values, default=0) or 1
    bars = []
    for index, (point, value) in enumerate(zip(points, values)):
        height = round(CHART_HEIGHT * max(value, 0) / top, 1)
        bars.append({"x": index * (CHART_BAR + CHART_GAP), "y": round(CHART_HEIGHT - height, 1), "width": CHART_BAR,
                     "height": height, "value": value, "label": point[label_key]})
    return {"width": max(len(points) * (CHART_BAR + CHART_GAP) - CHART_GAP, CHART_BAR), "height": CHART_HEIGHT,
            "max": max(values, default=0), "bars": bars}


def overview(today, days=None):
    """Every trend of the owner's page, ready to draw: deliveries and revenue per day over the 30 and 90 days up to
    yesterday, new / paused / stopped customers and collections per week over 13 weeks. `days`: `history(today)`
    when the caller has read it already."""
    days = [{**day, "revenue_paise": day["subscription_paise"] + day["one_time_paise"]}
            for day in (days or history(today))[-90:]]
    weeks = weekly_figures(today - timedelta(weeks=12), today)
    charts = {}
    for span in (30, 90):
        charts[f"deliveries_{span}"] = bar_chart(days[-span:], "delivered", "day")
        charts[f"revenue_{span}"] = bar_chart(days[-span:], "revenue_paise", "day")
    for key in ("new", "paused", "stopped", "collected_paise"):
        charts[f"weekly_{key}"] = bar_chart(weeks, key, "week")
    return {"days": days, "weeks": weeks, "charts": charts,
            "totals": {span: {"delivered": sum(d["delivered"] for d in days[-span:]),
                              "revenue_paise": sum(d["revenue_paise"] for d in days[-span:])} for span in (30, 90)}}
