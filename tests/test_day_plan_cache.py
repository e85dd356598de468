"""The day's plan kept between requests (services/day_plan.py): kept while nothing it reads changes, rebuilt on the
next request after an order, a route or an area skip changes, and never in the way of a tap."""
from datetime import timedelta

import pytest

from webapp import clock
from webapp.services import area_skips, customers, day_plan, deliveries, orders, rounds, uow
from tests.command_capture import listening
from tests.delivery_fixtures import NOW, day_now, route  # noqa: F401  (fixtures)


@pytest.fixture
def planned(route, db):
    """The route, with its plan version in place (the read that creates it keeps nothing), so plans are kept."""
    uow.plan_version()
    return route


def version(db):
    return db.counters.find_one({"_id": uow.PLAN_VERSION})["value"]


def by_boy(overview):
    return {entry["boy"]["name"]: entry["progress"]["total"] for entry in overview["rounds"]}


def test_the_second_read_of_a_day_takes_no_order_from_the_database(planned, day_now, system):
    first = rounds.day_overview(day_now, actor=system)
    with listening() as commands:
        again = rounds.day_overview(day_now, actor=system)
    assert commands.on("orders") == [] and commands.on("customers") == []
    assert [name for name, _ in commands.on("counters")] == ["find"]  # the version: one round trip
    assert again == first
    assert by_boy(again) == {"Ravi": 2, "Gopal": 1}


def test_a_tap_shows_at_once_and_keeps_the_plan(planned, day_now, db, system):
    assert rounds.day_overview(day_now, actor=system)["progress"]["done"] == 0
    before = version(db)
    deliveries.confirm_stop(planned.bina["_id"], day_now, actor=planned.ravi_actor)
    overview = rounds.day_overview(day_now, actor=system)
    assert overview["progress"]["done"] == 1 and overview["progress"]["delivered"] == 1
    ravi = next(entry for entry in overview["rounds"] if entry["boy"]["name"] == "Ravi")
    assert (ravi["progress"]["done"], ravi["progress"]["todo"]) == (1, 1)
    # The one-time paneer is DELIVERED now and the customer's bottle count moved: neither changes what is due.
    assert db.orders.find_one({"_id": planned.bina_paneer["_id"]})["status"] == "DELIVERED"
    assert version(db) == before


def test_an_order_change_shows_on_the_next_request(planned, day_now, db, system):
    paneer = planned.paneer["_id"]
    assert rounds.day_overview(day_now, actor=system)["quantities"][paneer] == 1
    before = version(db)
    orders.cancel(planned.bina_paneer["_id"], override_cutoff=True, actor=system)
    assert version(db) > before
    assert paneer not in rounds.day_overview(day_now, actor=system)["quantities"]
    tomorrow = day_now + timedelta(days=1)
    assert paneer not in rounds.day_overview(tomorrow, actor=system)["quantities"]
    orders.create_one_time_order(planned.chetan["_id"], [{"product_id": paneer, "qty": 3}], tomorrow, actor=system)
    assert rounds.day_overview(tomorrow, actor=system)["quantities"][paneer] == 3


def test_a_route_change_shows_on_the_next_request(planned, day_now, system):
    assert by_boy(rounds.day_overview(day_now, actor=system)) == {"Ravi": 2, "Gopal": 1}
    customers.assign_route(planned.anil["_id"], planned.gopal["_id"], actor=system)
    assert by_boy(rounds.day_overview(day_now, actor=system)) == {"Ravi": 1, "Gopal": 2}


def test_an_area_skip_shows_on_the_next_request(planned, day_now, system):
    assert rounds.day_overview(day_now, area="Indiranagar", actor=system)["progress"]["total"] == 2
    area_skips.skip_area(day_now, "Rain", area="Indiranagar", override_cutoff=True, actor=system)
    assert rounds.day_overview(day_now, area="Indiranagar", actor=system)["progress"]["total"] == 0
    assert rounds.day_overview(day_now, actor=system)["progress"]["total"] == 1


def test_an_emptied_database_starts_a_new_version(planned, day_now, db, system):
    kept = day_plan.due_plan(day_now)
    first = db.counters.find_one({"_id": uow.PLAN_VERSION})
    db.counters.delete_one({"_id": uow.PLAN_VERSION})
    db.orders.delete_many({})  # outside any unit of work, as a test's emptying is
    assert day_plan.due_plan(day_now)["stops"] == {}
    again = db.counters.find_one({"_id": uow.PLAN_VERSION})
    assert again["epoch"] != first["epoch"] and kept["stops"]


