"""Issue 18: bottles out with each customer (one lot per customer and delivery day, charged at most once), cash
collected at the door waiting for its handover (one handover per boy and business day)."""
from pymongo import ASCENDING as ASC
from pymongo import IndexModel

from webapp import migrate

INDEXES = {
    "bottle_lots": [
        IndexModel([("customer_id", ASC), ("date", ASC)], name="customer_date"),
    ],
    "adjustments": [
        # A bottle lot's charge is one adjustment, whoever runs the charge and however often.
        IndexModel([("bottle_lot_id", ASC)], name="bottle_lot_unique", unique=True,
                   partialFilterExpression={"bottle_lot_id": {"$type": "string"}}),
    ],
    "payments": [
        IndexModel([("collected_by", ASC), ("handover_id", ASC)], name="collected_by_handover",
                   partialFilterExpression={"collected_by": {"$type": "string"}}),
    ],
    "cash_handovers": [
        IndexModel([("delivery_boy_id", ASC), ("confirmed_at", ASC)], name="boy_confirmed_at"),
    ],
}


def up(db):
    migrate.create_indexes(db, INDEXES)


def down(db):
    migrate.drop_indexes(db, INDEXES)
