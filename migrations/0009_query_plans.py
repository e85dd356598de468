"""Indexes the query-plan test (tests/test_query_plans.py) found missing. The embedded server uses an index only
when the filter's fields are a prefix of it (an `$in` only beside equalities), so each answers a service query whole:
- orders (kind, customer_id): the running subscriptions of a round's customers (rounds.orders_for_day);
- orders (kind, start_date): the subscriptions of a month being billed (billing, paused and skipped days);
- adjustments (_id, bill_id): a bill takes an adjustment only while no other bill has (billing._issue_bills);
- orders (customer_id, kind, delivery_date): a customer's one-time orders of a month (calendar);
- change_requests (customer_id, status, date): a customer's open late requests of a month (calendar);
- change_requests (date, customer_id): the late requests at a round's doors (late_requests.late_requests_for, once
  it asks by date and customers and checks the status itself)."""
from pymongo import ASCENDING as ASC
from pymongo import IndexModel

from webapp import migrate

INDEXES = {
    "orders": [
        IndexModel([("kind", ASC), ("customer_id", ASC)], name="kind_customer"),
        IndexModel([("kind", ASC), ("start_date", ASC)], name="kind_start"),
        IndexModel([("customer_id", ASC), ("kind", ASC), ("delivery_date", ASC)], name="customer_kind_delivery_date"),
    ],
    "change_requests": [
        IndexModel([("customer_id", ASC), ("status", ASC), ("date", ASC)], name="customer_status_date"),
        IndexModel([("date", ASC), ("customer_id", ASC)], name="date_customer"),
    ],
    "adjustments": [
        IndexModel([("_id", ASC), ("bill_id", ASC)], name="id_bill"),
    ],
}


def up(db):
    migrate.create_indexes(db, INDEXES)


def down(db):
    migrate.drop_indexes(db, INDEXES)
