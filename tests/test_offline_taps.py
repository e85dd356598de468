"""Issue 18: a round that works without signal. Each tap carries the phone's key; the server takes a key once, so a
tap sent twice (a queue resent after a lost answer) is one record; a refused tap says why; the service worker is
served under /delivery/."""
import pytest

from tests.delivery_fixtures import TODAY, day_now, route  # noqa: F401  (fixtures)
from webapp.services import Conflict, ValidationError, deliveries, orders

pytestmark = pytest.mark.usefixtures("day_now")
KEY = f"anil-stop:{TODAY.isoformat()}:k1abc"


def test_a_tap_sent_twice_with_its_key_is_one_record(route, db):
    first = deliveries.confirm_stop(route.anil["_id"], TODAY, tap_key=KEY, actor=route.ravi_actor)
    again = deliveries.confirm_stop(route.anil["_id"], TODAY, tap_key=KEY, actor=route.ravi_actor)
    assert first["state"] == again["state"] == "DELIVERED"
    assert db.deliveries.count_documents({"customer_id": route.anil["_id"]}) == 1
    assert db.audit_log.count_documents({"action": "delivery.confirm"}) == 1
    assert db.tap_keys.count_documents({}) == 1


def test_a_repeated_key_returns_the_first_result_even_when_the_repeat_says_otherwise(route, db):
    deliveries.confirm_stop(route.anil["_id"], TODAY, tap_key=KEY, actor=route.ravi_actor)
    repeat = deliveries.confirm_stop(route.anil["_id"], TODAY, {}, reason="door_locked", tap_key=KEY,
                                     actor=route.ravi_actor)
    assert repeat["state"] == "DELIVERED"
    assert db.deliveries.find_one({"customer_id": route.anil["_id"]})["status"] == "DELIVERED"


def test_a_tap_with_cash_sent_twice_records_the_cash_once(route, db):
    for _ in range(2):
        deliveries.confirm_stop(route.anil["_id"], TODAY, tap_key=KEY, cash_paise=5000, actor=route.ravi_actor)
    assert db.payments.count_documents({"customer_id": route.anil["_id"]}) == 1


def test_a_new_key_is_a_new_tap(route, db):
    deliveries.confirm_stop(route.anil["_id"], TODAY, tap_key=KEY, actor=route.ravi_actor)
    stop = deliveries.confirm_stop(route.anil["_id"], TODAY, {}, reason="door_locked", tap_key=KEY + "2",
                                   actor=route.ravi_actor)
    assert stop["state"] == "NOT_DELIVERED" and db.tap_keys.count_documents({}) == 2


def test_a_key_taken_at_another_stop_is_refused(route, db):
    deliveries.confirm_stop(route.anil["_id"], TODAY, tap_key=KEY, actor=route.ravi_actor)
    with pytest.raises(Conflict):
        deliveries.confirm_stop(route.bina["_id"], TODAY, tap_key=KEY, actor=route.ravi_actor)
    assert db.deliveries.count_documents({"customer_id": route.bina["_id"]}) == 0


@pytest.mark.parametrize("key", ["short", "with space in it", "x" * 81, "<script>alert(1)</script>"])
def test_a_malformed_key_is_a_field_error(route, db, key):
    with pytest.raises(ValidationError) as raised:
        deliveries.confirm_stop(route.anil["_id"], TODAY, tap_key=key, actor=route.ravi_actor)
    assert "tap_key" in raised.value.errors and db.deliveries.count_documents({}) == 0


def test_a_refused_tap_records_nothing_and_frees_nothing(route, db):
    """A queued tap naming more than is due is refused; its key is not taken, so the corrected tap goes through."""
    too_many = {route.anil_sub["_id"]: {route.milk["_id"]: 5, route.curd["_id"]: 1}}
    with pytest.raises(ValidationError):
        deliveries.confirm_stop(route.anil["_id"], TODAY, too_many, tap_key=KEY, actor=route.ravi_actor)
    assert db.tap_keys.count_documents({}) == 0
    assert deliveries.confirm_stop(route.anil["_id"], TODAY, tap_key=KEY, actor=route.ravi_actor)["state"] == \
        "DELIVERED"


# --- requests ------------------------------------------------------------------------------------------------


def confirm_url(customer):
    return f"/delivery/round/{customer['_id']}/{TODAY.isoformat()}/confirm"


def test_the_same_queued_tap_posted_twice_answers_the_stop_both_times(client, login_as, route, db):
    login_as(route.ravi)
    for _ in range(2):
        response = client.post(confirm_url(route.bina), data={"outcome": "full", "tap_key": KEY}, htmx=True)
        assert response.status_code == 200 and 'data-state="DELIVERED"' in response.get_data(as_text=True)
    assert db.deliveries.count_documents({"customer_id": route.bina["_id"]}) == 2  # milk and the one-time paneer
    assert db.tap_keys.count_documents({}) == 1


def test_a_queued_tap_for_an_order_cancelled_meanwhile_says_so(client, login_as, route, db, system):
    orders.cancel(route.bina_paneer["_id"], override_cutoff=True, actor=system)
    login_as(route.ravi)
    quantities = {deliveries.quantity_field(route.bina_paneer["_id"], route.paneer["_id"]): "1",
                  deliveries.quantity_field(route.bina_sub["_id"], route.milk["_id"]): "1"}
    response = client.post(confirm_url(route.bina), data={"outcome": "partial", "tap_key": KEY, **quantities},
                           htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "not due at this stop" in body
    assert db.deliveries.count_documents({}) == 0


def test_the_round_page_carries_the_queue_words_and_the_worker(client, login_as, route):
    login_as(route.ravi)
    page = client.get("/delivery/round").get_data(as_text=True)
    assert 'id="tap-queue"' in page and 'data-saved="Saved on phone' in page and 'data-many="{n} taps' in page
    assert 'data-worker="/delivery/sw.js"' in page


def test_the_service_worker_is_served_under_delivery(client, login_as, route):
    login_as(route.ravi)
    response = client.get("/delivery/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert b"addEventListener(\"fetch\"" in response.get_data()


@pytest.mark.parametrize("role", ["customer", "admin", "supplier"])
def test_the_service_worker_is_the_delivery_boys_only(client, login_as, role):
    login_as(role)
    assert client.get("/delivery/sw.js").status_code == 403
