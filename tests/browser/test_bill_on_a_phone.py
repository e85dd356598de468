"""Browser: a bill read on a 360-px phone shows every column whole, the Amount column included."""
import pytest

from tests.billing_fixtures import AFTER_MONTH, APRIL, MONTH
from tests.browser.conftest import sign_in
from webapp import clock
from webapp.services import billing

pytestmark = pytest.mark.browser


def test_the_bill_table_fits_360_px_without_clipping_the_amount(db, live_server, browser, make_user, make_product,
                                                               make_customer, subscribe, deliver, system):
    cream = make_product("Buffalo Milk Full Cream", "1 litre", 120000)
    customer = make_customer()
    deliver(subscribe(customer, cream, qty=3), APRIL[9:16])
    with clock.frozen(AFTER_MONTH):
        billing.run_month(MONTH, actor=system)
    bill_id = db.bills.find_one()["_id"]
    admin = make_user("admin", password="correct-horse-1")
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        with clock.frozen(AFTER_MONTH):
            sign_in(page, live_server, admin["email"], "correct-horse-1")
            page.goto(f"{live_server}/staff/billing/bills/{bill_id}")
            page.click(".bill-days summary")  # the day-by-day detail is folded on a phone
            page.wait_for_selector(".bill-lines")
            wrap = page.evaluate("(() => { const w = document.querySelector('.bill .table-wrap');"
                                 " return [w.scrollWidth, w.clientWidth]; })()")
            amount = page.locator(".bill-lines tbody tr:first-child td:last-child").bounding_box()
            card, totals = page.locator(".bill").bounding_box(), page.locator(".bill-totals").bounding_box()
        assert wrap[0] <= wrap[1], f"the lines table needs {wrap[0]} px of {wrap[1]}"
        assert amount["x"] + amount["width"] <= 360
        assert totals["x"] + totals["width"] <= card["x"] + card["width"]
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()
