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
transaction, and notes beside it which customers and orders it wrote, so a day's plan kept in a process (`day_plan`)
is brought up to date on the next read in every process by reading those customers again (`plan_changes`).
"""
import contextvars
import uuid

from pymongo import DeleteMany, DeleteOne, InsertOne, UpdateMany, UpdateOne
from pymongo.errors import ConnectionFailure, DuplicateKeyError

from webapp import clock
from webapp.db import get_client, get_db
from webapp.services import Actor, ids

_current = contextvars.ContextVar("unit_of_work", default=None)

PLAN_VERSION = "plan_version"  # its `counters` document: {"epoch", "value", "changes": [what each unit wrote]}
# What is due on a day is read from these collections alone (area skips and holds are copied onto the orders).
PLAN_COLLECTIONS = {"orders", "customers", "area_skips"}
# The only fields of a customer the plan reads: his round and his area (not his name, stop number or bottles).
CUSTOMER_PLAN_FIELDS = {"delivery_boy_id", "area"}
# Fields every tap writes to an order that leave what is due as it was: a one-time order's status following its
# delivery (any status but a delivery's result does change it).
LIVE_ORDER_FIELDS = {"status", "updated_at"}
PLAN_CHANGES_KEPT = 64  # units of work whose writes the version document remembers: a plan older than that is rebuilt
PLAN_CHANGE_LIMIT = 200  # customers and orders one unit may note; more (an import) is noted as everything
DELETES = {"delete_one", "delete_many", "find_one_and_delete"}
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
    if collection == "customers":
        return bool(fields & CUSTOMER_PLAN_FIELDS)
    if not fields <= LIVE_ORDER_FIELDS:
        return True
    return "status" in fields and update.get("$set", {}).get("status") not in DELIVERY_RESULTS


def _named_ids(value):
    """The ids a filter's value names: one id, or an `$in` list of them; None for any other condition."""
    if isinstance(value, dict):
        if set(value) == {"$in"} and isinstance(value["$in"], (list, tuple)):
            return list(value["$in"])
        return None
    return None if isinstance(value, (list, tuple)) or value is None else [value]


class PlanChange:
    """What a unit of work changed of what is due: the customers and orders it wrote (a day's plan reads their
    stops again), or everything when a write's documents can't be told from the write itself (an area skip, an
    update of orders by anything but their ids or their customer's, a delete of orders by id)."""

    __slots__ = ("customers", "orders", "everything")

    def __init__(self):
        self.customers, self.orders, self.everything = set(), set(), False

    def __bool__(self):
        return self.everything or bool(self.customers or self.orders)

    def note(self, collection, *, documents=(), query=None, deleting=False):
        """A write to `collection` that changes what is due: inserted `documents`, or the documents `query` names."""
        if collection == "customers":
            named = [doc.get("_id") for doc in documents] if query is None else _named_ids(query.get("_id"))
            target = self.customers
        elif collection == "orders" and query is None:
            named, target = [doc.get("customer_id") for doc in documents], self.customers
        elif collection == "orders":
            named, target = _named_ids(query.get("customer_id")), self.customers
            if named is None and not deleting:  # a deleted order can't be asked for its customer afterwards
                named, target = _named_ids(query.get("_id")), self.orders
        else:
            named = None
        if named is None or None in named:
            self.everything = True
        else:
            target.update(named)

    def entry(self):
        """What the version document keeps of this change."""
        if self.everything or len(self.customers) + len(self.orders) > PLAN_CHANGE_LIMIT:
            return {"everything": True}
        return {"customers": list(self.customers), "orders": list(self.orders)}

    def clear(self):
        self.customers.clear()
        self.orders.clear()
        self.everything = False


def _model_collection(model, collection):
    namespace = getattr(model, "_namespace", None)
    return namespace.split(".", 1)[1] if namespace else collection


def _note_model(change, model, collection):
    """Note a pymongo write model (collection-level, or client-level with its namespace) in `change` when it
    changes what is due."""
    collection = _model_collection(model, collection)
    if not changes_plan(collection, model._doc if isinstance(model, (UpdateOne, UpdateMany)) else None):
        return
    if isinstance(model, InsertOne):
        change.note(collection, documents=[model._doc])
    else:
        change.note(collection, query=model._filter, deleting=isinstance(model, (DeleteOne, DeleteMany)))