def test_which_writes_change_what_is_due():
    assert uow.changes_plan("orders", {"$set": {"status": "CANCELLED", "updated_at": 1}})
    assert uow.changes_plan("orders", {"$set": {"overrides.2026-03-10": {}}})
    assert uow.changes_plan("orders")  # an insert
    assert uow.changes_plan("customers", {"$set": {"delivery_boy_id": "US-1"}})
    assert uow.changes_plan("customers", {"$unset": {"area": ""}})
    assert uow.changes_plan("customers")  # an insert or a delete
    assert uow.changes_plan("area_skips")
    assert uow.changes_plan("customers", [{"$set": {"bottles_out": 0}}])  # a pipeline: not read, counted
    assert not uow.changes_plan("orders", {"$set": {"status": "DELIVERED", "updated_at": 1}})
    assert not uow.changes_plan("customers", {"$inc": {"bottles_out": 2}})
    assert not uow.changes_plan("customers", {"$inc": {"stop": 1}})  # the order of a round, not what is due
    assert not uow.changes_plan("customers", {"$set": {"name": "Anil K", "phone": "9800000001"}})
    assert not uow.changes_plan("deliveries")
    assert not uow.changes_plan("audit_log")


def test_later_taps_are_read_from_the_deliveries_written_since(planned, day_now, db, system):
    with clock.frozen(NOW) as first_tap:
        deliveries.confirm_stop(planned.bina["_id"], day_now, actor=planned.ravi_actor)
        assert rounds.day_overview(day_now, actor=system)["progress"]["done"] == 1  # the day read whole
    with clock.frozen(NOW + timedelta(minutes=10)), listening() as commands:
        deliveries.confirm(planned.anil_sub["_id"], day_now, {planned.milk["_id"]: 0, planned.curd["_id"]: 0},
                           reason="door_locked", actor=system)
        overview = rounds.day_overview(day_now, actor=system)
    read = [command["filter"] for name, command in commands.on("deliveries") if name == "find"]
    assert read[-1]["updated_at"] == {"$gte": first_tap - day_plan.OVERLAP}
    assert (overview["progress"]["done"], overview["progress"]["not_delivered"]) == (2, 1)
    # A unit of work that committed after a later one: its delivery, stamped a minute earlier, is still read.
    db.deliveries.insert_one({"_id": "DL-LATE", "order_id": planned.chetan_sub["_id"], "date": day_now.isoformat(),
                              "status": "DELIVERED", "updated_at": first_tap + timedelta(minutes=9)})
    overview = rounds.day_overview(day_now, actor=system)
    assert (overview["progress"]["done"], overview["progress"]["todo"]) == (3, 0)


def noted(collection, **write):
    change = uow.PlanChange()
    change.note(collection, **write)
    return change.entry()


def test_a_unit_notes_the_customers_and_orders_it_wrote():
    assert noted("orders", documents=[{"_id": "OR-1", "customer_id": "CU-1"}]) == {"customers": ["CU-1"], "orders": []}
    assert noted("orders", query={"_id": "OR-1", "status": "ACTIVE"}) == {"customers": [], "orders": ["OR-1"]}
    assert noted("orders", query={"customer_id": {"$in": ["CU-2"]}, "status": "ACTIVE"}) == \
        {"customers": ["CU-2"], "orders": []}
    assert noted("customers", query={"_id": "CU-3"}) == {"customers": ["CU-3"], "orders": []}
    assert noted("customers", documents=[{"_id": "CU-4"}]) == {"customers": ["CU-4"], "orders": []}
    # What can't be told from the write itself changes everything.
    assert noted("orders", query={"_id": "OR-1"}, deleting=True) == {"everything": True}
    assert noted("orders", query={"skips.2026-03-10.skip_id": "AS-1"}) == {"everything": True}
    assert noted("customers", query={"delivery_boy_id": "US-1"}) == {"everything": True}
    assert noted("customers", query={"_id": {"$ne": "CU-1"}}) == {"everything": True}
    assert noted("area_skips", documents=[{"_id": "AS-1"}]) == {"everything": True}
    assert noted("orders", documents=[{"_id": f"OR-{n}", "customer_id": f"CU-{n}"}
                                      for n in range(uow.PLAN_CHANGE_LIMIT + 1)]) == {"everything": True}


def test_a_changed_plan_reads_only_the_customers_written_since(planned, day_now, db, system):
    rounds.day_overview(day_now, actor=system)
    paneer = planned.paneer["_id"]
    with listening() as commands:
        orders.create_one_time_order(planned.chetan["_id"], [{"product_id": paneer, "qty": 2}], day_now, actor=system)
    assert db.counters.find_one({"_id": uow.PLAN_VERSION})["changes"][-1] == \
        {"customers": [planned.chetan["_id"]], "orders": []}
    with listening() as commands:
        overview = rounds.day_overview(day_now, actor=system)
    customers_read = [command["filter"] for name, command in commands.on("customers") if name == "find"]
    assert customers_read == [{"_id": {"$in": [planned.chetan["_id"]]}}]
    subscriptions_read = [command["filter"] for name, command in commands.on("orders")
                          if name == "find" and command["filter"].get("kind") == "SUBSCRIPTION"]
    assert subscriptions_read == [{"kind": "SUBSCRIPTION", "customer_id": {"$in": [planned.chetan["_id"]]}}]
    assert overview["quantities"][paneer] == 1 + 2
    assert day_plan.due_plan(day_now)["stops"] == day_plan.build(day_now)["stops"]


