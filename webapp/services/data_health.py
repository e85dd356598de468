"""Data health: counts that must be zero, each an aggregation pipeline with a drill-down list and the page where
a row is put right. The staff health page and `flask health-check` (a nightly cron; non-zero exit when any
count is not zero) run the same checks.

A check is a pipeline over one collection that yields the offending documents as rows {_id, customer_id?,
detail}; its count is the same pipeline ending in `$count`. Lookups join on one field (the embedded server does
not join on an array field), so bill lines are unwound before they are joined to their deliveries.
"""
from dataclasses import dataclass

from webapp import clock
from webapp.db import get_db
from webapp.services import NotFound, bill_tallies, tallies

HEALTH_ROLES = ("admin", "support")
DRILL_DOWN_LIMIT = 200


@dataclass(frozen=True)
class Check:
    key: str
    label: str
    collection: str
    fix: str  # what to do about a row, in words
    fix_endpoint: str  # the page a row links to: "customer", "order", "bill", "statement", "late_requests", ...
    build: object  # build(today) -> pipeline yielding the offending rows


def _missing(collection, local_field, into="found", project=None):
    """Join `local_field` to `collection`'s _id; a row whose join is empty has no such document."""
    return [{"$lookup": {"from": collection, "localField": local_field, "foreignField": "_id", "as": into,
                         "pipeline": [{"$project": project or {"_id": 1}}]}}]


def _each(array, field):
    """[element.field for element in array] (the embedded server does not read a field path through an array)."""
    return {"$map": {"input": {"$ifNull": [array, []]}, "as": "element", "in": f"$$element.{field}"}}


def _deliveries_without_order(today):
    return [
        *_missing("orders", "order_id", "order", {"customer_id": 1}),
        {"$match": {"$expr": {"$or": [
            {"$eq": [{"$size": "$order"}, 0]},
            {"$ne": [{"$arrayElemAt": [_each("$order", "customer_id"), 0]}, "$customer_id"]}]}}},
        {"$project": {"customer_id": 1, "detail": {"$concat": ["$date", " order ", "$order_id"]}}},
    ]


def _orders_without_customer(today):
    return [
        *_missing("customers", "customer_id", "customer"),
        {"$match": {"customer": {"$size": 0}}},
        {"$project": {"customer_id": 1, "detail": {"$concat": ["$kind", " of missing customer ", "$customer_id"]}}},
    ]


def _orders_off_their_round(today):
    """Orders whose `delivery_boy_id` (the round that reads them) differs from their customer's; an order without a
    customer is another check's."""
    order_round = {"$ifNull": ["$delivery_boy_id", None]}
    customer_round = {"$ifNull": [{"$arrayElemAt": [_each("$customer", "delivery_boy_id"), 0]}, None]}
    return [
        *_missing("customers", "customer_id", "customer", {"delivery_boy_id": 1}),
        {"$match": {"$expr": {"$and": [{"$gt": [{"$size": "$customer"}, 0]}, {"$ne": [order_round, customer_round]}]}}},
        {"$project": {"customer_id": 1, "detail": {"$concat": [
            "$kind", " on the round of ", {"$ifNull": [order_round, "no delivery boy"]}, ", its customer on that of ",
            {"$ifNull": [customer_round, "no delivery boy"]}]}}},
    ]


def _customers_without_login_or_round(today):
    return [
        *_missing("users", "user_id", "login"),
        {"$match": {"$expr": {"$or": [
            {"$eq": [{"$size": "$login"}, 0]},
            {"$and": [{"$ne": ["$status", "stopped"]}, {"$eq": [{"$ifNull": ["$delivery_boy_id", None]}, None]}]}]}}},
        {"$project": {"customer_id": "$_id", "detail": {"$cond": [
            {"$eq": [{"$size": "$login"}, 0]}, {"$concat": ["$name", ": no login"]},
            {"$concat": ["$name", ": no delivery boy"]}]}}},
    ]


def _logins_without_customer(today):
    return [
        {"$match": {"role": "customer"}},
        *_missing("customers", "customer_id", "customer"),
        {"$match": {"customer": {"$size": 0}}},
        {"$project": {"user_id": "$_id", "detail": {"$concat": [{"$ifNull": ["$email", "$phone"]}, ": ",
                                                               {"$ifNull": ["$name", ""]}]}}},
    ]


