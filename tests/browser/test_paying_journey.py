"""Browser: a customer pays a part-paid bill from his phone (360 px): his bills → the bill, its amount due, the UPI
code and the "Pay with UPI app" link for what is left, the day-by-day detail folded → back to his statement."""
import re

import pytest

from tests.billing_fixtures import AFTER_MONTH, APRIL, MONTH
from tests.browser.conftest import sign_in
from webapp import clock
from webapp.services import billing, business_profile, payments

pytestmark = pytest.mark.browser


def test_a_customer_pays_what_is_left_of_his_bill_from_his_phone(db, live_server, browser, make_user, milk,
                                                                subscribe, deliver, system):
    business_profile.update({"name": "Gokul Dairy", "upi_id": "gokul@okhdfcbank", "payee_name": "Gokul Dairy Farms"},
                            actor=system)
    owner = make_user("customer", password="correct-horse-1")
    customer = db.customers.find_one({"_id": owner["customer_id"]})
    deliver(subscribe(customer, milk, qty=2), APRIL[:10])  # 20 litres at ₹50: ₹1,000.00
    with clock.frozen(AFTER_MONTH):
        billing.run_month(MONTH, actor=system)
        payments.record_payment(customer["_id"], 40000, "cash", actor=system)
    bill_id = db.bills.find_one()["_id"]
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        with clock.frozen(AFTER_MONTH):
            sign_in(page, live_server, owner["email"], "correct-horse-1")
            page.goto(f"{live_server}/me/bills/")
            page.click(f"a[href='/me/bills/{bill_id}']")
            page.wait_for_selector(".bill-pay")
            assert page.inner_text(".bill-pay .bill-amount-due") == "₹600.00"
            pay = page.locator("a.upi-pay")
            assert pay.is_visible() and pay.inner_text() == "Pay with UPI app"
            assert pay.get_attribute("href") == (
                f"upi://pay?pa=gokul@okhdfcbank&pn=Gokul%20Dairy%20Farms&am=600.00&cu=INR&tn={bill_id}")
            code = page.locator(".upi-code svg").bounding_box()
            assert code["width"] >= 120 and code["x"] + code["width"] <= 360
            # On a phone the product summary shows and the day-by-day detail waits, folded, until asked for.
            assert page.locator(".bill-products").is_visible()
            assert not page.locator(".bill-lines").is_visible()
            page.click(".bill-days summary")
            assert page.locator("#line-0").is_visible()
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            page.click("text=← My bills")
            page.wait_for_url(re.compile(r"/me/bills/$"))
            assert page.locator("h1").inner_text() == "My bills"
            assert page.locator(f"a[href='/me/bills/{bill_id}']").first.is_visible()
    finally:
        context.close()
