"""A customer's status and the household's away periods govern every order of his; late pauses split at the
cut-off; staff starting a subscription on a closed day say so."""
from datetime import datetime, timedelta

import pytest

from webapp import clock
from webapp.services import (Actor, Conflict, NotFound, ValidationError, accounts, away, calendar, customers,
                             deliveries, demand, late_requests, orders, rounds, schedule)

from tests.delivery_fixtures import SETUP_AT, TODAY, day_now, route  # noqa: F401  (fixtures)
from tests.faults import assert_all_or_nothing

pytestmark = pytest.mark.usefixtures("day_now")
TOMORROW = TODAY + timedelta(days=1)   # the first open day at 06:00 on TODAY
LATER = TODAY + timedelta(days=2)


@pytest.fixture
def staff(make_user):
    return Actor.for_user(make_user("support"))


def customer_actor(customer):
    return Actor.for_user(accounts.get_user(customer["user_id"]))


def due_customers(day):
    return {order["customer_id"] for order, _ in rounds.due_for(day)}


def demand_of(day):
    return {line["name"]: line["qty"] for line in demand.for_day(day, actor=Actor.system("test"))["lines"]}


def load_of(boy, day):
    view = rounds.round_view(boy["_id"], day, actor=Actor.system("test"))
    return {line["name"]: line["qty"] for line in view["load"]}, [s["customer"]["name"] for s in view["stops"]]


# ---------------------------------------------------------------- status governs the orders

def test_a_paused_customer_leaves_round_demand_and_van_load_from_the_first_open_day(route, staff):
    customers.set_status(route.bina["_id"], "paused", reason="Moving house", actor=staff)
    # TODAY has closed: she is still delivered today, not from tomorrow.
    assert route.bina["_id"] in due_customers(TODAY)
    assert route.bina["_id"] not in due_customers(TOMORROW) | due_customers(LATER)
    assert demand_of(TOMORROW) == {"Curd": 1, "Milk": 3}
    assert load_of(route.ravi, TOMORROW) == ({"Curd": 1, "Milk": 2}, ["Anil"])
    explained = schedule.explain(orders.get_order(route.bina_sub["_id"]), TOMORROW)
    assert explained["state"] == schedule.PAUSED and "Moving house" in explained["reason"]
    # Active again two days later: deliveries come back from the first open day then (the 13th).
    with clock.frozen(datetime(2026, 3, 12, 6, 0)):
        customers.set_status(route.bina["_id"], "active", actor=staff)
    assert route.bina["_id"] not in due_customers(LATER)
    assert route.bina["_id"] in due_customers(TODAY + timedelta(days=3))


def test_a_stopped_customer_ends_subscriptions_and_cancels_open_one_time_orders_with_a_reason(route, staff):
    with clock.frozen(SETUP_AT):
        later_paneer = orders.create_one_time_order(route.bina["_id"], [{"product_id": route.paneer["_id"], "qty": 1}],
                                                    LATER, actor=staff)
    customers.set_status(route.bina["_id"], "stopped", reason="Left the city", actor=staff)
    sub = orders.get_order(route.bina_sub["_id"])
    assert (sub["status"], sub["stopped_on"]) == ("STOPPED", TOMORROW.isoformat())
    cancelled = orders.get_order(later_paneer["_id"])
    assert cancelled["status"] == "CANCELLED" and "Left the city" in cancelled["cancel_reason"]
    assert orders.get_order(route.bina_paneer["_id"])["status"] == "PENDING"  # today's, past the cut-off
    assert route.bina["_id"] in due_customers(TODAY)
    assert route.bina["_id"] not in due_customers(TOMORROW) | due_customers(LATER)
    assert "Paneer" not in demand_of(LATER)
    entry = customers.customer_details(route.bina["_id"], actor=staff)["history"][0]
    assert entry["action"] == "customer.status"
    assert entry["changes"]["stopped"] == [route.bina_sub["_id"]]
    assert entry["changes"]["cancelled"] == [later_paneer["_id"]]


