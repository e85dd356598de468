"""Guard documents, one per (customer, month), that close the race between billing and corrections.

Shape: `{_id: key(customer_id, month), customer_id, month, writes, billed_at}`.
Every delivery confirmation or correction counts itself on its customer-month guard (`$inc writes`,
upsert, `$setOnInsert` customer_id and month) inside its unit of work. A billing run notes the counts
before it reads the month's deliveries, and each bill unit of work checks its customers' counts and
writes their guards too:
- a correction made after the run read the deliveries shows as a changed count: the bill is rebuilt;
- a correction overlapping the bill transaction writes the same document, so MongoDB aborts the later
  of the two with a write conflict, and its retry sees the other's result (snapshot isolation alone
  would let both commit, as they write different collections).
"""
from pymongo import UpdateOne

from webapp import clock
from webapp.db import get_db


def key(customer_id, month):
    """The guard's `_id`: "CU-…:YYYY-MM"."""
    return f"{customer_id}:{month}"


def count_delivery_write(customer_id, month, *, namespace):
    """The write a confirmation defers into its unit of work: one more write to this customer's deliveries of
    `month` (a client-level model for `namespace`, the guards collection's)."""
    return UpdateOne({"_id": key(customer_id, month)},
                     {"$inc": {"writes": 1}, "$setOnInsert": {"customer_id": customer_id, "month": month}},
                     upsert=True, namespace=namespace)


def counts(month, customer_ids=None):
    """{customer_id: writes} for `month` (all customers, or the given ones)."""
    query = {"month": month}
    if customer_ids is not None:
        query["_id"] = {"$in": [key(customer_id, month) for customer_id in customer_ids]}
    return {g["customer_id"]: g["writes"] for g in get_db().billing_guards.find(query, {"customer_id": 1, "writes": 1})}


def written_up_to(month):
    """True if a delivery of `month` or before was confirmed or corrected (a guard of such a month exists)."""
    return get_db().billing_guards.find_one({"month": {"$lte": month}}, {"_id": 1}) is not None


def hold_for_billing(u, customer_ids, month, expected):
    """Inside a bill's unit of work `u`: write these customers' guards; False if any count moved from `expected`.
    The guards noted in `expected` are written by one update; a guard missing from it is inserted, so one a
    confirmation created since fails the unit with a duplicate key, as a moved count would."""
    customer_ids = sorted(set(customer_ids))
    now = clock.now()
    noted = [customer_id for customer_id in customer_ids if customer_id in expected]
    if noted:
        keys = [key(customer_id, month) for customer_id in noted]
        u.db.billing_guards.update_many({"_id": {"$in": keys}}, {"$set": {"billed_at": now}})
        current = {g["customer_id"]: g["writes"]
                   for g in u.db.billing_guards.find({"_id": {"$in": keys}}, {"customer_id": 1, "writes": 1})}
        if any(current.get(customer_id) != expected[customer_id] for customer_id in noted):
            return False
    missing = [customer_id for customer_id in customer_ids if customer_id not in expected]
    if missing:
        u.db.billing_guards.insert_many([{"_id": key(customer_id, month), "customer_id": customer_id, "month": month,
                                          "writes": 0, "billed_at": now} for customer_id in missing])
    return True
