"""Issue 17: each order carries its customer's round (`orders.delivery_boy_id`, None when he has no delivery boy), so
a round reads its running subscriptions by (kind, delivery_boy_id) in one index range instead of one index seek per
customer (`$in` over 300 ids cost 450 ms of a 590 ms round on the 10k bench), and its one-time orders of a day by
(kind, delivery_boy_id, delivery_date) rather than every round's. One index serves both: the embedded server uses an
index whose leading fields are exactly the filter's.

`up` creates the index and copies every customer's delivery boy onto his orders: the customers are read once and
their orders set with one UpdateMany per boy and chunk of customers, all in one bulk write."""
from pymongo import ASCENDING as ASC
from pymongo import IndexModel, UpdateMany

from webapp import migrate

INDEXES = {
    "orders": [
        IndexModel([("kind", ASC), ("delivery_boy_id", ASC), ("delivery_date", ASC)], name="kind_round_delivery_date"),
    ],
}
CHUNK = 1000  # customer ids per UpdateMany


def backfill(db):
    """Set each order's delivery_boy_id to its customer's; returns the number of orders changed."""
    by_boy = {}
    for customer in db.customers.find({}, {"delivery_boy_id": 1}):
        by_boy.setdefault(customer.get("delivery_boy_id"), []).append(customer["_id"])
    writes = [UpdateMany({"customer_id": {"$in": ids[start:start + CHUNK]}}, {"$set": {"delivery_boy_id": boy}})
              for boy, ids in by_boy.items() for start in range(0, len(ids), CHUNK)]
    return db.orders.bulk_write(writes, ordered=False).modified_count if writes else 0


def up(db):
    migrate.create_indexes(db, INDEXES)
    backfill(db)


def down(db):
    migrate.drop_indexes(db, INDEXES)
    db.orders.update_many({"delivery_boy_id": {"$exists": True}}, {"$unset": {"delivery_boy_id": ""}})
