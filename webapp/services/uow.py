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

A unit that changes what is due on some day (orders, customers, area skips) also moves the plan version in its
transaction, so a day's plan kept in a process (`day_plan`) is rebuilt on the next read in every process.
"""
import contextvars
import uuid

from pymongo import InsertOne, UpdateMany, UpdateOne
from pymongo.errors import ConnectionFailure, DuplicateKeyError

from webapp import clock
from webapp.db import get_client, get_db
from webapp.services import Actor, ids

_current = contextvars.ContextVar("unit_of_work", default=None)

PLAN_VERSION = "plan_version"  # its `counters` document: {"epoch", "value"}
# What is due on a day is read from these collections alone (area skips and holds are copied onto the orders).
PLAN_COLLECTIONS = {"orders", "customers", "area_skips"}
# Fields every tap writes that leave what is due as it was: a customer's bottle count, and a one-time order's status
# following its delivery (any status but a delivery's result does change it).
LIVE_FIELDS = {"customers": {"bottles_out", "updated_at"}, "orders": {"status", "updated_at"}}
DELIVERY_RESULTS = {"DELIVERED", "PARTIALLY_DELIVERED", "NOT_DELIVERED"}
WRITE_METHODS = {"insert_one", "insert_many", "update_one", "update_many", "replace_one", "delete_one", "delete_many",
                 "find_one_and_update", "find_one_and_replace", "find_one_and_delete", "bulk_write"}
UPDATE_METHODS = {"update_one", "update_many", "find_one_and_update"}


def changes_plan(collection, update=None):
    """True when a write to `collection` may change what is due on some day. `update`: the update document of an
    update (None for an insert, a replacement or a delete)."""
    if collection not in PLAN_COLLECTIONS:
        return False
    if not isinstance(update, dict) or not update or not all(operator.startswith("$") for operator in update):
        return True
    fields = {field.split(".")[0] for operation in update.values() for field in operation}
    if not fields <= LIVE_FIELDS.get(collection, set()):
        return True
    return "status" in fields and update.get("$set", {}).get("status") not in DELIVERY_RESULTS


def _model_changes_plan(model, collection):
    """changes_plan for a pymongo write model (collection-level, or client-level with its namespace)."""
    namespace = getattr(model, "_namespace", None)
    if namespace:
        collection = namespace.split(".", 1)[1]
    return changes_plan(collection, model._doc if isinstance(model, (UpdateOne, UpdateMany)) else None)


def plan_version():
    """(epoch, value) of the plan version, one round trip; None when this call had to create it (what is read with
    it may miss a unit already under way, so it is not to be kept). A fresh epoch each time the document is created
    keeps plans of an emptied database apart."""
    counters = get_db().counters
    found = counters.find_one({"_id": PLAN_VERSION})
    if found is not None:
        return found["epoch"], found["value"]
    try:
        counters.insert_one({"_id": PLAN_VERSION, "epoch": uuid.uuid4().hex, "value": 0})
    except DuplicateKeyError:
        pass
    return None


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
            if name in WRITE_METHODS:
                self._uow.note_write(self._collection.name, name, args, kwargs)
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
    def __init__(self, actor, session, entries, deferred, plan_changes):
        self.actor = actor
        self.session = session
        self.db = _Database(self)
        self._entries = entries  # shared with the units that join this one
        self._deferred = deferred
        self._plan_changes = plan_changes  # the collections written that change what is due
        self._open = True

    def check_open(self):
        if not self._open:
            raise RuntimeError("this unit of work has ended; open a new one with uow.run")

    def note_write(self, collection, method, args, kwargs):
        """Remember a write through `u.db` that changes what is due (see changes_plan)."""
        if method == "bulk_write":
            requests = args[0] if args else kwargs.get("requests", [])
            if any(_model_changes_plan(model, collection) for model in requests):
                self._plan_changes.add(collection)
            return
        update = (args[1] if len(args) > 1 else kwargs.get("update")) if method in UPDATE_METHODS else None
        if changes_plan(collection, update):
            self._plan_changes.add(collection)

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
        if _model_changes_plan(model, None):
            self._plan_changes.add(model._namespace.split(".", 1)[1])
        self._deferred.append(model)

    def namespace(self, collection):
        """'db.collection', for deferred models."""
        return f"{get_db().name}.{collection}"

    def _flush(self):
        """The deferred writes, every audit entry and the plan version's move, in one round trip, just before the
        commit."""
        audit_log = self.namespace("audit_log")
        models = self._deferred + [InsertOne(namespace=audit_log, document=entry) for entry in self._entries]
        if self._plan_changes:
            # No upsert: until plan_version has created the document, no plan is kept to be made stale.
            models.append(UpdateOne({"_id": PLAN_VERSION}, {"$inc": {"value": 1}},
                                    namespace=self.namespace("counters")))
        self._deferred.clear()
        self._entries.clear()
        self._plan_changes.clear()
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
        joined = UnitOfWork(actor, outer.session, outer._entries, outer._deferred, outer._plan_changes)
        token = _current.set(joined)
        try:
            return work(joined)
        finally:
            _current.reset(token)

    def attempt(session):
        unit = UnitOfWork(actor, session, [], [], set())
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