def _billed_without_delivery(today):
    return [
        {"$match": {"lines.delivery_id": {"$exists": True}}},
        {"$unwind": "$lines"},
        *_missing("deliveries", "lines.delivery_id", "delivery"),
        {"$match": {"delivery": {"$size": 0}}},
        {"$project": {"_id": {"$concat": ["$_id", " ", "$lines.delivery_id"]}, "bill_id": "$_id", "customer_id": 1,
                      "detail": {"$concat": ["bill ", "$_id", " names delivery ", "$lines.delivery_id"]}}},
    ]


def _sum_of(field):
    return {"$reduce": {"input": {"$ifNull": [field, []]}, "initialValue": 0,
                        "in": {"$add": ["$$value", "$$this.amount_paise"]}}}


def _bills_not_adding_up(today):
    return [
        {"$project": {"customer_id": 1, "total_paise": 1, "lines_paise": 1,
                      "lines_sum": _sum_of("$lines"), "adjustments_sum": _sum_of("$adjustments")}},
        {"$match": {"$expr": {"$or": [
            {"$ne": ["$total_paise", {"$add": ["$lines_sum", "$adjustments_sum"]}]},
            {"$ne": [{"$ifNull": ["$lines_paise", "$lines_sum"]}, "$lines_sum"]}]}}},
        {"$project": {"customer_id": 1, "bill_id": "$_id", "detail": {"$concat": [
            "total ", {"$toString": "$total_paise"}, " paise, lines and adjustments ",
            {"$toString": {"$add": ["$lines_sum", "$adjustments_sum"]}}, " paise"]}}},
    ]


def _one_time_unbilled_in_closed_month(today):
    return [
        {"$match": {"order_kind": "ONE_TIME", "month": {"$lt": clock.month_of(today)}, "amount_paise": {"$gt": 0}}},
        {"$lookup": {"from": "bills", "localField": "customer_id", "foreignField": "customer_id", "as": "bills",
                     "pipeline": [{"$project": {"lines.delivery_id": 1}}]}},
        {"$match": {"$expr": {"$not": [{"$in": ["$_id", {"$reduce": {
            "input": "$bills", "initialValue": [],
            "in": {"$concatArrays": ["$$value", _each("$$this.lines", "delivery_id")]}}}]}]}}},
        {"$project": {"customer_id": 1, "detail": {"$concat": ["$date", " order ", "$order_id"]}}},
    ]


def _payments_not_allocated(today):
    """Customers whose payments (and credit bills) exceed what their bills record as paid while a bill still
    waits: the money was received but not spread over the bills."""
    return [
        {"$group": {"_id": "$customer_id",
                    "paid": {"$sum": "$paid_paise"},
                    "credit": {"$sum": {"$cond": [{"$lt": ["$total_paise", 0]}, {"$subtract": [0, "$total_paise"]},
                                                  0]}},
                    "waiting": {"$sum": {"$cond": [{"$gt": ["$total_paise", "$paid_paise"]}, 1, 0]}}}},
        {"$match": {"waiting": {"$gt": 0}}},
        {"$lookup": {"from": "payments", "localField": "_id", "foreignField": "customer_id", "as": "payments",
                     "pipeline": [{"$project": {"amount_paise": 1}}]}},
        {"$project": {"customer_id": "$_id", "unallocated": {"$subtract": [
            {"$add": [_sum_of("$payments"), "$credit"]}, "$paid"]}}},
        {"$match": {"unallocated": {"$gt": 0}}},
        {"$project": {"customer_id": 1, "detail": {"$concat": [{"$toString": "$unallocated"},
                                                               " paise received but not on a bill"]}}},
    ]


def _late_requests_past_their_date(today):
    return [
        {"$match": {"status": "OPEN", "date": {"$lt": today.isoformat()}}},
        {"$project": {"customer_id": 1, "detail": {"$concat": ["$date", " ", "$change", " on ", "$order_id"]}}},
    ]


