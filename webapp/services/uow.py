"""The one way to write: a unit of work for an explicit actor.

`uow.run(actor, work)` calls `work(u)` inside one MongoDB transaction. Every write goes through
`u.db.<collection>` (each call carries the transaction's session) and every audit entry through
`u.record(...)`; the entries are inserted in the same transaction, so a change and its audit entry
commit together or not at all. A transient error (a write conflict with another unit of work)
runs `work` again from the start, so `work` must not act outside the database.

A service entry point called while another unit of work is open joins it: approving a pause
request pauses every subscription through `orders.pause`, and all of it is one transaction.
Without an `Actor` there is no unit of work, so there is no write without one.
"""
import contextvars

from pymongo import InsertOne

from webapp import clock
from webapp.db import get_client, get_db
from webapp.services import Actor, ids

_current = contextvars.ContextVar("unit_of_work", default=None)


class _Collection:
    """A collection whose every call runs inside the unit of work's transaction."""

    __slots__ = ("_collection", "_uow")

    def __init__(self, collection, uow):
        self._collection = collection
        self._uow = uow

    def __getattr__(self, name):
        method = getattr(self._collection, name)
        if not callable(method):
            return method

        def call(*args, **kwargs):
            self._uow.check_open()
            return method(*args, session=self._uow.session, **kwargs)

        return call


class _Database:
    """`u.db.orders`: the app's database, bound to the unit of work."""

    __slots__ = ("_uow",)

    def __init__(self, uow):
        self._uow = uow

    def __getattr__(self, name):
        return _Collection(get_db()[name], self._uow)

    def __getitem__(self, name):
        return _Collection(get_db()[name], self._uow)


class UnitOfWork:
    def __init__(self, actor, session, entries):
        self.actor = actor
        self.session = session
        self.db = _Database(self)
        self._entries = entries  # shared with the units that join this one
        self._open = True

    def check_open(self):
        if not self._open:
            raise RuntimeError("this unit of work has ended; open a new one with uow.run")

    def record(self, action, entity, entity_id, summary, *, changes=None):
        """An audit entry (who did what to which record, when, from where), written with the change."""
        self.check_open()
        entry = {
            "at": clock.now(),
            "actor": self.actor.as_doc(),
            "ip": self.actor.ip,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "summary": summary,
        }
        if changes:
            entry["changes"] = changes
        self._entries.append(entry)
        return entry

    def new_id(self, prefix, day=None):
        """`PREFIX-YYYYMMDD-NNNN`. The counter moves outside the transaction (a hot document every unit
        would otherwise conflict on); a unit that fails leaves a gap, which only bills may not have
        (they number inside the transaction: `ids.new_bill_ids`)."""
        return ids.new_id(prefix, day)

    def bulk_write(self, models):
        """Several collections' writes, and the audit entries recorded so far, in one round trip."""
        self.check_open()
        audit_ns = f"{get_db().name}.audit_log"
        models = list(models) + [InsertOne(namespace=audit_ns, document=entry) for entry in self._entries]
        self._entries.clear()
        if not models:
            return None
        return get_client().bulk_write(models, session=self.session, ordered=True)

    def namespace(self, collection):
        """'db.collection', for the models of `bulk_write`."""
        return f"{get_db().name}.{collection}"

    def _flush(self):
        if self._entries:
            get_db().audit_log.insert_many(self._entries, session=self.session)
            self._entries.clear()


def run(actor, work):
    """Run `work(u)` as one transaction for `actor`; returns what `work` returns.

    Inside another unit of work, `work` joins it (same transaction, its own actor on its entries).
    """
    if not isinstance(actor, Actor):
        raise TypeError("a unit of work needs an Actor")
    outer = _current.get()
    if outer is not None:
        outer.check_open()
        joined = UnitOfWork(actor, outer.session, outer._entries)
        token = _current.set(joined)
        try:
            return work(joined)
        finally:
            _current.reset(token)

    def attempt(session):
        unit = UnitOfWork(actor, session, [])
        token = _current.set(unit)
        try:
            result = work(unit)
            unit._flush()
            return result
        finally:
            unit._open = False
            _current.reset(token)

    with get_client().start_session() as session:
        return session.with_transaction(attempt)


def current():
    """The open unit of work, or None."""
    return _current.get()
