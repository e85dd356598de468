"""Migrations are history: each applied file's checksum is kept, a changed one stops `migrate`,
and every migration's `down` undoes its `up`."""
import contextvars
import hashlib
import shutil
from datetime import datetime, timezone

import pytest

from webapp import migrate

@pytest.fixture
def scratch_app(empty_app):
    """An app on its own, empty database (no migration applied)."""
    return empty_app("migrations")


@pytest.fixture
def scratch_db(scratch_app):
    return scratch_app.extensions["mongo"][scratch_app.config["MONGO_DBNAME"]]


def invoke(app, *args, input=None):
    """Run a command as `flask --app wsgi` would: the test pushes no app context (a fresh contextvars
    context, so not even the one the `db` fixture holds is visible)."""
    return contextvars.Context().run(app.test_cli_runner().invoke, args=list(args), input=input)


def indexes(db):
    """{collection: {index name: spec}} without the `_id_` indexes every collection has."""
    found = {}
    for name in db.list_collection_names():
        info = {key: spec for key, spec in db[name].index_information().items() if key != "_id_"}
        if info:
            found[name] = info
    return found


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_migrate_up_status_down_and_idempotent(scratch_app, scratch_db):
    result = invoke(scratch_app, "migrate", "--status")
    assert result.exit_code == 0 and "pending" in result.output and "0001_initial" in result.output

    assert "Applied: 0001_initial" in invoke(scratch_app, "migrate").output
    assert "order_date_unique" in scratch_db.deliveries.index_information()
    assert scratch_db.users.index_information()["email_unique"]["unique"]
    assert migrate.latest_applied(scratch_db) == migrate.available()[-1].name
    assert "nothing (up to date)" in invoke(scratch_app, "migrate").output  # a second run is a no-op
    assert "applied " in invoke(scratch_app, "migrate", "--status").output

    steps = str(len(migrate.available()))
    assert "0001_initial" in invoke(scratch_app, "migrate", "--down", steps).output
    assert "order_date_unique" not in scratch_db.deliveries.index_information()
    assert migrate.latest_applied(scratch_db) is None


def test_the_checksum_of_each_applied_file_is_recorded(scratch_db):
    migrate.upgrade(scratch_db)
    for migration in migrate.available():
        record = scratch_db.migrations.find_one({"_id": migration.name})
        assert record["checksum"] == sha256(migration.path) and record["applied_at"].tzinfo is not None


def test_a_record_from_before_checksums_gets_the_current_one_once(scratch_db):
    migrate.upgrade(scratch_db)
    applied_at = scratch_db.migrations.find_one({"_id": "0001_initial"})["applied_at"]
    scratch_db.migrations.update_one({"_id": "0001_initial"}, {"$unset": {"checksum": ""}})
    assert migrate.upgrade(scratch_db) == []
    record = scratch_db.migrations.find_one({"_id": "0001_initial"})
    assert record["checksum"] == sha256(migrate.MIGRATIONS_DIR / "0001_initial.py")
    assert record["applied_at"] == applied_at


