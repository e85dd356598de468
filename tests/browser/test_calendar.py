"""Browser: a customer skips tomorrow's delivery on his calendar, on a phone."""
from datetime import date, datetime

import pytest

from tests.browser.conftest import sign_in
from webapp import clock
from webapp.services import Actor, orders, schedule

pytestmark = pytest.mark.browser
MORNING = datetime(2026, 3, 10, 7, 30)  # Tue 10 Mar, business time: tomorrow is still open


def test_customer_skips_tomorrow_on_a_phone(db, live_server, new_page, make_user, make_product):
    milk = make_product("Toned milk", price_paise=3000)
    user = make_user("customer", password="correct-horse-1")
    with clock.frozen(MORNING):
        sub = orders.create_subscription(user["customer_id"], [{"product_id": milk["_id"], "qty": 2}],
                                         {"kind": "daily"}, "2026-03-11", actor=Actor.for_user(user))
        page = new_page("phone")
        sign_in(page, live_server, user["email"], "correct-horse-1")
        page.goto(f"{live_server}/me/calendar")
        tomorrow = page.locator('a.cal-day[data-day="2026-03-11"]')
        assert "Toned" in tomorrow.inner_text() and "2" in tomorrow.inner_text()
        tomorrow.click()
        page.wait_for_selector("#day-2026-03-11")
        assert page.locator("#day-panel input[type=number]").input_value() == "2"
        page.click("#day-panel >> text=Skip this day")
        page.wait_for_selector("#day-panel >> text=Saved.")
        # Swapped in place: still the calendar page, and the cell now says Skip.
        assert page.url.endswith("/me/calendar")
        assert "Skip" in page.locator('a.cal-day[data-day="2026-03-11"]').inner_text()
        assert "Toned" in page.locator('a.cal-day[data-day="2026-03-12"]').inner_text()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert schedule.quantity_on(orders.get_order(sub["_id"]), date(2026, 3, 11)) == {}
    assert db.audit_log.count_documents({"action": "order.set_quantity", "entity_id": sub["_id"]}) == 1
