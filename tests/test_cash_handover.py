"""Issue 18: cash at the door. Cash recorded in the tap is a payment (method cash, collected_by the boy) waiting for
the handover; the boy sees his total; the office confirms the handover and any difference with its reason."""
import pytest

from tests.delivery_fixtures import TODAY, day_now, route  # noqa: F401  (fixtures)
from webapp.services import Actor, Conflict, Forbidden, ValidationError, cash, deliveries

pytestmark = pytest.mark.usefixtures("day_now")


@pytest.fixture
def collected(route):
    """Ravi took ₹50.00 at Anil's door with the delivery and ₹25.50 at Bina's on its own."""
    deliveries.confirm_stop(route.anil["_id"], TODAY, cash_paise=5000, actor=route.ravi_actor)
    deliveries.confirm_stop(route.bina["_id"], TODAY, cash_paise=2550, door_only=True, actor=route.ravi_actor)
    return route


@pytest.fixture
def office(make_user):
    return Actor.for_user(make_user("support"))


def test_cash_at_the_door_is_a_payment_waiting_for_its_handover(collected, db):
    payment = db.payments.find_one({"customer_id": collected.anil["_id"]})
    assert payment["method"] == "cash" and payment["amount_paise"] == 5000
    assert payment["collected_by"] == collected.ravi["_id"] and payment["received_on"] == TODAY.isoformat()
    assert payment.get("handover_id") is None
    assert cash.with_boy(collected.ravi["_id"]) == {"amount_paise": 7550, "count": 2}
    assert cash.with_boy(collected.gopal["_id"]) == {"amount_paise": 0, "count": 0}
    assert db.deliveries.count_documents({"customer_id": collected.bina["_id"]}) == 0  # cash alone


@pytest.mark.parametrize("amount", [-100, True, 10**12])
def test_a_wrong_cash_amount_is_a_field_error(route, amount, db):
    with pytest.raises(ValidationError) as raised:
        deliveries.confirm_stop(route.anil["_id"], TODAY, cash_paise=amount, actor=route.ravi_actor)
    assert "cash" in raised.value.errors and db.payments.count_documents({}) == 0


def test_the_handover_takes_everything_the_boy_holds(collected, db, office):
    handover = cash.confirm_handover(collected.ravi["_id"], 7550, 7550, actor=office)
    assert handover["difference_paise"] == 0 and handover["reason"] is None
    assert sorted(handover["payment_ids"]) == sorted(p["_id"] for p in db.payments.find())
    assert db.payments.count_documents({"handover_id": handover["_id"]}) == 2
    assert cash.with_boy(collected.ravi["_id"])["amount_paise"] == 0
    assert db.audit_log.count_documents({"action": "cash.handover"}) == 1


def test_a_short_handover_is_recorded_with_its_reason(collected, db, office):
    with pytest.raises(ValidationError) as raised:
        cash.confirm_handover(collected.ravi["_id"], 7550, 7000, actor=office)
    assert raised.value.field == "reason" and db.cash_handovers.count_documents({}) == 0
    handover = cash.confirm_handover(collected.ravi["_id"], 7550, 7000, "₹5.50 change given", actor=office)
    assert handover["difference_paise"] == -550 and handover["reason"] == "₹5.50 change given"
    assert handover["expected_paise"] == 7550 and handover["received_paise"] == 7000


def test_cash_recorded_since_the_page_was_shown_is_a_conflict(collected, office):
    with pytest.raises(Conflict):
        cash.confirm_handover(collected.ravi["_id"], 5000, 5000, actor=office)


def test_a_second_handover_finds_nothing_to_hand_over(collected, office):
    cash.confirm_handover(collected.ravi["_id"], 7550, 7550, actor=office)
    with pytest.raises(Conflict):
        cash.confirm_handover(collected.ravi["_id"], 7550, 7550, actor=office)


def test_only_admin_and_support_confirm_a_handover(collected, make_user):
    with pytest.raises(Forbidden):
        cash.confirm_handover(collected.ravi["_id"], 7550, 7550, actor=Actor.for_user(make_user("marketing")))
    with pytest.raises(Forbidden):
        cash.confirm_handover(collected.ravi["_id"], 7550, 7550, actor=collected.ravi_actor)


# --- pages ---------------------------------------------------------------------------------------------------


def test_the_boy_sees_his_total_to_hand_over(client, login_as, collected):
    login_as(collected.ravi)
    page = client.get("/delivery/round").get_data(as_text=True)
    assert "Cash to hand over" in page and "₹75.50" in page


def test_the_boy_records_cash_in_the_tap(client, login_as, route, db):
    login_as(route.ravi)
    url = f"/delivery/round/{route.anil['_id']}/{TODAY.isoformat()}/confirm"
    response = client.post(url, data={"outcome": "full", "cash": "abc"}, htmx=True)
    assert response.status_code == 422 and db.deliveries.count_documents({}) == 0
    response = client.post(url, data={"outcome": "full", "cash": "120.50"}, htmx=True)
    assert response.status_code == 200 and db.payments.find_one()["amount_paise"] == 12050


@pytest.mark.parametrize("role,status", [("admin", 200), ("support", 200), ("marketing", 403),
                                         ("delivery_boy", 403), ("customer", 403)])
def test_the_collections_page_is_for_the_money_roles(client, login_as, collected, role, status):
    login_as(role)
    response = client.get("/staff/collections")
    assert response.status_code == status
    if status == 200:
        assert "Ravi: ₹75.50" in response.get_data(as_text=True)


def test_the_office_confirms_a_handover_on_the_page(client, login_as, collected, db):
    login_as("support")
    boy = collected.ravi["_id"]
    url = f"/staff/collections/{boy}/handover"
    response = client.post(url, data={f"{boy}-expected": "7550", f"{boy}-received": "70.00"})
    assert response.status_code == 422 and "Say why" in response.get_data(as_text=True)
    response = client.post(url, data={f"{boy}-expected": "7550", f"{boy}-received": "70.00",
                                      f"{boy}-reason": "short by 5.50"})
    assert response.status_code == 303 and db.cash_handovers.find_one()["difference_paise"] == -550
    page = client.get("/staff/collections").get_data(as_text=True)
    assert "No delivery boy holds cash" in page and "short by 5.50" in page


def test_a_stops_fetched_form_carries_the_cash_field(client, login_as, route):
    login_as(route.ravi)
    body = client.get(f"/delivery/round/{route.anil['_id']}/{TODAY.isoformat()}/confirm", htmx=True).get_data(
        as_text=True)
    assert f'id="cash-{route.anil["_id"]}"' in body and 'value="door"' in body
