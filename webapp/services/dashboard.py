"""What each home page shows first: what needs attention today; for the owner, the morning page (today's rounds,
the month's money, trends). Every figure is an aggregation, an indexed count or a kept tally, never a loop over all
documents here; customers per status from their tallies (`tallies`: counting them walks every customer), the
month's bills and what they wait for from the bill tallies (`bill_tallies`: a sum over bills reads whole bills),
today's delivery records from the day's statuses `day_plan` keeps. Reads only, apart from the kept daily totals
`trends` takes once per closed day."""
from datetime import timedelta

from webapp import clock
from webapp.db import get_db
from webapp.services import STAFF_ROLES, NotFound, bill_tallies, catalog, day_plan, payments, rounds, tallies, trends, \
    uow
from webapp.services.late_requests import FOR_THE_DOOR

OWNER_ROLES = ("admin",)
TOP_OVERDUE = 10
UNBILLED_MONTHS = 3  # delivered-not-billed looks back over this month and the three before it


def staff_summary(*, actor):
    """Counts for the staff home page, each a link to the page where it is dealt with."""
    actor.require(*STAFF_ROLES)
    db = get_db()
    day = clock.today()
    today = clock.iso(day)
    statuses = tallies.status_counts()
    return {
        "customers": statuses.get("active", 0) + statuses.get("trial", 0),
        "waiting_for_route": db.customers.count_documents({"status": {"$ne": "stopped"}, "delivery_boy_id": None}),
        "confirmed_today": len(day_plan.statuses(day, uow.plan_version())),
        "pause_requests": db.pause_requests.count_documents({"status": "PENDING"}),
        "late_requests": db.change_requests.count_documents({"status": "OPEN", "date": {"$gte": today}}),
        "overdue_bills": bill_tallies.overdue(today)["bills"],
    }


def staff_home(*, actor):
    """The staff home page: {"summary", "owner"} for every staff member; for the owner (admin) also
    {"today_rounds", "money", "trends"}."""
    actor.require(*STAFF_ROLES)
    home = {"summary": staff_summary(actor=actor), "owner": actor.is_system or actor.has_role(*OWNER_ROLES)}
    if home["owner"]:
        today = clock.today()
        days = trends.history(today, months=UNBILLED_MONTHS)
        home.update(today_rounds=today_view(actor=actor), money=money(today, days), trends=trends.overview(today, days))
    return home


def today_view(*, actor):
    """Today's rounds going out: {"day", "rounds": [{"boy", "progress"}], "unassigned", "progress", "load": [{name,
    unit, qty}] (the van load of every round, from the same read as the progress), "late_changes": [{change
    request + customer_name}], "area_skips": [...]}."""
    actor.require(*STAFF_ROLES)
    day = clock.today()
    overview = rounds.day_overview(day, actor=actor)
    db = get_db()
    late = list(db.change_requests.aggregate([
        {"$match": {"date": day.isoformat(), "status": {"$in": FOR_THE_DOOR}}},
        {"$sort": {"created_at": 1}},
        {"$lookup": {"from": "customers", "localField": "customer_id", "foreignField": "_id", "as": "customer",
                     "pipeline": [{"$project": {"name": 1}}]}},
    ]))
    for request in late:
        request["customer_name"] = request.pop("customer")[0]["name"] if request["customer"] else request["customer_id"]
    skips = list(db.area_skips.find({"date": day.isoformat(), "undone_at": None}).sort("area", 1))
    products = catalog.products_by_id(overview["quantities"])
    load = sorted(({"product_id": product_id, "name": products.get(product_id, {}).get("name", product_id),
                    "unit": products.get(product_id, {}).get("unit", ""), "qty": qty}
                   for product_id, qty in overview["quantities"].items()), key=lambda line: line["name"].casefold())
    return {"day": day, "rounds": overview["rounds"], "unassigned": overview["unassigned"],
            "progress": overview["progress"], "load": load, "late_changes": late, "area_skips": skips}


def _sum(collection, match, value):
    """{"sum", "count"} of `value` over the matching documents (one aggregation); {} when none match."""
    pipeline = [{"$match": match}, {"$group": {"_id": None, "sum": {"$sum": value}, "count": {"$sum": 1}}}]
    return next(collection.aggregate(pipeline), {})


def money(today, days=None):
    """This month so far, in paise: {"month", "delivered": {"subscription", "one_time", "total"} (up to yesterday),
    "billed", "bills", "collected", "payments", "outstanding", "unbilled", "unbilled_since", "overdue": [{customer_id,
    name, owed_paise, bills}], "overdue_total"}.

    Delivered value from the daily totals; billed = bills issued this month, outstanding = what every issued bill
    still waits for, overdue = what the bills due before today wait for and the customers owing most on them, all
    from the bill tallies; collected = payments received this month; unbilled = delivered since the first of the
    month UNBILLED_MONTHS before this one minus the lines billed for those months (the bill tallies; a bill names
    deliveries of its own month only, at their recorded amounts). `days`: `trends.history(today)` when the caller
    has read it already."""
    db = get_db()
    month = clock.month_of(today)
    first = today.replace(day=1)
    since = trends.months_back(today, UNBILLED_MONTHS)
    days = days or trends.history(today, months=UNBILLED_MONTHS)
    this_month = [d for d in days if d["day"] >= first]
    delivered = {"subscription": sum(d["subscription_paise"] for d in this_month),
                 "one_time": sum(d["one_time_paise"] for d in this_month)}
    delivered["total"] = delivered["subscription"] + delivered["one_time"]
    bill_months = bill_tallies.months(clock.month_of(since))
    billed = [kept for bill_month, kept in bill_months.items() if bill_month >= month]
    collected = _sum(db.payments, {"received_on": {"$gte": first.isoformat(), "$lte": today.isoformat()}},
                     "$amount_paise")
    delivered_since = sum(d["subscription_paise"] + d["one_time_paise"] for d in days if d["day"] >= since)
    top = bill_tallies.largest_overdue(today.isoformat(), TOP_OVERDUE)
    names = {customer["_id"]: customer["name"] for customer in (
        db.customers.find({"_id": {"$in": [customer_id for customer_id, _, _ in top]}}, {"name": 1}) if top else ())}
    return {
        "month": month, "delivered": delivered,
        "billed": sum(kept["billed_paise"] for kept in billed), "bills": sum(kept["bills"] for kept in billed),
        "collected": collected.get("sum", 0), "payments": collected.get("count", 0),
        "outstanding": bill_tallies.outstanding(),
        "unbilled": max(delivered_since - sum(kept["lines_paise"] for kept in bill_months.values()), 0),
        "unbilled_since": since,
        "overdue": [{"customer_id": customer_id, "name": names.get(customer_id, customer_id), "owed_paise": owing,
                     "bills": bills} for customer_id, owing, bills in top],
        "overdue_total": bill_tallies.overdue(today.isoformat())["paise"],
    }


def customer_summary(*, actor):
    """For a customer's home page: what arrives tomorrow, and what he owes."""
    if not actor.has_role("customer") or not actor.customer_id:
        raise NotFound("No such customer.")
    tomorrow = clock.today() + timedelta(days=1)
    arriving = {}
    for _, quantities in rounds.due_for(tomorrow, [actor.customer_id]):
        for product_id, qty in quantities.items():
            arriving[product_id] = arriving.get(product_id, 0) + qty
    products = catalog.products_by_id(arriving)
    return {
        "tomorrow": tomorrow,
        "arriving": [(products[product_id], qty) for product_id, qty in sorted(arriving.items())],
        "balance_paise": payments.customer_balance(actor.customer_id),
    }
