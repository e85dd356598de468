"""The one write path: a unit of work per entry point, its writes and audit entries in one transaction."""
import ast
from pathlib import Path

import pytest

from tests.faults import InjectedFault, assert_all_or_nothing, failing_after, snapshot
from webapp.services import Actor, ValidationError, uow

WEBAPP = Path(__file__).resolve().parent.parent / "webapp"
WRITE_METHODS = {"insert_one", "insert_many", "update_one", "update_many", "replace_one", "delete_one",
                 "delete_many", "find_one_and_update", "find_one_and_replace", "find_one_and_delete", "bulk_write",
                 "drop", "create_index", "create_indexes", "drop_index"}
# uow.py is the unit of work itself; ids.py moves counters (outside transactions by design);
# migrate.py and db.py manage the schema and the server, not business data.
WRITERS = {"services/uow.py", "services/ids.py", "migrate.py", "db.py",
           "backup.py"}  # like migrate.py: drops, creates and fills whole collections, for no actor


def _through_unit(receiver):
    """True for `u.db.orders` / `u.db["orders"]` (any name for the unit): a collection bound to a unit of work."""
    node = receiver.value if isinstance(receiver, (ast.Attribute, ast.Subscript)) else None
    return isinstance(node, ast.Attribute) and node.attr == "db" and isinstance(node.value, ast.Name)


def write_calls_outside_a_unit():
    found = []
    for path in sorted(WEBAPP.rglob("*.py")):
        name = str(path.relative_to(WEBAPP))
        if name in WRITERS:
            continue
        for node in ast.walk(ast.parse(path.read_text(), name)):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            method = func.attr if isinstance(func, ast.Attribute) else None
            if method in WRITE_METHODS and not _through_unit(func.value):
                found.append(f"{name}:{node.lineno} .{method}()")
            if method in {"start_session", "with_transaction"}:
                found.append(f"{name}:{node.lineno} opens its own transaction")
            if any(keyword.arg == "session" for keyword in node.keywords):
                found.append(f"{name}:{node.lineno} passes a session by hand")
    return found


def test_nothing_writes_outside_a_unit_of_work():
    assert write_calls_outside_a_unit() == []


def test_the_scan_sees_a_direct_write():
    sample = ast.parse("get_db().orders.insert_one({})\nu.db.orders.insert_one({})\n")
    calls = [node for node in ast.walk(sample) if isinstance(node, ast.Call)
             and getattr(node.func, "attr", None) == "insert_one"]
    assert [_through_unit(call.func.value) for call in calls] == [False, True]


def test_a_unit_needs_an_actor(db):
    with pytest.raises(TypeError):
        uow.run(None, lambda u: u.db.things.insert_one({"_id": 1}))
    assert db.things.count_documents({}) == 0


def test_writes_and_audit_commit_together(db, system):
    def work(u):
        u.db.things.insert_one({"_id": 1})
        u.record("thing.create", "thing", 1, "Made a thing")
        return "done"

    assert uow.run(system, work) == "done"
    assert db.things.count_documents({}) == 1
    entry = db.audit_log.find_one({"entity_id": 1})
    assert entry["actor"]["id"] == "test" and entry["action"] == "thing.create"


def test_a_refusal_after_a_write_leaves_nothing(db, system):
    def work(u):
        u.db.things.insert_one({"_id": 1})
        u.record("thing.create", "thing", 1, "Made a thing")
        raise ValidationError("No.")

    with pytest.raises(ValidationError):
        uow.run(system, work)
    assert db.things.count_documents({}) == 0 and db.audit_log.count_documents({}) == 0


def test_a_joined_unit_is_the_same_transaction(db, system):
    clerk = Actor("user", "US-1", "support")

    def inner(u):
        u.db.things.insert_one({"_id": 2})
        u.record("thing.create", "thing", 2, "Inner thing")

    def outer(u):
        u.db.things.insert_one({"_id": 1})
        u.record("thing.create", "thing", 1, "Outer thing")
        uow.run(clerk, inner)
        raise InjectedFault("after the inner unit")

    with pytest.raises(InjectedFault):
        uow.run(system, outer)
    assert db.things.count_documents({}) == 0 and db.audit_log.count_documents({}) == 0
    uow.run(system, lambda u: (u.db.things.insert_one({"_id": 1}), uow.run(clerk, inner)))
    assert {e["actor"]["id"] for e in db.audit_log.find()} == {"US-1"}
    assert db.things.count_documents({}) == 2


def test_an_ended_unit_cannot_write(db, system):
    kept = uow.run(system, lambda u: u)
    with pytest.raises(RuntimeError):
        kept.db.things.insert_one({"_id": 1})


def test_deferred_writes_go_with_the_audit_entries(db, system):
    from pymongo import InsertOne

    def work(u, fail):
        u.record("thing.create", "thing", 1, "Made a thing")
        u.defer(InsertOne(namespace=u.namespace("things"), document={"_id": 1}))
        assert db.things.count_documents({}) == 0  # not sent until the unit ends
        if fail:
            raise InjectedFault("before the end")

    with pytest.raises(InjectedFault):
        uow.run(system, lambda u: work(u, fail=True))
    assert db.things.count_documents({}) == 0 and db.audit_log.count_documents({}) == 0
    uow.run(system, lambda u: work(u, fail=False))
    assert db.things.count_documents({}) == 1 and db.audit_log.count_documents({}) == 1


def test_fault_injection_helper_sees_every_write(db, system):
    def work(u):
        u.db.things.insert_one({"_id": 1})
        u.db.things.update_one({"_id": 1}, {"$set": {"x": 1}})
        u.record("thing.create", "thing", 1, "Made a thing")

    before = snapshot(db)
    with failing_after(2), pytest.raises(InjectedFault):
        uow.run(system, work)
    assert snapshot(db) == before
    _, writes = assert_all_or_nothing(db, lambda: uow.run(system, work))
    assert writes == 3  # insert, update, the audit entry
    assert db.things.find_one({"_id": 1}) == {"_id": 1, "x": 1}