def plan_version():
    """(epoch, value) of the plan version, one round trip; None when this call had to create it (what is read with
    it may miss a unit already under way, so it is not to be kept). A fresh epoch each time the document is created
    keeps plans of an emptied database apart."""
    counters = get_db().counters
    found = counters.find_one({"_id": PLAN_VERSION}, {"changes": 0})
    if found is not None:
        return found["epoch"], found["value"]
    try:
        counters.insert_one({"_id": PLAN_VERSION, "epoch": uuid.uuid4().hex, "value": 0})
    except DuplicateKeyError:
        pass
    return None


def plan_changes(since):
    """(version, customer ids, order ids): the version now and what the units of work after version `since` wrote
    (one round trip); None when that is not known: another epoch, more units than are kept, or one that changed
    everything."""
    found = get_db().counters.find_one({"_id": PLAN_VERSION})
    if found is None or found["epoch"] != since[0]:
        return None
    changes = found.get("changes", [])
    count = found["value"] - since[1]
    if count < 0 or count > len(changes):
        return None
    recent = changes[len(changes) - count:] if count else []
    if any(change.get("everything") for change in recent):
        return None
    return ((found["epoch"], found["value"]), {key for change in recent for key in change["customers"]},
            {key for change in recent for key in change["orders"]})


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
    def __init__(self, actor, session, entries, deferred, plan_change):
        self.actor = actor
        self.session = session
        self.db = _Database(self)
        self._entries = entries  # shared with the units that join this one
        self._deferred = deferred
        self._plan_change = plan_change  # what was written that changes what is due
        self._open = True

    def check_open(self):
        if not self._open:
            raise RuntimeError("this unit of work has ended; open a new one with uow.run")

    def note_write(self, collection, method, args, kwargs):
        """Remember a write through `u.db` that changes what is due (see changes_plan)."""
        if collection not in PLAN_COLLECTIONS:
            return
        if method == "bulk_write":
            for model in args[0] if args else kwargs.get("requests", []):
                _note_model(self._plan_change, model, collection)
            return
        update = (args[1] if len(args) > 1 else kwargs.get("update")) if method in UPDATE_METHODS else None
        if not changes_plan(collection, update):
            return
        if method == "insert_one":
            self._plan_change.note(collection, documents=[args[0] if args else kwargs["document"]])
        elif method == "insert_many":
            self._plan_change.note(collection, documents=list(args[0] if args else kwargs["documents"]))
        else:
            self._plan_change.note(collection, query=args[0] if args else kwargs["filter"],
                                   deleting=method in DELETES)

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
        _note_model(self._plan_change, model, None)
        self._deferred.append(model)

    def namespace(self, collection):
        """'db.collection', for deferred models."""
        return f"{get_db().name}.{collection}"

    def _flush(self):
        """The deferred writes, every audit entry and the plan version's move with what moved it, in one round trip,
        just before the commit."""
        audit_log = self.namespace("audit_log")
        models = self._deferred + [InsertOne(namespace=audit_log, document=entry) for entry in self._entries]
        if self._plan_change:
            # No upsert: until plan_version has created the document, no plan is kept to be made stale. Each move
            # pushes one entry, so the last entry is the current value's and the one before it the value before.
            models.append(UpdateOne({"_id": PLAN_VERSION}, {
                "$inc": {"value": 1},
                "$push": {"changes": {"$each": [self._plan_change.entry()], "$slice": -PLAN_CHANGES_KEPT}},
            }, namespace=self.namespace("counters")))
        self._deferred.clear()
        self._entries.clear()
        self._plan_change.clear()
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
        joined = UnitOfWork(actor, outer.session, outer._entries, outer._deferred, outer._plan_change)
        token = _current.set(joined)
        try:
            return work(joined)
        finally:
            _current.reset(token)

    def attempt(session):
        unit = UnitOfWork(actor, session, [], [], PlanChange())
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
