"""The one way to write: a unit of work for an explicit actor.

`uow.run(actor, work)` calls `work(u)` inside one MongoDB transaction. Every write goes through
`u.db.<collection>` (each call carries the transaction's session) or `u.defer(model)` (sent together
in one round trip at the end), and every audit entry through `u.record(...)`; the entries are
inserted in the same transaction, so a change and its audit entry
commit together or not at all. A transient error (a write conflict with another unit of work)
runs `work` again from the start, so `work` must not act outside the database.

A service entry point called while another unit of work is open joins it: approving a pause
request pauses every subscription through `orders.pause`, and all of it is one transaction.
Without an `Actor` there is no unit of work, so there is no write without one.
"""
import contextvars

from pymongo import InsertOne
from pymongo.errors import ConnectionFailure

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
    def __init__(self, actor, session, entries, deferred):
        self.actor = actor
        self.session = session
        self.db = _Database(self)
        self._entries = entries  # shared with the units that join this one
        self._deferred = deferred
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
        return ids.new_ids(prefix, 1, day)[0]

    def new_ids(self, prefix, count, day=None):
        """`count` ids as `new_id` gives them, in one round trip."""
        return ids.new_ids(prefix, count, day)

    def defer(self, model):
        """A write (a pymongo client-level model: InsertOne/UpdateOne/… with `namespace=u.namespace(name)`) sent
        with the audit entries in one round trip when the unit of work ends."""
        self.check_open()
        self._deferred.append(model)

    def namespace(self, collection):
        """'db.collection', for deferred models."""
        return f"{get_db().name}.{collection}"

    def _flush(self):
        """The deferred writes and every audit entry, in one round trip, just before the commit."""
        audit_log = self.namespace("audit_log")
        models = self._deferred + [InsertOne(namespace=audit_log, document=entry) for entry in self._entries]
        self._deferred.clear()
        self._entries.clear()
        if models:
            get_client().bulk_write(models, session=self.session, ordered=True)


def run(actor, work):
    """Run `work(u)` as one transaction for `actor`; returns what `work` returns.

    Inside another unit of work, `work` joins it (same transaction, its own actor on its entries).
    """
    if not isinstance(actor, Actor):
        raise TypeError("a unit of work needs an Actor")
    outer = _current.get()
    if outer is not None:
        outer.check_open()
        joined = UnitOfWork(actor, outer.session, outer._entries, outer._deferred)
        token = _current.set(joined)
        try:
            return work(joined)
        finally:
            _current.reset(token)

    def attempt(session):
        unit = UnitOfWork(actor, session, [], [])
        token = _current.set(unit)
        try:
            result = work(unit)
            unit._flush()
            return result
        except ConnectionFailure as error:
            # A lost server is no write conflict: fail now (the request answers 503) rather than let
            # with_transaction retry the "transient" error for two minutes.
            raise ConnectionFailure(f"database unavailable: {error}") from error
        finally:
            unit._open = False
            _current.reset(token)

    with get_client().start_session() as session:
        return session.with_transaction(attempt)
