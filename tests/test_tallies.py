"""Customer tallies (services/tallies.py): customers per status and customer events per business day, moved in the
unit of work of every write that adds, deletes or changes the status of a customer, always equal to what the data
has (`tallies.counted`), and taken again from the data by `rebuild`."""
from datetime import datetime, timezone

import pytest

from tests.conftest import unique_phone
from tests.legacy_fixtures import make_legacy_db
from tests.test_legacy_import import import_now, source  # noqa: F401  (fixture)
from webapp import clock, migrate
from webapp.legacy import run
from webapp.services import Conflict, customers, tallies, uow

ADDED = datetime(2026, 3, 25, 8, 0)  # business time
CHANGED = datetime(2026, 5, 12, 8, 0)


def kept(db):
    """(status counts without the zeros, {iso day: events}) as kept (an event a day never had is absent)."""
    statuses = {status: count for status, count in tallies.status_counts().items() if count}
    return statuses, {day["_id"]: events(**{event: day.get(event, 0) for event in tallies.EVENTS})
                      for day in db[tallies.DAYS].find()}


def from_the_data(db):
    """What the data has, in the shape `kept` gives."""
    statuses, days = tallies.counted(db)
    return statuses, {day: {event: events.get(event, 0) for event in tallies.EVENTS} for day, events in days.items()}


def events(new=0, paused=0, stopped=0):
    return {"new": new, "paused": paused, "stopped": stopped}


def test_each_helper_moves_the_tallies_in_its_unit_of_work(db, system):
    # 20:00 UTC on 24 March is 01:30 on 25 March in Kolkata: the business day counts.
    asha = {"status": "active", "created_at": datetime(2026, 3, 24, 20, 0, tzinfo=timezone.utc)}
    bala = {"status": "trial", "created_at": datetime(2026, 3, 25, 5, 0, tzinfo=timezone.utc)}
    uow.run(system, lambda u: tallies.customers_added(u, [asha, bala]))
    assert tallies.status_counts() == {"active": 1, "trial": 1}
    assert tallies.day_events(datetime(2026, 3, 1).date(), datetime(2026, 3, 31).date()) == {
        datetime(2026, 3, 25).date(): events(new=2)}
    with clock.frozen(CHANGED):
        uow.run(system, lambda u: tallies.status_changed(u, "active", "paused"))
        uow.run(system, lambda u: tallies.status_changed(u, "paused", "paused"))  # applied again: one more event
        uow.run(system, lambda u: tallies.status_changed(u, "trial", "active"))
    assert tallies.status_counts() == {"active": 1, "trial": 0, "paused": 1}
    assert db[tallies.DAYS].find_one({"_id": "2026-05-12"}) == {"_id": "2026-05-12", "paused": 2}
    uow.run(system, lambda u: tallies.customers_removed(u, [{**asha, "status": "paused"}]))
    assert tallies.status_counts() == {"active": 1, "trial": 0, "paused": 0}
    assert db[tallies.DAYS].find_one({"_id": "2026-03-25"}) == {"_id": "2026-03-25", "new": 1}
    uow.run(system, lambda u: tallies.customers_removed(u, [{**bala, "status": "active"}]))
    assert db[tallies.DAYS].find_one({"_id": "2026-03-25"}) is None  # no event left that day


def test_a_unit_of_work_that_fails_moves_nothing(db, system):
    def work(u):
        tallies.customers_added(u, [{"status": "active", "created_at": clock.now()}])
        raise Conflict("changed meanwhile")

    with pytest.raises(Conflict):
        uow.run(system, work)
    assert db.counters.find_one({"_id": tallies.STATUS_COUNTS}) is None
    assert db[tallies.DAYS].count_documents({}) == 0


def test_rebuild_takes_the_tallies_from_the_data(db, system):
    with clock.frozen(ADDED):
        db.customers.insert_many([
            {"_id": f"CU-{n}", "phone": unique_phone(), "status": status, "created_at": clock.now()}
            for n, status in enumerate(["active", "active", "trial", "stopped"])])
    db.audit_log.insert_one({"at": clock.local_datetime(CHANGED.date(), 9), "action": tallies.STATUS_ACTION,
                             "changes": {"status": {"before": "active", "after": "stopped"}}})
    db[tallies.DAYS].insert_one({"_id": "2026-01-01", "new": 5})  # drifted: goes
    assert tallies.rebuild(actor=system) == {"active": 2, "trial": 1, "stopped": 1}
    assert kept(db) == ({"active": 2, "trial": 1, "stopped": 1},
                        {"2026-03-25": events(new=4), "2026-05-12": events(stopped=1)})
    assert db.audit_log.count_documents({"action": "tallies.rebuild"}) == 1


# ---------------------------------------------------------------- through the services that write customers

@pytest.fixture
def story(system, make_customer):
    """Three customers added by staff on 25 March (one paused) and one signed up; on 12 May one paused, one
    stopped and made active again, one deleted."""
    with clock.frozen(ADDED):
        asha = make_customer(name="Asha")
        bala = make_customer(name="Bala", status="paused")
        dev = make_customer(name="Dev")
        customers.sign_up("Chitra", unique_phone(), "3 Lake Road", "quiet-river-meadow-7")
    with clock.frozen(CHANGED):
        customers.set_status(asha["_id"], "paused", actor=system)
        customers.set_status(bala["_id"], "stopped", actor=system)
        customers.set_status(bala["_id"], "active", actor=system)
        customers.delete_customer(dev["_id"], actor=system)


def test_the_tallies_follow_creation_sign_up_status_and_deletion(db, story):
    assert kept(db) == ({"active": 1, "paused": 1, "trial": 1},
                        {"2026-03-25": events(new=3), "2026-05-12": events(paused=1, stopped=1)})
    assert kept(db) == from_the_data(db)


def test_migration_0012_backfills_what_the_services_keep(db, story):
    by_services = kept(db)
    {migration.name: migration for migration in migrate.available()}["0012_dashboard_tallies"].load().backfill(db)
    assert kept(db) == by_services


def test_the_tallies_follow_a_legacy_import_and_its_undo(db, source, make_customer):  # noqa: F811
    make_legacy_db(source, customers=30, seed=5)
    make_customer(name="Asha")
    before = kept(db)
    import_now(source)
    assert sum(kept(db)[0].values()) == db.customers.count_documents({}) > 1
    assert kept(db) == from_the_data(db)
    run.undo()
    assert kept(db) == before