def _customer_tallies_off(today):
    """Statuses whose count kept for the morning page (`tallies`) differs from the customers that have it: a write
    that changed customers without moving the tallies."""
    return [
        {"$group": {"_id": "$status", "counted": {"$sum": 1}}},
        {"$unionWith": {"coll": "counters", "pipeline": [
            {"$match": {"_id": tallies.STATUS_COUNTS}},
            {"$project": {"kept": {"$objectToArray": "$$ROOT"}}},
            {"$unwind": "$kept"},
            {"$match": {"kept.k": {"$ne": "_id"}}},
            {"$project": {"_id": "$kept.k", "kept": "$kept.v"}},
        ]}},
        {"$group": {"_id": "$_id", "counted": {"$sum": "$counted"}, "kept": {"$sum": "$kept"}}},
        {"$match": {"$expr": {"$ne": ["$counted", "$kept"]}}},
        {"$project": {"detail": {"$concat": [{"$ifNull": ["$_id", "no status"]}, ": ", {"$toString": "$kept"},
                                             " on the morning page, ", {"$toString": "$counted"}, " customers"]}}},
    ]


def _as_rows(fields):
    """Stages turning each document into rows {_id: key, <value>: amount}, one per (key, amount) of `fields`, rows
    without a key dropped."""
    return [{"$project": {"_id": 0, "row": fields}}, {"$unwind": "$row"}, {"$replaceRoot": {"newRoot": "$row"}},
            {"$match": {"_id": {"$ne": None}}}]


def _bill_tallies_off(today):
    """Bill tallies (`bill_tallies`) that differ from the bills: per month what was billed, how many bills and
    their lines; per due date and per customer and due date what the bills wait for and how many wait. A write that
    changed bills without moving the tallies."""
    issue_month = {"$cond": [{"$eq": [{"$ifNull": ["$issued_at", None]}, None]}, None, {"$dateToString": {
        "format": "%Y-%m", "date": "$issued_at", "timezone": str(clock.business_tz())}}]}
    waiting = {"$cond": [{"$and": [{"$gt": ["$total_paise", 0]}, {"$ne": ["$status", "PAID"]}]},
                         {"$subtract": ["$total_paise", "$paid_paise"]}, 0]}
    waits = {"$cond": [{"$gt": [waiting, 0]}, 1, 0]}

    def key(month, field):
        return {"$cond": [{"$eq": [{"$ifNull": [month, None]}, None]}, None, {"$concat": [month, " ", field]}]}

    def due_key(*parts):
        return {"$concat": ["due ", *parts]}

    by_customer = due_key("$customer_id", " ", "$due_date", " ")
    return [
        *_as_rows([{"_id": key(issue_month, "billed_paise"), "counted": "$total_paise"},
                   {"_id": key(issue_month, "bills"), "counted": 1},
                   {"_id": key("$month", "lines_paise"), "counted": {"$ifNull": ["$lines_paise", 0]}},
                   {"_id": due_key("$due_date", " paise"), "counted": waiting},
                   {"_id": due_key("$due_date", " bills"), "counted": waits},
                   {"_id": {"$concat": [by_customer, "paise"]}, "counted": waiting},
                   {"_id": {"$concat": [by_customer, "bills"]}, "counted": waits},
                   {"_id": due_key("$customer_id", " in all"), "counted": waiting}]),
        {"$unionWith": {"coll": bill_tallies.MONTHS, "pipeline": _as_rows(
            [{"_id": {"$concat": ["$_id", f" {field}"]}, "kept": {"$ifNull": [f"${field}", 0]}}
             for field in bill_tallies.MONTH_FIELDS])}},
        {"$unionWith": {"coll": bill_tallies.DUES, "pipeline": _as_rows(
            [{"_id": due_key("$_id", " paise"), "kept": "$paise"},
             {"_id": due_key("$_id", " bills"), "kept": "$bills"}])}},
        {"$unionWith": {"coll": bill_tallies.OWED, "pipeline": [
            {"$project": {"paise": 1, "due": {"$objectToArray": "$dues"}}},
            {"$project": {"row": {"$concatArrays": [
                [{"_id": due_key("$_id", " in all"), "kept": "$paise"}],
                {"$map": {"input": "$due", "in": {"_id": due_key("$_id", " ", "$$this.k", " paise"),
                                                  "kept": "$$this.v.paise"}}},
                {"$map": {"input": "$due", "in": {"_id": due_key("$_id", " ", "$$this.k", " bills"),
                                                  "kept": "$$this.v.bills"}}}]}}},
            {"$unwind": "$row"}, {"$replaceRoot": {"newRoot": "$row"}}]}},
        {"$group": {"_id": "$_id", "counted": {"$sum": "$counted"}, "kept": {"$sum": "$kept"}}},
        {"$match": {"$expr": {"$ne": ["$counted", "$kept"]}}},
        {"$project": {"detail": {"$concat": ["$_id", ": ", {"$toString": "$kept"}, " on the morning page, ",
                                             {"$toString": "$counted"}, " in the bills"]}}},
    ]


