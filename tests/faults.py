"""Fault injection for units of work: fail right after the n-th write of a unit of work, and compare
the whole database before and after; or kill the worker there (`killed_after`, `kill_at_each_write`) and
check that running again finishes the work with nothing lost and nothing doubled.

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


class WorkerKilled(BaseException):
    """The process died right after a write: no `except Exception` handler runs, nothing records the failure
    (the open transaction is aborted, as the server does when the connection drops)."""


@contextlib.contextmanager
def _on_each_unit_end(after_unit):
    """`after_unit()` once a unit of work has sent its last writes, just before its commit."""
    unit_flush = uow_module.UnitOfWork._flush

    def flush(self):
        unit_flush(self)
        after_unit()

    uow_module.UnitOfWork._flush = flush
    try:
        yield
    finally:
        uow_module.UnitOfWork._flush = unit_flush


@contextlib.contextmanager
def killed_after(n, *, unit=False):
    """The n-th write (1-based) inside units of work happens, then the worker is killed (WorkerKilled).
    `unit=True`: killed at the end of the n-th unit of work instead, before its commit — as if killed between
    that unit and the one before (a unit is all or nothing: a kill anywhere inside it is the same)."""
    seen = [0]

    def after_write():
        seen[0] += 1
        if seen[0] == n:
            raise WorkerKilled(f"killed after {'unit' if unit else 'write'} {n}")

    with (_on_each_unit_end if unit else _on_each_write)(after_write):
        yield


def kill_at_each_write(db, operation, check, *, unit=False, expect_writes_at_least=2):
    """For n = 1, 2, …: from the same starting state (counters included), kill `operation` after its n-th write
    (its n-th unit of work with `unit=True`), then `check(n)` (which re-runs what is left and asserts the
    outcome); until `operation` finishes unkilled. The database is left as the unkilled run made it. Returns
    how many writes (units) were killed after."""
    start = copy_of(db)
    n = 1
    while True:
        put_back(db, start)
        try:
            with killed_after(n, unit=unit):
                operation()
        except WorkerKilled:
            check(n)
            n += 1
            continue
        break
    assert n - 1 >= expect_writes_at_least, f"only {n - 1} writes: not a multi-write operation"
    return n - 1


def copy_of(db):
    """Every document of every collection, counters included (to start again from the very same state)."""
    return {name: list(db[name].find()) for name in db.list_collection_names() if name != "migrations"}


def put_back(db, copy):
    """The database as `copy_of` saw it (indexes stay)."""
    for name in db.list_collection_names():
        if name != "migrations":
            db[name].delete_many({})
    for name, docs in copy.items():
        if docs:
            db[name].insert_many(docs)


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
