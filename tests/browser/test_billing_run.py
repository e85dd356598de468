"""Browser: an admin runs a month's billing and watches the progress bar finish."""
import pytest

from tests.billing_fixtures import AFTER_MONTH, APRIL, MONTH
from tests.browser.conftest import sign_in
from webapp import clock

pytestmark = pytest.mark.browser



@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_admin_runs_a_month_and_watches_the_progress_bar(db, live_server, new_page, make_user, make_customer, milk,
                                                         subscribe, deliver, viewport):
    for _ in range(3):
        deliver(subscribe(make_customer(), milk), APRIL[:5])
    admin = make_user("admin", password="correct-horse-1")
    page = new_page(viewport)
    with clock.frozen(AFTER_MONTH):
        sign_in(page, live_server, admin["email"], "correct-horse-1")
        page.goto(f"{live_server}/staff/billing/")
        page.fill("input[name=month]", MONTH)
        page.click("text=Run billing")
        page.wait_for_selector("#job[data-status=done]", timeout=20_000)
        assert page.locator("progress.job-progress").get_attribute("value") == "100"
        assert "Customers 3 / 3" in page.inner_text("#job")
        assert "3 bills issued" in page.inner_text(".job-summary")
        page.click("text=See the bills")
        page.wait_for_selector("#bills")
        assert page.locator("#bills tbody tr").count() == 3
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.click("#bills tbody tr:first-child td:first-child a")
        page.wait_for_selector(".bill .bill-total")
        assert page.inner_text(".bill .bill-total") == "₹250.00"
        assert "Delivered on 5 days" in page.inner_text(".bill-summary")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        # The run page can be left and reopened: the job record still tells the outcome.
        page.go_back()
        page.go_back()
        page.wait_for_selector("#job[data-status=done]")
    assert db.bills.count_documents({}) == 3
