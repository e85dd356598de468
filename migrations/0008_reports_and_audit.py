"""The audit browser's filters (webapp/services/audit.py: by action, by kind of record, newest first) and the
supplier's purchases (webapp/services/purchases.py: one record per day and product, read by month)."""
from pymongo import ASCENDING as ASC
from pymongo import DESCENDING as DESC
from pymongo import IndexModel

from webapp import migrate

INDEXES = {
    "audit_log": [
        IndexModel([("action", ASC), ("at", DESC), ("_id", DESC)], name="action_at"),
        IndexModel([("entity", ASC), ("at", DESC), ("_id", DESC)], name="entity_kind_at"),
    ],
    "purchases": [
        IndexModel([("date", ASC), ("product_id", ASC)], name="date_product_unique", unique=True),
        IndexModel([("month", ASC), ("product_id", ASC)], name="month_product"),
    ],
}


def up(db):
    migrate.create_indexes(db, INDEXES)


def down(db):
    migrate.drop_indexes(db, INDEXES)
