"""The tap: confirming a stop costs a handful of database round trips, by login or by link, one order or five.

A command listener registered for every client of this process (the app's and the rate limiter's, which
is built lazily and later than this module is imported) counts what is sent while a block runs.
"""
import contextlib
import pytest
from pymongo import monitoring

from tests.delivery_fixtures import SETUP_AT, TODAY, day_now, route  # noqa: F401  (fixtures)
from tests.faults import assert_all_or_nothing
from tests.links_fixtures import token_of
from webapp import clock
from webapp.services import deliveries, links, orders

pytestmark = pytest.mark.usefixtures("day_now")
HANDSHAKES = {"hello", "isMaster", "ismaster", "ping", "endSessions", "saslStart", "saslContinue"}
CONFIRMATION_BUDGET = 6   # the confirmation itself
REQUEST_BUDGET = 10       # the whole HTTP request: session, rate limits, confirmation, answer


class _Commands(monitoring.CommandListener):
    def __init__(self):
        self.sent = None

    def started(self, event):
        if self.sent is not None and event.command_name not in HANDSHAKES:
            self.sent.append(event.command_name)

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


COMMANDS = _Commands()
monitoring.register(COMMANDS)


@contextlib.contextmanager
def counting():
    COMMANDS.sent = sent = []
    try:
        yield sent
    finally:
        COMMANDS.sent = None


@pytest.fixture
def five_orders(route, system):
    """Bina gets three more one-time orders today: five orders at her door."""
    with clock.frozen(SETUP_AT):
        for product in (route.milk, route.curd, route.paneer):
            orders.create_one_time_order(route.bina["_id"], [{"product_id": product["_id"], "qty": 1}], TODAY,
                                         actor=system)
    return route


def test_a_tap_with_one_order_costs_at_most_six_round_trips(route, db):
    with counting() as sent:  # the day's first: the id counter of the day is created on the way
        stop = deliveries.confirm_stop(route.anil["_id"], TODAY, actor=route.ravi_actor)
    assert stop["state"] == "DELIVERED"
    assert len(sent) <= CONFIRMATION_BUDGET, sent
    with counting() as sent:  # every later tap: read the stop, take the ids, write, commit
        deliveries.confirm_stop(route.chetan["_id"], TODAY, actor=route.gopal_actor)
    assert sent == ["aggregate", "findAndModify", "bulkWrite", "commitTransaction"]


def test_five_orders_at_the_door_cost_the_same(five_orders, db):
    with counting() as sent:
        stop = deliveries.confirm_stop(five_orders.bina["_id"], TODAY, actor=five_orders.ravi_actor)
    assert len(stop["orders"]) == 5 and db.deliveries.count_documents({"customer_id": five_orders.bina["_id"]}) == 5
    assert len(sent) <= CONFIRMATION_BUDGET, sent
    assert db.audit_log.count_documents({"action": "delivery.confirm"}) == 5


def test_a_double_tap_reads_and_writes_nothing_more(route, db):
    deliveries.confirm_stop(route.anil["_id"], TODAY, actor=route.ravi_actor)
    with counting() as sent:
        deliveries.confirm_stop(route.anil["_id"], TODAY, actor=route.ravi_actor)
    assert sent == ["aggregate", "commitTransaction"]
    assert db.deliveries.count_documents({"customer_id": route.anil["_id"]}) == 1
    assert db.audit_log.count_documents({"entity": "delivery"}) == 1


def test_a_correction_costs_no_more(route, db):
    deliveries.confirm_stop(route.anil["_id"], TODAY, actor=route.ravi_actor)
    with counting() as sent:
        deliveries.confirm_stop(route.anil["_id"], TODAY, {}, reason="door_locked", actor=route.ravi_actor)
    assert len(sent) <= CONFIRMATION_BUDGET, sent
    assert db.audit_log.count_documents({"action": "delivery.correct"}) == 1


def test_a_stop_with_several_orders_is_all_or_nothing(five_orders, db):
    stop, writes = assert_all_or_nothing(
        db, lambda: deliveries.confirm_stop(five_orders.bina["_id"], TODAY, actor=five_orders.ravi_actor),
        expect_writes_at_least=1)
    # Deliveries, the one-time orders' status, the billing guard and the audit entries: one write, one commit.
    assert writes == 1
    one_time = db.orders.count_documents({"customer_id": five_orders.bina["_id"], "kind": "ONE_TIME",
                                          "status": "DELIVERED"})
    assert one_time == 4 and db.billing_guards.find_one()["writes"] == 1
    assert db.audit_log.count_documents({"action": "delivery.confirm"}) == 5 and stop["state"] == "DELIVERED"


def test_the_delivery_boys_tap_request_stays_within_ten(client, login_as, route, db):
    login_as(route.ravi)
    url = f"/delivery/round/{route.bina['_id']}/{TODAY.isoformat()}/confirm"
    with counting() as sent:
        response = client.post(url, data={"outcome": "full"}, htmx=True)
    assert response.status_code == 200 and 'data-state="DELIVERED"' in response.get_data(as_text=True)
    assert len(sent) <= REQUEST_BUDGET, sent


def test_the_link_tap_request_stays_within_ten(client, route, system, db):
    url = links.issue_round_link(route.ravi["_id"], TODAY, actor=system)
    path = f"/l/{token_of(url)}/{TODAY.isoformat()}/stops/{route.bina['_id']}/confirm"
    client.get(f"/l/{token_of(url)}")  # the page was opened before the tap
    with counting() as sent:
        response = client.post(path, data={"outcome": "full"}, htmx=True)
    assert response.status_code == 200 and 'data-state="DELIVERED"' in response.get_data(as_text=True)
    assert len(sent) <= REQUEST_BUDGET, sent
    assert db.deliveries.count_documents({"customer_id": route.bina["_id"], "via": "link"}) == 2
