"""Readable, sortable IDs from atomic counters.

`PREFIX-YYYYMMDD-NNNN` per prefix and business day; products `PR-NNNN`; bills
`BI-YYYYMM-NNNN`. NNNN has at least four digits and widens past 9999, never wraps.
"""
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from webapp import clock
from webapp.db import get_db


def next_sequence(key, *, session=None, count=1):
    """The last of the next `count` integers of counter `key` (1, 2, …), atomic across processes.

    One round trip once the counter exists: `$inc` without upsert, and only when that finds no
    document is it created (a duplicate insert is ignored) and incremented again. An upserting
    find_one_and_update that races on a missing document can answer None on the embedded server.
    The creation runs outside `session`: a duplicate-key error inside a transaction would abort it.
    """
    counters = get_db().counters
    doc = counters.find_one_and_update({"_id": key}, {"$inc": {"seq": count}},
                                       return_document=ReturnDocument.AFTER, session=session)
    if doc is None:
        try:
            counters.insert_one({"_id": key, "seq": 0})
        except DuplicateKeyError:
            pass
        doc = counters.find_one_and_update({"_id": key}, {"$inc": {"seq": count}},
                                           return_document=ReturnDocument.AFTER, session=session)
    return doc["seq"]


def format_id(prefix, stamp, seq):
    return f"{prefix}-{stamp}-{seq:04d}" if stamp else f"{prefix}-{seq:04d}"


def new_id(prefix, day=None):
    """`PREFIX-YYYYMMDD-NNNN` for `day` (default: today in business time)."""
    stamp = (day or clock.today()).strftime("%Y%m%d")
    return format_id(prefix, stamp, next_sequence(f"{prefix}-{stamp}"))


def new_product_id():
    return format_id("PR", None, next_sequence("PR"))


def new_bill_ids(uow, month, count):
    """`count` consecutive `BI-YYYYMM-NNNN` numbers, taken inside `uow`'s transaction so that a bill
    that is not issued consumes no number. Call it first in the transaction: the counter document
    is created outside it, and must exist before the transaction's first read fixes its snapshot."""
    stamp = month.replace("-", "")
    last = next_sequence(f"BI-{stamp}", session=uow.session, count=count)
    return [format_id("BI", stamp, seq) for seq in range(last - count + 1, last + 1)]
