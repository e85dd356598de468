"""Guard documents, one per (customer, month), that close the race between billing and corrections.

A bill insert and a delivery correction for the same customer and month run in transactions that
each write this customer-month's guard. Snapshot isolation alone would let both commit (they write
different collections); writing one shared document makes MongoDB abort the later one with a write
conflict, and its retry sees the other's result: the correction finds the delivery billed and is
refused, or the billing run finds the delivery changed and rebuilds the bill.
"""
from pymongo import UpdateOne

from webapp.db import get_db


def touch(customer_months, *, session):
    """Write the guard of each (customer_id, month), inside the caller's transaction."""
    keys = sorted({f"{customer_id}:{month}" for customer_id, month in customer_months})
    if keys:
        get_db().billing_guards.bulk_write(
            [UpdateOne({"_id": key}, {"$inc": {"writes": 1}}, upsert=True) for key in keys], session=session)
