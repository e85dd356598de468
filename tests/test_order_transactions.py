"""Order changes that write more than once are all or nothing: a fault after any one of their writes leaves the
database as it was; the real run leaves every change with its audit entries."""
from datetime import date, datetime

import pytest

from tests import links_fixtures
from tests.faults import assert_all_or_nothing
from webapp import clock
from webapp.services import Actor, Conflict, area_skips, late_requests, orders, pause_requests, schedule

# Ravi's round and a live link to it, for the pause requests.
now, round_, round_link = links_fixtures.now, links_fixtures.round_, links_fixtures.round_link
CLIENT_IP = links_fixtures.CLIENT_IP

MORNING = datetime(2026, 3, 10, 6, 0)       # Tue 10 Mar 2026, business time
AFTER_CUTOFF = datetime(2026, 3, 11, 22, 0)  # changes for 12 March have closed
DAILY = {"kind": "daily"}


@pytest.fixture
def milk(make_product):
    return make_product("Toned milk", price_paise=3000)


@pytest.fixture
def staff(make_user):
    return Actor.for_user(make_user("support"))


@pytest.fixture
def customer_user(make_user):
    return make_user("customer", area="North")


@pytest.fixture
def subscription(customer_user, milk, system):
    with clock.frozen(MORNING):
        return orders.create_subscription(customer_user["customer_id"], [{"product_id": milk["_id"], "qty": 2}],
                                          DAILY, "2026-03-11", actor=system)


def actions(db, **query):
    return sorted(entry["action"] for entry in db.audit_log.find(query))


def test_an_area_skip_reaches_every_subscription_of_the_area_or_none(db, milk, make_customer, staff, system):
    with clock.frozen(MORNING):
        subscriptions = [orders.create_subscription(make_customer(area="North")["_id"],
                                                    [{"product_id": milk["_id"], "qty": 1}], DAILY, "2026-03-11",
                                                    actor=system) for _ in range(2)]
        elsewhere = orders.create_subscription(make_customer(area="South")["_id"],
                                               [{"product_id": milk["_id"], "qty": 1}], DAILY, "2026-03-11",
                                               actor=system)
        skip, writes = assert_all_or_nothing(db, lambda: area_skips.skip_area("2026-03-14", "Holi", "North",
                                                                              actor=staff))
    assert writes >= 3 and skip["orders_affected"] == 2
    assert db.area_skips.find_one({"_id": skip["_id"]})["orders_affected"] == 2
    for order in subscriptions:
        assert schedule.explain(orders.get_order(order["_id"]), date(2026, 3, 14))["reason"] == "Holi"
    assert schedule.quantity_on(orders.get_order(elsewhere["_id"]), date(2026, 3, 14))
    assert actions(db, entity_id=skip["_id"]) == ["order.skip_area"]


def test_taking_an_area_skip_back_is_all_or_nothing(db, milk, make_customer, staff, system):
    with clock.frozen(MORNING):
        subscriptions = [orders.create_subscription(make_customer()["_id"], [{"product_id": milk["_id"], "qty": 1}],
                                                    DAILY, "2026-03-11", actor=system) for _ in range(2)]
        skip = area_skips.skip_area("2026-03-14", "Rain", None, actor=staff)
        undone, _ = assert_all_or_nothing(db, lambda: area_skips.undo_area_skip(skip["_id"], actor=staff))
    assert undone["undone_at"] and "active_key" not in undone
    for order in subscriptions:
        assert "2026-03-14" not in orders.get_order(order["_id"])["skips"]
    assert actions(db, entity_id=skip["_id"]) == ["order.skip_area", "order.unskip_area"]


def test_approving_a_pause_request_pauses_every_subscription_in_one_unit(db, round_, round_link, system):
    with clock.frozen(datetime(2026, 3, 10, 5, 0)):
        curd = orders.create_subscription(round_.anil["_id"], [{"product_id": round_.curd["_id"], "qty": 1}], DAILY,
                                          "2026-03-11", actor=system)
    request = pause_requests.request_pause(round_link.token, round_.anil["_id"], "2026-03-12", "2026-03-15",
                                           "Travelling", ip=CLIENT_IP)
    approved, writes = assert_all_or_nothing(db, lambda: pause_requests.approve(request["_id"], actor=system))
    both = [round_.anil_sub["_id"], curd["_id"]]
    assert approved["status"] == "APPROVED" and sorted(approved["paused_order_ids"]) == sorted(both)
    assert writes >= 5  # claim, two pauses, the paused ids, the audit entries
    for order_id in both:
        assert [(p["first_day"], p["last_day"]) for p in orders.get_order(order_id)["pauses"]] == [
            ("2026-03-12", "2026-03-15")]
        assert actions(db, entity_id=order_id, action="order.pause") == ["order.pause"]
    stored = db.pause_requests.find_one({"_id": request["_id"]})
    assert stored["status"] == "APPROVED" and sorted(stored["paused_order_ids"]) == sorted(both)
    assert actions(db, entity_id=request["_id"]) == ["pause_request.approve", "pause_request.create"]


