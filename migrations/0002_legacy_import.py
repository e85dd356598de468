"""Indexes of the legacy import: what an earlier run imported is found by `legacy_id` (webapp/legacy/run.py),
and undo finds every imported document by `source`."""
from pymongo import ASCENDING as ASC
from pymongo import DESCENDING as DESC
from pymongo import IndexModel

from webapp import migrate

IMPORTED = {"legacy_id": {"$exists": True}}
INDEXES = {
    **{collection: [IndexModel([("source", ASC), ("legacy_id", ASC)], name="legacy_import",
                               partialFilterExpression=IMPORTED)]
       for collection in ("products", "users", "customers", "orders", "deliveries", "bills", "payments")},
    "unmatched_legacy_deliveries": [IndexModel([("legacy_id", ASC)], name="legacy_id"),
                                    IndexModel([("import_id", ASC)], name="import_id")],
    "import_reports": [IndexModel([("started_at", DESC)], name="started_at")],
}


def up(db):
    migrate.create_indexes(db, INDEXES)


def down(db):
    migrate.drop_indexes(db, INDEXES)