def test_a_status_change_for_a_closed_day_needs_the_override_and_a_reason(route, staff):
    with pytest.raises(ValidationError) as caught:
        customers.set_status(route.bina["_id"], "paused", from_day=TODAY, actor=staff)
    assert caught.value.field == "override_cutoff"
    with pytest.raises(ValidationError) as caught:
        customers.set_status(route.bina["_id"], "paused", from_day=TODAY, override_cutoff=True, actor=staff)
    assert caught.value.field == "reason"
    assert customers.get_customer(route.bina["_id"])["status"] == "active"
    customers.set_status(route.bina["_id"], "paused", from_day=TODAY, override_cutoff=True, reason="Hospital",
                         actor=staff)
    assert route.bina["_id"] not in due_customers(TODAY)
    entry = customers.customer_details(route.bina["_id"], actor=staff)["history"][0]
    assert entry["changes"]["override_cutoff"] is True and "Hospital" in entry["summary"]


def test_a_customer_paused_before_statuses_governed_orders_is_held_when_paused_again(route, staff, db):
    db.customers.update_one({"_id": route.bina["_id"]}, {"$set": {"status": "paused"}})  # as older data has it
    assert route.bina["_id"] in due_customers(TOMORROW)
    customers.set_status(route.bina["_id"], "paused", actor=staff)
    assert route.bina["_id"] not in due_customers(TOMORROW)
    with pytest.raises(Conflict, match="Nothing is delivered to this home"):
        orders.set_quantity(route.bina_sub["_id"], TOMORROW, [{"product_id": route.milk["_id"], "qty": 3}],
                            actor=staff)


def test_a_customer_created_paused_gets_nothing_until_he_is_active(route, staff):
    new = customers.create_customer("Esha", "9811100088", "9 Lake Road", "Indiranagar", status="paused",
                                    delivery_boy_id=route.ravi["_id"], actor=staff)[0]
    orders.create_subscription(new["_id"], [{"product_id": route.milk["_id"], "qty": 1}], {"kind": "daily"},
                               TOMORROW, actor=staff)
    assert new["_id"] not in due_customers(LATER)
    customers.set_status(new["_id"], "active", actor=staff)
    assert new["_id"] in due_customers(TOMORROW)


def test_stopping_a_customer_is_all_or_nothing(route, staff, db):
    with clock.frozen(SETUP_AT):
        orders.create_one_time_order(route.bina["_id"], [{"product_id": route.paneer["_id"], "qty": 1}], LATER,
                                     actor=staff)
    assert_all_or_nothing(db, lambda: customers.set_status(route.bina["_id"], "stopped", actor=staff),
                          expect_writes_at_least=3)
    assert customers.get_customer(route.bina["_id"])["status"] == "stopped"


# ---------------------------------------------------------------- away from … to …

def test_away_holds_every_order_for_the_dates_and_resumes_by_itself(route, db):
    me = customer_actor(route.anil)
    back_on = TODAY + timedelta(days=5)
    hold = away.set_away(route.anil["_id"], TOMORROW, back_on, reason="Wedding in Mysore", actor=me)
    assert db.audit_log.count_documents({"action": "customer.away", "entity_id": route.anil["_id"]}) == 1
    for n in (1, 4):
        assert route.anil["_id"] not in due_customers(TODAY + timedelta(days=n))
    assert route.anil["_id"] in due_customers(TODAY) and route.anil["_id"] in due_customers(back_on)
    assert demand_of(TOMORROW) == {"Milk": 2}  # Bina and Chetan only
    # A one-time order placed for an away day is held too; the calendar says why.
    extra = orders.create_one_time_order(route.anil["_id"], [{"product_id": route.paneer["_id"], "qty": 1}], LATER,
                                         actor=me)
    assert schedule.quantity_on(orders.get_order(extra["_id"]), LATER) == {}
    cell, month = calendar.calendar_day(route.anil["_id"], LATER, actor=me)
    assert [c["date"].day for c in month["days"] if c["away"]] == [11, 12, 13, 14]
    assert {entry["state"] for entry in cell["entries"]} == {schedule.PAUSED}
    assert all("Wedding in Mysore" in entry["reason"] for entry in cell["entries"])
    assert away.away_periods(route.anil["_id"], actor=me) == [hold]


def test_the_return_date_moves_earlier_or_later_or_the_trip_is_called_off(route, db):
    me = customer_actor(route.anil)
    hold = away.set_away(route.anil["_id"], LATER, TODAY + timedelta(days=6), actor=me)
    away.change_away(route.anil["_id"], hold["hold_id"], TODAY + timedelta(days=4), actor=me)
    assert route.anil["_id"] in due_customers(TODAY + timedelta(days=4))
    away.change_away(route.anil["_id"], hold["hold_id"], TODAY + timedelta(days=8), actor=me)
    assert route.anil["_id"] not in due_customers(TODAY + timedelta(days=7))
    assert route.anil["_id"] in due_customers(TODAY + timedelta(days=8))
    away.change_away(route.anil["_id"], hold["hold_id"], None, actor=me)
    assert route.anil["_id"] in due_customers(LATER)
    assert away.away_periods(route.anil["_id"], actor=me) == []
    assert db.orders.count_documents({"holds.hold_id": hold["hold_id"]}) == 0
    assert db.audit_log.count_documents({"action": "customer.away"}) == 4