def test_a_refused_pause_leaves_the_request_waiting_and_nothing_paused(db, round_, round_link, system):
    with clock.frozen(datetime(2026, 3, 10, 5, 0)):
        curd = orders.create_subscription(round_.anil["_id"], [{"product_id": round_.curd["_id"], "qty": 1}], DAILY,
                                          "2026-03-11", actor=system)
        orders.pause(curd["_id"], "2026-03-14", "2026-03-20", actor=system)
    request = pause_requests.request_pause(round_link.token, round_.anil["_id"], "2026-03-12", "2026-03-15",
                                           ip=CLIENT_IP)
    with pytest.raises(Conflict, match="already paused"):
        pause_requests.approve(request["_id"], actor=system)
    assert db.pause_requests.find_one({"_id": request["_id"]})["status"] == "PENDING"
    assert orders.get_order(round_.anil_sub["_id"])["pauses"] == []
    assert actions(db, entity_id=request["_id"]) == ["pause_request.create"]


def test_applying_a_late_request_changes_the_order_and_closes_the_request_together(db, subscription, customer_user,
                                                                                   milk, staff):
    with clock.frozen(AFTER_CUTOFF):
        # The 13th pauses at once; only the 12th (closed) waits for staff.
        orders.pause(subscription["_id"], "2026-03-12", "2026-03-13", actor=Actor.for_user(customer_user))
        request = late_requests.list_requests(actor=staff)[0]
        applied, _ = assert_all_or_nothing(db, lambda: late_requests.apply(request["_id"], actor=staff))
    assert applied["status"] == "APPLIED"
    assert db.change_requests.find_one({"_id": request["_id"]})["status"] == "APPLIED"
    order = orders.get_order(subscription["_id"])
    assert [(p["first_day"], p["last_day"]) for p in order["pauses"]] == [("2026-03-13", "2026-03-13"),
                                                                          ("2026-03-12", "2026-03-12")]
    assert actions(db, entity_id=subscription["_id"]) == [
        "order.create", "order.late_request", "order.late_request_applied", "order.override_cutoff", "order.pause"]


@pytest.mark.parametrize("change", ["set_quantity", "pause", "stop"])
def test_a_staff_override_after_the_cutoff_commits_with_its_audit_entry(db, subscription, milk, staff, change):
    edits = {
        "set_quantity": lambda: orders.set_quantity(subscription["_id"], "2026-03-12",
                                                    [{"product_id": milk["_id"], "qty": 5}], override_cutoff=True,
                                                    actor=staff),
        "pause": lambda: orders.pause(subscription["_id"], "2026-03-12", None, override_cutoff=True, actor=staff),
        "stop": lambda: orders.stop(subscription["_id"], "2026-03-12", override_cutoff=True, actor=staff),
    }
    with clock.frozen(AFTER_CUTOFF):
        updated, writes = assert_all_or_nothing(db, edits[change])
    assert writes == 2  # the order and its audit entry
    assert schedule.quantity_on(updated, date(2026, 3, 12)) == ({milk["_id"]: 5} if change == "set_quantity" else {})
    assert schedule.quantity_on(updated, date(2026, 3, 11)) == {milk["_id"]: 2}
    entry = db.audit_log.find_one({"entity_id": subscription["_id"], "action": "order.override_cutoff"})
    assert entry["actor"]["id"] == staff.id and "after the cut-off" in entry["summary"]


def test_a_customers_late_change_is_refused_but_its_request_is_kept(db, subscription, customer_user, milk):
    me = Actor.for_user(customer_user)

    def late_change():
        with pytest.raises(Conflict, match="noted your request"):
            orders.set_quantity(subscription["_id"], "2026-03-12", [{"product_id": milk["_id"], "qty": 0}], actor=me)

    with clock.frozen(AFTER_CUTOFF):
        _, writes = assert_all_or_nothing(db, late_change)
    assert writes == 2  # the request and its audit entry; the change itself writes nothing
    assert orders.get_order(subscription["_id"]) == subscription
    (request,) = db.change_requests.find()
    assert (request["change"], request["status"], request["date"]) == ("quantity", "OPEN", "2026-03-12")
    entry = db.audit_log.find_one({"action": "order.late_request"})
    assert entry["entity_id"] == subscription["_id"] and entry["changes"] == {"request_id": request["_id"]}
    assert actions(db, entity_id=subscription["_id"]) == ["order.create", "order.late_request"]


@pytest.mark.parametrize("change", ["set_quantity", "pause", "cancel"])
def test_a_customers_own_edit_in_time_commits_with_its_audit_entry(db, subscription, customer_user, milk, system,
                                                                   change):
    me = Actor.for_user(customer_user)
    with clock.frozen(MORNING):
        one_time = orders.create_one_time_order(customer_user["customer_id"], [{"product_id": milk["_id"], "qty": 1}],
                                                "2026-03-12", actor=system)
        edits = {
            "set_quantity": lambda: orders.set_quantity(subscription["_id"], "2026-03-12",
                                                        [{"product_id": milk["_id"], "qty": 1}], actor=me),
            "pause": lambda: orders.pause(subscription["_id"], "2026-03-12", "2026-03-14", actor=me),
            "cancel": lambda: orders.cancel(one_time["_id"], actor=me),
        }
        updated, writes = assert_all_or_nothing(db, edits[change])
    assert writes == 2  # the order and its audit entry
    entry = db.audit_log.find_one({"entity_id": updated["_id"], "actor.id": customer_user["_id"]})
    assert entry is not None and entry["actor"]["role"] == "customer"
    if change == "cancel":
        assert updated["status"] == "CANCELLED"
    else:
        assert schedule.quantity_on(updated, date(2026, 3, 12)) == ({milk["_id"]: 1} if change == "set_quantity"
                                                                    else {})
