"""rounds.round_for: one delivery boy's stops for a date, in a constant number of queries."""
from datetime import timedelta

import pytest
from pymongo import MongoClient, monitoring

from webapp import clock
from webapp.services import Actor, Conflict, customers, deliveries, orders, rounds

from tests.delivery_fixtures import SETUP_AT, TODAY, day_now, route  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("day_now")


def test_round_lists_his_stops_in_stop_order_with_what_to_hand_over(route):
    stops = rounds.round_for(route.ravi["_id"], TODAY)
    assert [stop["customer"]["name"] for stop in stops] == ["Anil", "Bina"]
    anil, bina = stops
    assert anil["customer"]["phone"] == route.anil["phone"] and anil["customer"]["address"]
    assert [(line["name"], line["qty"]) for line in anil["orders"][0]["lines"]] == [("Curd", 1), ("Milk", 2)]
    assert [entry["one_time"] for entry in bina["orders"]] == [False, True]  # subscription first
    assert bina["orders"][1]["lines"][0]["name"] == "Paneer"
    assert {stop["state"] for stop in stops} == {"todo"}


def test_a_confirmed_stop_leaves_to_do_and_carries_its_result(route):
    deliveries.confirm(route.anil_sub["_id"], TODAY, {route.milk["_id"]: 1, route.curd["_id"]: 1},
                       actor=route.ravi_actor)
    deliveries.confirm(route.bina_sub["_id"], TODAY, actor=route.ravi_actor)
    stops = rounds.round_for(route.ravi["_id"], TODAY)
    assert stops[0]["state"] == "PARTIALLY_DELIVERED"
    assert stops[0]["orders"][0]["delivery"]["status"] == "PARTIALLY_DELIVERED"
    assert stops[1]["state"] == "todo"  # the one-time paneer is still to hand over
    assert rounds.progress(stops) == {"total": 2, "todo": 1, "done": 1, "delivered": 0, "partial": 1,
                                        "not_delivered": 0}


def test_van_load_totals_per_product(route):
    load = rounds.van_load(rounds.round_for(route.ravi["_id"], TODAY))
    assert [(line["name"], line["qty"]) for line in load] == [("Curd", 1), ("Milk", 3), ("Paneer", 1)]


def test_paused_and_skipped_orders_are_not_on_the_round(route, system):
    with clock.frozen(SETUP_AT):
        orders.pause(route.anil_sub["_id"], TODAY, TODAY, actor=system)
    assert [stop["customer"]["name"] for stop in rounds.round_for(route.ravi["_id"], TODAY)] == ["Bina"]
    yesterday = rounds.round_for(route.ravi["_id"], TODAY - timedelta(days=1))
    assert [stop["customer"]["name"] for stop in yesterday] == ["Anil", "Bina"]
    assert all(not entry["one_time"] for stop in yesterday for entry in stop["orders"])


def test_late_request_notes_show_on_the_stop(route, db):
    user = db.users.find_one({"customer_id": route.anil["_id"]})
    with pytest.raises(Conflict):
        orders.set_quantity(route.anil_sub["_id"], TODAY, [{"product_id": route.milk["_id"], "qty": 1}],
                            actor=Actor.for_user(user))
    stops = rounds.round_for(route.ravi["_id"], TODAY)
    assert "confirm at the door" in stops[0]["requests"][0]["note"]
    assert stops[1]["requests"] == []


def names(stops):
    return [stop["customer"]["name"] for stop in stops]


def test_orders_carry_their_customers_round(route, db):
    assert {order["_id"]: order["delivery_boy_id"] for order in db.orders.find({}, {"delivery_boy_id": 1})} == {
        route.anil_sub["_id"]: route.ravi["_id"], route.bina_sub["_id"]: route.ravi["_id"],
        route.bina_paneer["_id"]: route.ravi["_id"], route.chetan_sub["_id"]: route.gopal["_id"]}


def test_a_customer_moved_to_another_round_takes_his_orders_along(route, db, system):
    customers.assign_route(route.bina["_id"], route.gopal["_id"], actor=system)
    assert {order["delivery_boy_id"] for order in db.orders.find({"customer_id": route.bina["_id"]})} == \
        {route.gopal["_id"]}
    assert names(rounds.round_for(route.ravi["_id"], TODAY)) == ["Anil"]
    gopals = rounds.round_for(route.gopal["_id"], TODAY)
    assert names(gopals) == ["Chetan", "Bina"]
    assert [entry["one_time"] for entry in gopals[1]["orders"]] == [False, True]  # the paneer came along
    customers.assign_route(route.bina["_id"], "", actor=system)
    assert db.orders.count_documents({"customer_id": route.bina["_id"], "delivery_boy_id": None}) == 2
    assert names(rounds.round_for(route.gopal["_id"], TODAY)) == ["Chetan"]


def test_the_round_reads_what_its_customers_orders_carry(route, db):
    """The orders are read by the round they carry, and only those of the round's customers are its stops."""
    db.orders.update_one({"_id": route.chetan_sub["_id"]}, {"$set": {"delivery_boy_id": route.ravi["_id"]}})
    assert names(rounds.round_for(route.ravi["_id"], TODAY)) == ["Anil", "Bina"]


class CommandCounter(monitoring.CommandListener):
    def __init__(self):
        self.commands = []

    def started(self, event):
        self.commands.append(event.command_name)

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


def count_round_trips(app, boy_id):
    """The database commands round_for sends, seen through a listening client swapped in for the call."""
    counter = CommandCounter()
    client = MongoClient(app.config["MONGO_URI"], event_listeners=[counter], tz_aware=True)
    original, app.extensions["mongo"] = app.extensions["mongo"], client
    try:
        rounds.round_for(boy_id, TODAY)
    finally:
        app.extensions["mongo"] = original
        client.close()
    return [name for name in counter.commands if name not in ("endSessions", "isMaster", "hello", "ping")]


def test_round_trips_do_not_grow_with_stops(app, route, make_customer, system):
    small = count_round_trips(app, route.ravi["_id"])
    with clock.frozen(SETUP_AT):
        for n in range(8):
            customer = make_customer(delivery_boy_id=route.ravi["_id"], stop=10 + n)
            orders.create_subscription(customer["_id"], [{"product_id": route.curd["_id"], "qty": 1}],
                                       {"kind": "daily"}, SETUP_AT.date(), actor=system)
            orders.create_one_time_order(customer["_id"], [{"product_id": route.milk["_id"], "qty": 1}], TODAY,
                                         actor=system)
    deliveries.confirm_stop(route.anil["_id"], TODAY, actor=route.ravi_actor)
    large = count_round_trips(app, route.ravi["_id"])
    assert len(rounds.round_for(route.ravi["_id"], TODAY)) == 10
    assert len(large) == len(small) <= 6, large
