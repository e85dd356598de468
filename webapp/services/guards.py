"""Guard documents, one per (customer, month), that close the race between billing and corrections.

Every delivery confirmation or correction counts itself on its customer-month guard (`writes`),
inside its transaction. A billing run notes the counts before it reads the month's deliveries, and
each bill transaction checks its customers' counts and writes their guards too:
- a correction made after the run read the deliveries shows as a changed count: the bill is rebuilt;
- a correction overlapping the bill transaction writes the same document, so MongoDB aborts the later
  of the two with a write conflict, and its retry sees the other's result (snapshot isolation alone
  would let both commit, as they write different collections).
"""
from pymongo import UpdateOne

from webapp import clock
from webapp.db import get_db


def _key(customer_id, month):
    return f"{customer_id}:{month}"


def count_delivery_write(customer_id, month, *, session):
    """Inside a confirmation's transaction: one more write to this customer's deliveries of `month`."""
    get_db().billing_guards.update_one(
        {"_id": _key(customer_id, month)},
        {"$inc": {"writes": 1}, "$setOnInsert": {"customer_id": customer_id, "month": month}},
        upsert=True, session=session)


def counts(month, customer_ids=None):
    """{customer_id: writes} for `month` (all customers, or the given ones)."""
    query = {"month": month}
    if customer_ids is not None:
        query["_id"] = {"$in": [_key(customer_id, month) for customer_id in customer_ids]}
    return {g["customer_id"]: g["writes"] for g in get_db().billing_guards.find(query, {"customer_id": 1, "writes": 1})}


def hold_for_billing(customer_ids, month, expected, *, session):
    """Inside a bill transaction: write these customers' guards; False if any count moved from `expected`."""
    db = get_db()
    customer_ids = sorted(set(customer_ids))
    now = clock.now()
    db.billing_guards.bulk_write(
        [UpdateOne({"_id": _key(customer_id, month)},
                   {"$set": {"billed_at": now},
                    "$setOnInsert": {"customer_id": customer_id, "month": month, "writes": 0}}, upsert=True)
         for customer_id in customer_ids], session=session)
    keys = [_key(customer_id, month) for customer_id in customer_ids]
    current = {g["customer_id"]: g["writes"]
               for g in db.billing_guards.find({"_id": {"$in": keys}}, {"customer_id": 1, "writes": 1}, session=session)}
    return all(current.get(customer_id, 0) == expected.get(customer_id, 0) for customer_id in customer_ids)
