"""Bill questions (webapp/services/bill_questions.py): one open question per bill line (`open_key`, set only
while open), a bill's questions in order, and the staff's queue of open ones."""
from pymongo import ASCENDING as ASC
from pymongo import IndexModel

from webapp import migrate

INDEXES = {
    "bill_questions": [
        IndexModel([("open_key", ASC)], name="open_line_unique", unique=True,
                   partialFilterExpression={"open_key": {"$type": "string"}}),
        IndexModel([("bill_id", ASC), ("created_at", ASC)], name="bill_created"),
        IndexModel([("status", ASC), ("created_at", ASC)], name="status_created"),
    ],
}


def up(db):
    migrate.create_indexes(db, INDEXES)


def down(db):
    migrate.drop_indexes(db, INDEXES)
