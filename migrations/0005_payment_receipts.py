"""Payments the office can trust (webapp/services/payments.py): a receipt number is issued once, and a payment is
voided at most once (a void is its own payment entry naming the one it voids)."""
from pymongo import ASCENDING as ASC
from pymongo import IndexModel

from webapp import migrate

STRING = {"$type": "string"}

INDEXES = {
    "payments": [
        IndexModel([("receipt_number", ASC)], name="receipt_number_unique", unique=True,
                   partialFilterExpression={"receipt_number": STRING}),
        IndexModel([("voids", ASC)], name="voids_unique", unique=True, partialFilterExpression={"voids": STRING}),
    ],
}


def up(db):
    migrate.create_indexes(db, INDEXES)


def down(db):
    migrate.drop_indexes(db, INDEXES)