def test_an_order_written_by_its_id_is_read_again_through_its_customer(planned, day_now, db, system):
    rounds.day_overview(day_now, area="Indiranagar", actor=system)
    orders.pause(planned.anil_sub["_id"], day_now, day_now, override_cutoff=True, actor=system)
    assert db.counters.find_one({"_id": uow.PLAN_VERSION})["changes"][-1]["orders"] == [planned.anil_sub["_id"]]
    patched = day_plan.due_plan(day_now, "Indiranagar")
    assert planned.anil["_id"] not in patched["stops"]
    fresh = day_plan.build(day_now, "Indiranagar")
    assert (patched["stops"], patched["quantities"], patched["areas"]) == \
        (fresh["stops"], fresh["quantities"], fresh["areas"])


def test_a_customer_moved_to_another_area_leaves_its_plan_and_names_a_new_area(planned, day_now, system):
    assert day_plan.due_plan(day_now)["areas"] == ["Indiranagar", "Koramangala"]
    rounds.day_overview(day_now, area="Indiranagar", actor=system)
    customers.update_customer(planned.chetan["_id"], "Chetan", planned.chetan["phone"], "12 New Road", "Whitefield",
                              actor=system)
    assert planned.chetan["_id"] not in day_plan.due_plan(day_now, "Indiranagar")["stops"]
    everyone = day_plan.due_plan(day_now)
    assert everyone["areas"] == ["Indiranagar", "Koramangala", "Whitefield"]
    assert everyone["stops"] == day_plan.build(day_now)["stops"]


def test_a_plan_older_than_the_changes_kept_or_an_area_skip_is_read_whole(planned, day_now, db, system):
    rounds.day_overview(day_now, actor=system)
    area_skips.skip_area(day_now, "Rain", area="Indiranagar", override_cutoff=True, actor=system)
    assert db.counters.find_one({"_id": uow.PLAN_VERSION})["changes"][-1] == {"everything": True}
    with listening() as commands:
        assert by_boy(rounds.day_overview(day_now, actor=system)) == {"Ravi": 1, "Gopal": 0}
    assert [command["filter"] for name, command in commands.on("customers") if name == "find"] == [{}]
    db.counters.update_one({"_id": uow.PLAN_VERSION}, {"$inc": {"value": uow.PLAN_CHANGES_KEPT + 1}})
    with listening() as commands:
        rounds.day_overview(day_now, actor=system)
    assert [command["filter"] for name, command in commands.on("customers") if name == "find"] == [{}]


def test_a_plan_brought_up_to_date_change_by_change_is_the_plan_read_whole(planned, day_now, db, system):
    """Each kind of change the day's plan follows, one after another; after each, the plan kept and brought up to
    date equals the plan read afresh, for every customer and for an area."""
    milk, paneer = planned.milk["_id"], planned.paneer["_id"]
    changes = [
        lambda: orders.create_one_time_order(planned.anil["_id"], [{"product_id": paneer, "qty": 2}], day_now,
                                             actor=system),
        lambda: orders.pause(planned.chetan_sub["_id"], day_now, day_now, override_cutoff=True, actor=system),
        lambda: customers.assign_route(planned.bina["_id"], planned.gopal["_id"], actor=system),
        lambda: customers.update_customer(planned.anil["_id"], "Anil", planned.anil["phone"], "1 Lake Road",
                                          "Koramangala", actor=system),
        lambda: orders.cancel(planned.bina_paneer["_id"], override_cutoff=True, actor=system),
        lambda: orders.create_subscription(planned.chetan["_id"], [{"product_id": milk, "qty": 3}],
                                           {"kind": "daily"}, day_now, actor=system),
    ]
    for area in (None, "Indiranagar", "Koramangala"):
        day_plan.due_plan(day_now, area)
    for change in changes:
        change()
        assert "everything" not in db.counters.find_one({"_id": uow.PLAN_VERSION})["changes"][-1]
        for area in (None, "Indiranagar", "Koramangala"):
            kept, fresh = day_plan.due_plan(day_now, area), day_plan.build(day_now, area)
            assert (kept["stops"], kept["quantities"], kept["areas"]) == \
                (fresh["stops"], fresh["quantities"], fresh["areas"])
