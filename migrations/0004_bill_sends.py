"""Bills sent on WhatsApp (webapp/services/bill_sending.py): one document per bill (`_id` = the bill id), listed
by month on the staff's "send all bills" page."""
from pymongo import ASCENDING as ASC
from pymongo import IndexModel

from webapp import migrate

INDEXES = {
    "bill_sends": [
        IndexModel([("month", ASC)], name="month"),
    ],
}


def up(db):
    migrate.create_indexes(db, INDEXES)


def down(db):
    migrate.drop_indexes(db, INDEXES)