@pytest.fixture
def copied_migrations(tmp_path):
    """A copy of migrations/ to edit (the real files are never touched)."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    for migration in migrate.available():
        shutil.copy(migration.path, folder / migration.path.name)
    return folder


def test_an_edited_applied_migration_stops_everything(scratch_db, copied_migrations):
    assert migrate.upgrade(scratch_db, copied_migrations)
    edited = copied_migrations / "0001_initial.py"
    edited.write_text(edited.read_text() + "\n# an afterthought\n")
    for run in (lambda: migrate.upgrade(scratch_db, copied_migrations),
                lambda: migrate.downgrade(scratch_db, 1, copied_migrations)):
        with pytest.raises(migrate.ChangedMigration, match="0001_initial") as refused:
            run()
        assert str(edited) in str(refused.value) and "new numbered migration" in str(refused.value)
    assert [changed for _, _, changed in migrate.status(scratch_db, copied_migrations)][0] is True
    assert migrate.latest_applied(scratch_db) == migrate.available()[-1].name  # nothing was reverted
    edited.unlink()
    with pytest.raises(migrate.ChangedMigration, match="file is missing"):
        migrate.upgrade(scratch_db, copied_migrations)


def test_migrate_command_refuses_with_a_message_and_exit_status(scratch_app, scratch_db):
    assert invoke(scratch_app, "migrate").exit_code == 0
    # As if migrations/0001_initial.py had been edited since: the recorded checksum no longer matches.
    scratch_db.migrations.update_one({"_id": "0001_initial"}, {"$set": {"checksum": "0" * 64}})
    result = invoke(scratch_app, "migrate")
    assert result.exit_code != 0
    assert "0001_initial" in result.output and "edited after it was applied" in result.output
    assert "CHANGED" in invoke(scratch_app, "migrate", "--status").output
    assert invoke(scratch_app, "migrate", "--down", "1").exit_code != 0
    assert "order_date_unique" in scratch_db.deliveries.index_information()


def test_every_migration_down_undoes_its_up(scratch_db):
    for migration in migrate.available():
        module = migration.load()
        before = indexes(scratch_db)
        module.up(scratch_db)
        after = indexes(scratch_db)
        module.down(scratch_db)
        assert indexes(scratch_db) == before, f"{migration.name}: down left indexes behind"
        module.up(scratch_db)
        assert indexes(scratch_db) == after, f"{migration.name}: up again differs"


def test_the_initial_migration_down_drops_exactly_its_indexes(scratch_db):
    initial = dict((m.name, m) for m in migrate.available())["0001_initial"].load()
    initial.up(scratch_db)
    names = {collection: {model.document["name"] for model in models}
             for collection, models in initial.INDEXES.items()}
    assert {c: set(info) for c, info in indexes(scratch_db).items()} == names
    initial.down(scratch_db)
    assert indexes(scratch_db) == {}


def test_0012_takes_the_customer_tallies_from_the_data_and_down_removes_them(scratch_db):
    backfill = {m.name: m for m in migrate.available()}["0012_dashboard_tallies"].load()
    added = datetime(2026, 3, 24, 20, 0, tzinfo=timezone.utc)  # 25 March, 01:30 in Kolkata
    scratch_db.customers.insert_many([{"_id": f"CU-{n}", "status": status, "created_at": added}
                                      for n, status in enumerate(["active", "active", "paused", "trial"])])
    changed = datetime(2026, 5, 12, 4, 0, tzinfo=timezone.utc)
    scratch_db.audit_log.insert_many([
        {"at": changed, "action": "customer.status", "changes": {"status": {"before": "active", "after": after}}}
        for after in ("paused", "stopped", "active")] + [{"at": changed, "action": "customer.create"}])
    backfill.up(scratch_db)
    assert scratch_db.counters.find_one({"_id": "customers_by_status"}) == {
        "_id": "customers_by_status", "active": 2, "paused": 1, "trial": 1}
    assert list(scratch_db.customer_days.find().sort("_id", 1)) == [
        {"_id": "2026-03-25", "new": 4, "paused": 0, "stopped": 0},
        {"_id": "2026-05-12", "new": 0, "paused": 1, "stopped": 1}]
    backfill.down(scratch_db)
    assert scratch_db.counters.find_one({"_id": "customers_by_status"}) is None
    assert "customer_days" not in scratch_db.list_collection_names()


def test_0014_takes_the_bill_tallies_from_the_bills_and_down_removes_them(scratch_db):
    tallies = {m.name: m for m in migrate.available()}["0014_bill_tallies"].load()
    first_of_may = datetime(2026, 4, 30, 20, 0, tzinfo=timezone.utc)  # 1 May, 01:30 in Kolkata
    scratch_db.bills.insert_many([
        {"_id": "BI-1", "month": "2026-04", "issued_at": first_of_may, "total_paise": 170_000, "lines_paise": 170_000,
         "paid_paise": 0, "status": "PENDING", "customer_id": "CU-1", "due_date": "2026-05-10"},
        {"_id": "BI-2", "month": "2026-04", "issued_at": first_of_may, "total_paise": 100_000, "lines_paise": 90_000,
         "paid_paise": 30_000, "status": "PARTIAL", "customer_id": "CU-2", "due_date": "2026-05-10"},
        {"_id": "BI-3", "month": "2026-04", "issued_at": first_of_may, "total_paise": -5_000, "lines_paise": 0,
         "paid_paise": 0, "status": "PAID"},
        {"_id": "BI-4", "month": "2026-03", "issued_at": datetime(2026, 4, 1, 2, 0, tzinfo=timezone.utc),
         "total_paise": 8_000, "lines_paise": 8_000, "paid_paise": 8_000, "status": "PAID"}])
    scratch_db.bill_months.insert_one({"_id": "2025-12", "bills": 3})  # drifted: goes
    tallies.up(scratch_db)
    assert list(scratch_db.bill_months.find().sort("_id", 1)) == [
        {"_id": "2026-03", "billed_paise": 0, "bills": 0, "lines_paise": 8_000},
        {"_id": "2026-04", "billed_paise": 8_000, "bills": 1, "lines_paise": 260_000},
        {"_id": "2026-05", "billed_paise": 265_000, "bills": 3, "lines_paise": 0}]
    assert list(scratch_db.bill_dues.find()) == [{"_id": "2026-05-10", "paise": 240_000, "bills": 2}]
    assert list(scratch_db.customer_dues.find().sort("_id", 1)) == [
        {"_id": "CU-1", "paise": 170_000, "dues": {"2026-05-10": {"paise": 170_000, "bills": 1}}},
        {"_id": "CU-2", "paise": 70_000, "dues": {"2026-05-10": {"paise": 70_000, "bills": 1}}}]
    assert "paise_desc" in scratch_db.customer_dues.index_information()
    tallies.down(scratch_db)
    assert not {"bill_months", "bill_dues", "customer_dues"} & set(scratch_db.list_collection_names())


def test_0011_copies_each_customers_round_onto_his_orders_and_down_removes_it(scratch_db):
    orders_round = {m.name: m for m in migrate.available()}["0011_orders_round"].load()
    scratch_db.customers.insert_many([{"_id": "CU-1", "delivery_boy_id": "US-ravi"},
                                      {"_id": "CU-2", "delivery_boy_id": "US-gopal"},
                                      {"_id": "CU-3", "delivery_boy_id": None}])
    scratch_db.orders.insert_many([{"_id": "SU-1", "kind": "SUBSCRIPTION", "customer_id": "CU-1"},
                                   {"_id": "OR-1", "kind": "ONE_TIME", "customer_id": "CU-1"},
                                   {"_id": "SU-2", "kind": "SUBSCRIPTION", "customer_id": "CU-2"},
                                   {"_id": "SU-3", "kind": "SUBSCRIPTION", "customer_id": "CU-3"}])
    orders_round.up(scratch_db)
    assert {o["_id"]: o["delivery_boy_id"] for o in scratch_db.orders.find()} == {
        "SU-1": "US-ravi", "OR-1": "US-ravi", "SU-2": "US-gopal", "SU-3": None}
    assert "kind_round_delivery_date" in scratch_db.orders.index_information()
    orders_round.down(scratch_db)
    assert "kind_round_delivery_date" not in scratch_db.orders.index_information()
    assert scratch_db.orders.count_documents({"delivery_boy_id": {"$exists": True}}) == 0