CHECKS = (
    Check("deliveries-without-order", "Deliveries without a valid order", "deliveries",
          "Look at the customer's orders and correct the delivery.", "customer", _deliveries_without_order),
    Check("orders-without-customer", "Orders without a customer", "orders",
          "Cancel or stop the order.", "order", _orders_without_customer),
    Check("orders-off-their-round", "Orders whose round differs from their customer's", "orders",
          "Put the customer on his route again: his orders take his round.", "customer", _orders_off_their_round),
    Check("customers-without-login-or-round", "Customers without a login or a delivery boy", "customers",
          "Put the customer on a route, or send him an invite.", "customer", _customers_without_login_or_round),
    Check("logins-without-customer", "Customer logins without a customer", "users",
          "Deactivate the login, or link it to its customer.", "none", _logins_without_customer),
    Check("billed-without-delivery", "Billed lines whose delivery is missing", "bills",
          "Look at the bill; correct it with an adjustment on the next bill.", "bill", _billed_without_delivery),
    Check("bills-not-adding-up", "Bills whose total differs from their lines", "bills",
          "Look at the bill; correct it with an adjustment on the next bill.", "bill", _bills_not_adding_up),
    Check("one-time-unbilled", "One-time orders delivered in a closed month and not billed", "deliveries",
          "Run that month's billing again.", "billing", _one_time_unbilled_in_closed_month),
    Check("payments-not-allocated", "Payments not allocated to bills", "bills",
          "Look at the customer's statement.", "statement", _payments_not_allocated),
    Check("late-requests-past-date", "Open late requests past their date", "change_requests",
          "Apply or dismiss the request.", "late_requests", _late_requests_past_their_date),
    Check("customer-tallies-off", "Customer counts on the morning page that differ from the customers", "customers",
          "Take the tallies again (tallies.rebuild) and find the write that changed customers without them.", "none",
          _customer_tallies_off),
    Check("bill-tallies-off", "Bill sums on the morning page that differ from the bills", "bills",
          "Take the tallies again (bill_tallies.rebuild) and find the write that changed bills without them.", "none",
          _bill_tallies_off),
)
BY_KEY = {check.key: check for check in CHECKS}


def _count(check, today):
    found = list(get_db()[check.collection].aggregate([*check.build(today), {"$count": "n"}]))
    return found[0]["n"] if found else 0


def run_checks(*, actor):
    """Every check with its count: [{"key", "label", "count", "fix"}]; healthy when every count is zero."""
    actor.require(*HEALTH_ROLES)
    today = clock.today()
    return [{"key": check.key, "label": check.label, "count": _count(check, today), "fix": check.fix}
            for check in CHECKS]


def drill_down(key, *, actor):
    """One check: {"key", "label", "fix", "fix_endpoint", "count", "rows": [{_id, customer_id?, bill_id?,
    user_id?, detail}] (at most DRILL_DOWN_LIMIT)}. An unknown check is NotFound."""
    actor.require(*HEALTH_ROLES)
    check = BY_KEY.get(key)
    if check is None:
        raise NotFound("No such check.")
    today = clock.today()
    rows = list(get_db()[check.collection].aggregate([*check.build(today), {"$sort": {"_id": 1}},
                                                      {"$limit": DRILL_DOWN_LIMIT}]))
    return {"key": check.key, "label": check.label, "fix": check.fix, "fix_endpoint": check.fix_endpoint,
            "count": _count(check, today), "rows": rows}
