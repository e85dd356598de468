"""The owner's morning page (services/dashboard.py, trends.py): the indexes its aggregations start from.
`daily_totals` is keyed by its business day (`_id`), so it needs none of its own."""
from pymongo import ASCENDING as ASC
from pymongo import IndexModel

from webapp import migrate

INDEXES = {
    # Which closed days changed since their totals were taken (a staff correction of a past day).
    "deliveries": [IndexModel([("updated_at", ASC), ("date", ASC)], name="updated_date")],
    # New customers per week.
    "customers": [IndexModel([("created_at", ASC)], name="created_at")],
    # Collections per week and this month.
    "payments": [IndexModel([("received_on", ASC)], name="received_on")],
    # Billed this month.
    "bills": [IndexModel([("issued_at", ASC)], name="issued_at")],
}


def up(db):
    migrate.create_indexes(db, INDEXES)


def down(db):
    migrate.drop_indexes(db, INDEXES)
