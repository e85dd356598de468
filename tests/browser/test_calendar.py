"""Browser: a customer skips tomorrow's delivery on his calendar, on a phone; the calendar fits 360 px."""
from datetime import date, datetime
from pathlib import Path

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
        page.wait_for_selector("#day-panel [role=status] >> text=Skipped Wed 11 Mar — ₹60.00 less this month")
        # Swapped in place: still the calendar page, and the cell now says Skip.
        assert page.url.endswith("/me/calendar")
        assert "Skip" in page.locator('a.cal-day[data-day="2026-03-11"]').inner_text()
        assert "Toned" in page.locator('a.cal-day[data-day="2026-03-12"]').inner_text()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert schedule.quantity_on(orders.get_order(sub["_id"]), date(2026, 3, 11)) == {}
    assert db.audit_log.count_documents({"action": "order.set_quantity", "entity_id": sub["_id"]}) == 1


# axe-core, the vendored test asset (tests/assets/axe-core), evaluated in the page.
AXE_SOURCE = (Path(__file__).parent.parent / "assets" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")

# Every visible element of the calendar (not the screen readers' .sr-only text): its font size, and whether its content spills out of it or out of its day cell.
MEASURE = """() => [...document.querySelectorAll('#calendar *')].filter(el => el.offsetParent !== null && !el.closest('.sr-only')).map(el => {
  const cell = el.closest('.cal-day'); const box = el.getBoundingClientRect();
  const cellBox = cell ? cell.getBoundingClientRect() : null;
  return {tag: el.tagName, cls: el.className, text: el.textContent.trim().slice(0, 40),
          font: parseFloat(getComputedStyle(el).fontSize), ellipsis: getComputedStyle(el).textOverflow === 'ellipsis',
          spills: el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).display !== 'inline',
          outside: cellBox !== null && (box.right > cellBox.right + 0.5 || box.left < cellBox.left - 0.5)};
})"""


def test_the_calendar_fits_a_360_px_phone(db, live_server, new_page, make_user, make_product, system):
    products = [make_product(name, price_paise=3000) for name in
                ("Toned milk 500 ml", "Full cream milk 1 L", "Buttermilk", "Curd")]
    user = make_user("customer", password="correct-horse-1")
    actor = Actor.for_user(user)
    with clock.frozen(MORNING):
        sub = orders.create_subscription(user["customer_id"], [{"product_id": p["_id"], "qty": 2} for p in products],
                                         {"kind": "daily"}, "2026-03-11", actor=actor)
        orders.create_one_time_order(user["customer_id"], [{"product_id": products[1]["_id"], "qty": 12}],
                                     "2026-03-12", actor=actor)
        orders.set_quantity(sub["_id"], "2026-03-13", [{"product_id": p["_id"], "qty": 0} for p in products],
                            actor=actor)
        orders.pause(sub["_id"], "2026-03-16", "2026-03-18", actor=actor)
        page = new_page("phone")
        page.set_viewport_size({"width": 360, "height": 740})
        sign_in(page, live_server, user["email"], "correct-horse-1")
        page.goto(f"{live_server}/me/calendar/2026-03-12")
        elements = page.evaluate(MEASURE)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.evaluate(AXE_SOURCE)
        axe = page.evaluate("axe.run('#calendar', {resultTypes: ['violations']})")
    assert [(violation["id"], [node["target"] for node in violation["nodes"]]) for violation in axe["violations"]] == []
    assert [e for e in elements if e["font"] < 12] == []
    assert [e for e in elements if e["spills"] or e["outside"] or e["ellipsis"]] == []
    busy = page.locator('a.cal-day[data-day="2026-03-12"]')
    for label in ("Toned", "Full", "Buttermilk", "Curd"):
        assert label in busy.inner_text()
    # The accessible name says the day in words (the short visible cell is hidden from screen readers).
    assert page.get_by_role("link", name="Thu 12 Mar: 14 Full cream milk 1 L, 2 Toned milk 500 ml, 2 Buttermilk, "
                                         "2 Curd, extra order", exact=True).count() == 1
    assert page.get_by_role("link", name="Fri 13 Mar: skipped", exact=True).count() == 1
    assert page.get_by_role("link", name="Mon 16 Mar: paused", exact=True).count() == 1
    assert page.locator("[role=grid]").count() == 0
