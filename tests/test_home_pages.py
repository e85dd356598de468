"""The home pages: what needs attention, for staff; tomorrow and the balance, for a customer."""
from datetime import date, datetime

from webapp import clock
from webapp.services import Actor, NotFound, bill_tallies, dashboard, orders

import pytest

MORNING = datetime(2026, 3, 10, 7, 0)


def test_staff_home_counts_what_needs_attention(client, login_as, make_customer, db):
    make_customer(status="trial")
    db.pause_requests.insert_one({"_id": "PQ-1", "status": "PENDING"})
    db.bills.insert_one({"_id": "BI-202602-0001", "customer_id": "CU-x", "status": "PARTIAL", "month": "2026-02",
                         "due_date": "2026-03-09", "total_paise": 10_000, "paid_paise": 4_000, "lines": []})
    bill_tallies.rebuild(actor=Actor.system())  # the bill written here, not by billing: its tallies taken
    login_as("support")
    with clock.frozen(MORNING):
        summary = dashboard.staff_summary(actor=Actor.system())
        page = client.get("/staff/").get_data(as_text=True)
    assert summary["customers"] == 1 and summary["waiting_for_route"] == 1
    assert summary["pause_requests"] == 1 and summary["overdue_bills"] == 1
    assert "overdue bills" in page and "pause requests waiting" in page


def test_customer_home_shows_tomorrow_and_balance(client, login_as, make_user, make_product, system):
    milk = make_product("Milk", price_paise=3000)
    user = login_as(make_user("customer"))
    with clock.frozen(MORNING):
        orders.create_subscription(user["customer_id"], [{"product_id": milk["_id"], "qty": 2}], {"kind": "daily"},
                                   date(2026, 3, 11), actor=system)
        summary = dashboard.customer_summary(actor=Actor.for_user(user))
        page = client.get("/me/").get_data(as_text=True)
    assert summary["tomorrow"] == date(2026, 3, 11)
    assert [(p["name"], qty) for p, qty in summary["arriving"]] == [("Milk", 2)]
    assert "Nothing to pay." in page and "× Milk" in page


def test_customer_summary_is_only_for_customers(make_user):
    with pytest.raises(NotFound):
        dashboard.customer_summary(actor=Actor.for_user(make_user("support")))
