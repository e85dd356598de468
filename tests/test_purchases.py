"""Purchases from the supplier: one record per day and product, corrected in place, audited; the admin or the
supplier records them, on the service and on the page."""
from datetime import datetime

import pytest

from webapp import clock
from webapp.services import Actor, Forbidden, ValidationError, audit, purchases

NOW = datetime(2026, 5, 10, 9, 0)


@pytest.fixture
def supplier(make_user):
    return Actor.for_user(make_user("supplier"))


def test_a_day_and_product_has_one_record_corrected_in_place_and_audited(db, milk, supplier, make_user):
    admin = Actor.for_user(make_user("admin"))
    with clock.frozen(NOW):
        first = purchases.record_purchase("2026-05-09", milk["_id"], "40", actor=supplier)
        again = purchases.record_purchase("2026-05-09", milk["_id"], 38, actor=admin)
        same = purchases.record_purchase("2026-05-09", milk["_id"], 38, actor=admin)
    assert first["_id"] == again["_id"] == same["_id"] and first["_id"].startswith("PU-20260509-")
    stored = list(db.purchases.find())
    assert len(stored) == 1 and stored[0]["qty"] == 38 and stored[0]["month"] == "2026-05"
    entries = sorted(audit.history("purchase", first["_id"]), key=lambda e: e["_id"], reverse=True)
    assert [e["changes"]["qty"] for e in entries] == [{"before": 40, "after": 38}, {"before": None, "after": 40}]
    assert entries[1]["actor"]["role"] == "supplier"


@pytest.mark.parametrize("day, product, qty, field", [
    ("2026-05-11", "milk", 5, "date"),  # tomorrow: nothing received yet
    ("2026-05-09", "PR-9999", 5, "product_id"),
    ("2026-05-09", "", 5, "product_id"),
    ("2026-05-09", "milk", -1, "qty"),
    ("2026-05-09", "milk", "2.5", "qty"),
    ("2026-05-09", "milk", 100_001, "qty"),
])
def test_bad_input_is_a_field_error_and_writes_nothing(db, milk, supplier, day, product, qty, field):
    with clock.frozen(NOW), pytest.raises(ValidationError) as error:
        purchases.record_purchase(day, milk["_id"] if product == "milk" else product, qty, actor=supplier)
    assert field in error.value.errors
    assert db.purchases.count_documents({}) == 0 and db.audit_log.count_documents({"action": "purchase.record"}) == 0


@pytest.mark.parametrize("role", ["support", "marketing", "delivery_boy", "customer"])
def test_only_the_admin_and_the_supplier_record_purchases(milk, make_user, role):
    with clock.frozen(NOW), pytest.raises(Forbidden):
        purchases.record_purchase("2026-05-09", milk["_id"], 5, actor=Actor.for_user(make_user(role)))


def test_the_page_records_and_lists_the_month(client, login_as, milk, db):
    login_as("supplier")
    with clock.frozen(NOW):
        page = client.get("/staff/purchases")
        assert page.status_code == 200 and "Milk" in page.get_data(as_text=True)
        saved = client.post("/staff/purchases", data={"date": "2026-05-09", "product_id": milk["_id"], "qty": "12"})
        assert saved.status_code == 303
        listed = client.get(saved.headers["Location"]).get_data(as_text=True)
        correcting = client.get(f"/staff/purchases?date=2026-05-09&product_id={milk['_id']}")
    assert "Sat 09 May" in listed and ">12<" in listed
    assert 'value="12"' in correcting.get_data(as_text=True)
    assert db.purchases.find_one()["qty"] == 12


def test_a_wrong_quantity_on_the_page_is_shown_by_the_field(client, login_as, milk, db):
    login_as("admin")
    with clock.frozen(NOW):
        answer = client.post("/staff/purchases", data={"date": "2026-05-09", "product_id": milk["_id"], "qty": "lots"},
                             htmx=True)
    body = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "<html" not in body
    assert "Quantity received must be a whole number." in body
    assert db.purchases.count_documents({}) == 0


@pytest.mark.parametrize("role, expected", [("admin", 200), ("supplier", 200), ("support", 403), ("marketing", 403),
                                            ("customer", 403), ("delivery_boy", 403)])
def test_purchase_page_access(client, login_as, role, expected):
    login_as(role)
    assert client.get("/staff/purchases").status_code == expected