def test_away_respects_the_cut_off(route, staff):
    with pytest.raises(ValidationError) as caught:
        away.set_away(route.anil["_id"], TODAY, LATER, actor=customer_actor(route.anil))
    assert caught.value.field == "first_day"
    with pytest.raises(ValidationError) as caught:
        away.set_away(route.anil["_id"], TODAY, LATER, actor=staff)
    assert caught.value.field == "override_cutoff"
    away.set_away(route.anil["_id"], TODAY, LATER, override_cutoff=True, reason="Called the office", actor=staff)
    assert route.anil["_id"] not in due_customers(TODAY)
    with pytest.raises(Conflict):  # no ghost delivery on an away day
        deliveries.confirm(route.anil_sub["_id"], TODAY, actor=staff)
    with pytest.raises(NotFound):
        away.set_away(route.bina["_id"], TOMORROW, LATER, actor=customer_actor(route.anil))  # not his household


def test_setting_away_is_all_or_nothing(route, db):
    me = customer_actor(route.bina)
    hold, writes = assert_all_or_nothing(db, lambda: away.set_away(route.bina["_id"], TOMORROW, LATER, actor=me))
    assert writes >= 3 and db.orders.count_documents({"holds.hold_id": hold["hold_id"]}) == 2


# ---------------------------------------------------------------- the cut-off

def test_a_late_pause_pauses_the_open_days_at_once_and_asks_only_for_the_closed_ones(route, staff):
    with clock.frozen(datetime(2026, 3, 10, 22, 0)):  # tomorrow has closed
        orders.pause(route.anil_sub["_id"], TOMORROW, TODAY + timedelta(days=4), actor=customer_actor(route.anil))
    order = orders.get_order(route.anil_sub["_id"])
    assert schedule.quantity_on(order, TOMORROW)
    assert [schedule.quantity_on(order, TODAY + timedelta(days=n)) for n in (2, 3, 4)] == [{}, {}, {}]
    (request,) = late_requests.list_requests(actor=staff)
    assert (request["date"], request["payload"]["last_day"]) == (TOMORROW.isoformat(), TOMORROW.isoformat())


def test_staff_start_a_subscription_on_a_closed_day_only_with_the_override_and_it_shows_on_the_stop(route, staff):
    new = customers.create_customer("Deepa", "9811100077", "7 Lake Road", "Indiranagar",
                                    delivery_boy_id=route.ravi["_id"], actor=staff)[0]
    milk = [{"product_id": route.milk["_id"], "qty": 1}]
    with pytest.raises(ValidationError) as caught:
        orders.create_subscription(new["_id"], milk, {"kind": "daily"}, TODAY, actor=staff)
    assert caught.value.field == "override_cutoff"
    orders.create_subscription(new["_id"], milk, {"kind": "daily"}, TODAY, override_cutoff=True,
                               reason="Asked by phone at 7", actor=staff)
    stop = next(s for s in rounds.round_for(route.ravi["_id"], TODAY) if s["customer"]["_id"] == new["_id"])
    assert [request["note"] for request in stop["requests"]] == [
        "New subscription from Tue 10 Mar, added after the cut-off: Asked by phone at 7"]
    # A subscription from an open day needs nothing.
    orders.create_subscription(new["_id"], milk, {"kind": "daily"}, TOMORROW, actor=staff)


# ---------------------------------------------------------------- the pages

