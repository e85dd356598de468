"""Fault injection for units of work: fail right after the n-th write of a unit of work, and compare
the whole database before and after.

    result, writes = assert_all_or_nothing(db, lambda: area_skips.skip_area(..., actor=admin))
    # a fault after each of its `writes` writes left the database exactly as before;
    # the last run, without a fault, committed: now assert everything is there, audit entries included.
"""
import contextlib

from webapp.services import uow as uow_module

WRITE_METHODS = frozenset({"insert_one", "insert_many", "update_one", "update_many", "replace_one", "delete_one",
                           "delete_many", "find_one_and_update", "find_one_and_replace", "find_one_and_delete",
                           "bulk_write"})
# Counters move outside transactions by design (a failed unit leaves a gap in a sequence).
IGNORED = {"counters", "migrations"}


class InjectedFault(Exception):
    """Raised by the test right after a write, as if the process had failed there."""


@contextlib.contextmanager
def _on_each_write(after_write):
    collection_getattr = uow_module._Collection.__getattr__
    unit_flush = uow_module.UnitOfWork._flush

    def getattr_(self, name):
        method = collection_getattr(self, name)
        if name not in WRITE_METHODS:
            return method

        def call(*args, **kwargs):
            result = method(*args, **kwargs)
            after_write()
            return result

        return call

    def flush(self):
        had_writes = bool(self._entries or self._deferred)
        unit_flush(self)
        if had_writes:
            after_write()

    uow_module._Collection.__getattr__ = getattr_
    uow_module.UnitOfWork._flush = flush
    try:
        yield
    finally:
        uow_module._Collection.__getattr__ = collection_getattr
        uow_module.UnitOfWork._flush = unit_flush


@contextlib.contextmanager
def failing_after(n):
    """The n-th write (1-based) inside units of work happens, then InjectedFault is raised."""
    seen = [0]

    def after_write():
        seen[0] += 1
        if seen[0] == n:
            raise InjectedFault(f"after write {n}")

    with _on_each_write(after_write):
        yield


def snapshot(db):
    """Every document of every collection (but counters and migrations), in a comparable form."""
    return {name: sorted((repr(sorted(doc.items())) for doc in db[name].find()))
            for name in sorted(db.list_collection_names()) if name not in IGNORED}


def assert_all_or_nothing(db, operation, *, expect_writes_at_least=2):
    """Fail `operation` after each of its writes in turn: each time the database is as before.
    Then run it without a fault and return its result. `operation` must be repeatable from the same state
    (it is only ever applied once for real, at the end)."""
    before = snapshot(db)
    # Fail after write 1, 2, … until a run completes: that run is the real one.
    n = 1
    while True:
        try:
            with failing_after(n):
                result = operation()
        except InjectedFault:
            assert snapshot(db) == before, f"a fault after write {n} left a partial change"
            n += 1
            continue
        break
    assert n - 1 >= expect_writes_at_least, f"only {n - 1} writes: not a multi-write operation"
    return result, n - 1
