"""Readable, sortable IDs from atomic counters.

`PREFIX-YYYYMMDD-NNNN` per prefix and business day; products `PR-NNNN`; bills
`BI-YYYYMM-NNNN`. NNNN has at least four digits and widens past 9999, never wraps.
"""
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from webapp import clock
from webapp.db import get_db


def next_sequence(key, *, session=None, count=1):
    """The next integer of counter `key` (1, 2, …), atomic across processes.

    `count` > 1 takes that many consecutive integers at once and returns the last of them.

    The counter document is created first (a duplicate insert is ignored), then `$inc`
    without upsert: an upserting find_one_and_update that races on a missing document
    can answer None on the embedded server even though it applied the increment.
    The creation runs outside `session`: a duplicate-key error inside a transaction
    would abort it.
    """
    counters = get_db().counters
    try:
        counters.insert_one({"_id": key, "seq": 0})
    except DuplicateKeyError:
        pass
    doc = counters.find_one_and_update(
        {"_id": key}, {"$inc": {"seq": count}}, return_document=ReturnDocument.AFTER, session=session
    )
    return doc["seq"]


def format_id(prefix, stamp, seq):
    return f"{prefix}-{stamp}-{seq:04d}" if stamp else f"{prefix}-{seq:04d}"


def new_id(prefix, day=None, *, session=None):
    """`PREFIX-YYYYMMDD-NNNN` for `day` (default: today in business time)."""
    stamp = (day or clock.today()).strftime("%Y%m%d")
    return format_id(prefix, stamp, next_sequence(f"{prefix}-{stamp}", session=session))


def new_product_id(*, session=None):
    return format_id("PR", None, next_sequence("PR", session=session))


def new_bill_id(month, *, session=None):
    """`BI-YYYYMM-NNNN`; call it inside the transaction that inserts the bill, so numbers have no gaps."""
    stamp = month.replace("-", "")
    return format_id("BI", stamp, next_sequence(f"BI-{stamp}", session=session))


def new_bill_ids(month, count, *, session=None):
    """`count` consecutive bill numbers in one step, for bills inserted together in `session`'s transaction."""
    stamp = month.replace("-", "")
    last = next_sequence(f"BI-{stamp}", session=session, count=count)
    return [format_id("BI", stamp, seq) for seq in range(last - count + 1, last + 1)]