def test_a_customer_sets_moves_and_calls_off_his_time_away_from_his_calendar(route, client, login_as, db):
    login_as(accounts.get_user(route.anil["user_id"]))
    page = client.get("/me/calendar")
    assert page.status_code == 200 and b"Away from home" in page.data and b'cal-mark warn">Away' not in page.data
    refused = client.post("/me/away", data={"away-first_day": TODAY.isoformat(), "away-last_day": LATER.isoformat()})
    assert refused.status_code == 422 and b"closed at 21:00" in refused.data
    saved = client.post("/me/away", data={"away-first_day": TOMORROW.isoformat(),
                                          "away-last_day": (TODAY + timedelta(days=4)).isoformat()},
                        follow_redirects=True)
    assert b"Away Wed 11 Mar to Fri 13 Mar: nothing is delivered those days; deliveries start again on Sat 14 Mar" \
        in saved.data
    assert saved.data.count(b'cal-mark warn">Away') == 3
    (hold,) = away.away_periods(route.anil["_id"], actor=Actor.system("test"))
    moved = client.post("/me/away/change", data={"hold_id": hold["hold_id"],
                                                   f"{hold['hold_id']}-last_day": LATER.isoformat()},
                        follow_redirects=True)
    assert b"deliveries start again on Thu 12 Mar" in moved.data
    called_off = client.post("/me/away/change", data={"hold_id": hold["hold_id"], f"{hold['hold_id']}-call_off": "y"},
                             follow_redirects=True)
    assert b"called off" in called_off.data and away.away_periods(route.anil["_id"], actor=Actor.system("t")) == []


def test_staff_set_a_status_past_the_cut_off_only_with_the_override_and_a_reason(route, client, login_as):
    login_as("support")
    url = f"/staff/customers/{route.bina['_id']}/status"
    refused = client.post(url, data={"status": "stopped", "from_day": TODAY.isoformat()})
    assert refused.status_code == 422 and b"Tick &#39;override the cut-off&#39;" in refused.data
    assert customers.get_customer(route.bina["_id"])["status"] == "active"
    done = client.post(url, data={"status": "stopped", "from_day": TODAY.isoformat(), "override_cutoff": "y",
                                  "reason": "Moved away"}, follow_redirects=True)
    assert done.status_code == 200 and b"Bina is now stopped." in done.data
    cancelled = orders.get_order(route.bina_paneer["_id"])
    assert cancelled["cancel_reason"] == "Deliveries stopped from Tue 10 Mar: Moved away"


def test_the_customer_sees_why_his_order_was_cancelled_and_that_he_is_paused(route, client, login_as, staff):
    customers.set_status(route.bina["_id"], "paused", reason="Unpaid bills", actor=staff)
    login_as(accounts.get_user(route.bina["user_id"]))
    assert b"Deliveries paused by the dairy: Unpaid bills, from 11 Mar 2026" in client.get("/me/profile").data
    customers.set_status(route.bina["_id"], "stopped", from_day=TODAY, override_cutoff=True, reason="Left",
                         actor=staff)
    assert b"Deliveries stopped from Tue 10 Mar: Left" in client.get(f"/me/orders/{route.bina_paneer['_id']}").data


def test_staff_put_a_household_away_from_its_customer_page(route, client, login_as):
    login_as("support")
    url = f"/staff/customers/{route.chetan['_id']}"
    assert b"Away from home" in client.get(url).data
    refused = client.post(f"{url}/away", data={"away-first_day": TODAY.isoformat(),
                                                "away-last_day": LATER.isoformat()})
    assert refused.status_code == 422 and b"override the cut-off" in refused.data
    done = client.post(f"{url}/away", data={"away-first_day": TODAY.isoformat(), "away-last_day": LATER.isoformat(),
                                            "away-override_cutoff": "y", "away-reason": "Phoned at 6"},
                       follow_redirects=True)
    assert done.status_code == 200 and b"Away Tue 10 Mar to Wed 11 Mar" in done.data
    assert route.chetan["_id"] not in due_customers(TODAY)


def test_staff_start_a_subscription_today_only_with_the_override_on_the_page(route, client, login_as):
    login_as("support")
    url = f"/staff/customers/{route.chetan['_id']}/orders/new/subscription"
    form = {"items-0-product_id": route.curd["_id"], "items-0-qty": "1", "pattern": "daily",
            "start_date": TODAY.isoformat()}
    refused = client.post(url, data=form)
    assert refused.status_code == 422 and b"override the cut-off" in refused.data
    done = client.post(url, data={**form, "override_cutoff": "y", "reason": "Guest at home"})
    assert done.status_code in (302, 303)
    stop = next(s for s in rounds.round_for(route.gopal["_id"], TODAY) if s["customer"]["_id"] == route.chetan["_id"])
    assert [r["note"] for r in stop["requests"]] == [
        "New subscription from Tue 10 Mar, added after the cut-off: Guest at home"]
