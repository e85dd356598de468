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

    Outside a transaction, one round trip once the counter exists: `$inc` without upsert, and only when
    that finds no document is it created (a duplicate insert is ignored) and incremented again; an upserting
    find_one_and_update that races on a missing document can answer None on the embedded server.
    Inside a transaction (`session`) the counter is created first, outside it: the transaction would not see
    a document created after its snapshot, and a duplicate-key error inside it would abort it.
    """
    counters = get_db().counters
    increment = {"$inc": {"seq": count}}
    if session is not None:
        if counters.find_one({"_id": key}, {"_id": 1}) is None:  # a read: a refused insert costs a write's sync
            _create(counters, key)
        return counters.find_one_and_update({"_id": key}, increment, return_document=ReturnDocument.AFTER,
                                            session=session)["seq"]
    doc = counters.find_one_and_update({"_id": key}, increment, return_document=ReturnDocument.AFTER)
    if doc is None:
        _create(counters, key)
        doc = counters.find_one_and_update({"_id": key}, increment, return_document=ReturnDocument.AFTER)
    return doc["seq"]


def _create(counters, key):
    try:
        counters.insert_one({"_id": key, "seq": 0})
    except DuplicateKeyError:
        pass


def format_id(prefix, stamp, seq):
    return f"{prefix}-{stamp}-{seq:04d}" if stamp else f"{prefix}-{seq:04d}"


def new_ids(prefix, count, day=None):
    """`count` consecutive `PREFIX-YYYYMMDD-NNNN` for `day` (default: today in business time), one round trip."""
    stamp = (day or clock.today()).strftime("%Y%m%d")
    last = next_sequence(f"{prefix}-{stamp}", count=count)
    return [format_id(prefix, stamp, seq) for seq in range(last - count + 1, last + 1)]


def new_id(prefix, day=None):
    """`PREFIX-YYYYMMDD-NNNN` for `day` (default: today in business time)."""
    return new_ids(prefix, 1, day)[0]


def new_product_id():
    return format_id("PR", None, next_sequence("PR"))


def new_bill_ids(uow, month, count):
    """`count` consecutive `BI-YYYYMM-NNNN` numbers, taken inside `uow`'s transaction so that a bill
    that is not issued consumes no number. Call it first in the transaction: a missing counter is
    created outside it, and must exist before the transaction's first read fixes its snapshot."""
    stamp = month.replace("-", "")
    last = next_sequence(f"BI-{stamp}", session=uow.session, count=count)
    return [format_id("BI", stamp, seq) for seq in range(last - count + 1, last + 1)]
