"""Browser: a delivery boy on a phone loses the signal, confirms 5 stops, reloads the page without signal, gets the
signal back: the taps are sent in order by themselves, and exactly 5 records exist."""
from datetime import date, datetime

import pytest

from tests.browser.conftest import sign_in
from tests.delivery_fixtures import NOW, TODAY
from webapp import clock
from webapp.services import orders

pytestmark = pytest.mark.browser


def wait_until(page, expression, seconds=10):
    """Poll `expression` in the page (wait_for_function evaluates strings, which the strict CSP refuses)."""
    for _ in range(seconds * 5):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"never true: {expression}")


@pytest.fixture
def five_stops(make_user, make_product, make_customer, system):
    with clock.frozen(datetime(2026, 3, 1, 6, 0)):
        boy = make_user("delivery_boy", name="Ravi")
        milk = make_product("Milk", "500 ml packet", 3000)
        customers = []
        for n in range(5):
            customer = make_customer(name=f"Door {n + 1}", delivery_boy_id=boy["_id"], stop=n + 1)
            orders.create_subscription(customer["_id"], [{"product_id": milk["_id"], "qty": 1}], {"kind": "daily"},
                                       TODAY, actor=system)
            customers.append(customer)
    with clock.frozen(NOW):
        yield boy, customers


def test_five_taps_without_signal_survive_a_reload_and_are_sent_once(db, signal, new_page, five_stops):
    boy, customers = five_stops
    page = new_page("phone")
    sign_in(page, signal.url, boy["email"], "correct-horse-1")
    page.goto(f"{signal.url}/delivery/round")
    # The service worker has kept the round and its files before the signal goes.
    wait_until(page, "caches.open('earlybird-round-v1').then(c => c.match('/delivery/round')).then(r => !!r)")

    signal.cut(page)
    queue = page.locator("#tap-queue")
    for customer in customers:
        stop = page.locator(f"#stop-{customer['_id']}")
        stop.get_by_role("button", name="Delivered in full").click()
        stop.locator(".stop-saved").wait_for()
        assert "Saved on phone" in stop.inner_text()
    assert "5 taps saved on phone, not sent yet" in queue.inner_text()
    assert db.deliveries.count_documents({}) == 0

    page.reload()
    assert "5 taps saved on phone, not sent yet" in page.locator("#tap-queue").inner_text()
    assert page.locator(".stop-saved").count() == 5
    assert db.deliveries.count_documents({}) == 0

    signal.restore(page)
    wait_until(page, "document.querySelectorAll('.stop[data-state=DELIVERED]').length === 5", seconds=30)
    page.locator("#tap-queue").wait_for(state="hidden")
    assert db.deliveries.count_documents({}) == 5 and db.tap_keys.count_documents({}) == 5
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.reload()  # nothing is sent twice
    page.wait_for_timeout(500)
    assert db.deliveries.count_documents({}) == 5


@pytest.fixture
def bottle_stop(make_user, make_product, make_customer, system):
    """One door with a returnable milk bottle (₹20.00 deposit), one bottle out from the day before."""
    from webapp.services import catalog, deliveries
    with clock.frozen(datetime(2026, 3, 1, 6, 0)):
        boy = make_user("delivery_boy", name="Ravi")
        milk = make_product("Milk", "500 ml bottle", 3000)
        catalog.set_returnable(milk["_id"], True, 2000, actor=system)
        customer = make_customer(name="Asha", delivery_boy_id=boy["_id"], stop=1, delivery_note="Ring twice")
        orders.create_subscription(customer["_id"], [{"product_id": milk["_id"], "qty": 1}], {"kind": "daily"},
                                   date(2026, 3, 9), actor=system)
    with clock.frozen(datetime(2026, 3, 9, 6, 0)):
        deliveries.confirm_stop(customer["_id"], date(2026, 3, 9), actor=system)
    with clock.frozen(NOW):
        yield boy, customer


def test_bottles_and_cash_go_with_the_tap(db, live_server, new_page, bottle_stop):
    boy, customer = bottle_stop
    page = new_page("phone")
    sign_in(page, live_server, boy["email"], "correct-horse-1")
    page.goto(f"{live_server}/delivery/round")
    stop = page.locator(f"#stop-{customer['_id']}")
    assert "Ring twice" in stop.inner_text() and "1 bottles with the customer" in stop.inner_text()
    assert stop.locator("a.stop-address").get_attribute("href").startswith("geo:0,0?q=")
    assert stop.locator("a.call").get_attribute("href").startswith("tel:+91")
    stop.get_by_role("button", name="Bottles, cash").click()
    stop.get_by_label("Bottles collected").fill("1")
    stop.get_by_label("Cash received (₹)").fill("50")
    stop.get_by_role("button", name="Delivered in full").click()
    page.wait_for_selector(f"#stop-{customer['_id']}[data-state=DELIVERED]")
    assert db.customers.find_one({"_id": customer["_id"]})["bottles_out"] == 1  # one given, one back
    payment = db.payments.find_one({"customer_id": customer["_id"]})
    assert payment["amount_paise"] == 5000 and payment["collected_by"] == boy["_id"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_queued_tap_refused_on_arrival_says_why(db, signal, new_page, five_stops, system):
    boy, customers = five_stops
    page = new_page("phone")
    sign_in(page, signal.url, boy["email"], "correct-horse-1")
    page.goto(f"{signal.url}/delivery/round")
    signal.cut(page)
    stop = page.locator(f"#stop-{customers[0]['_id']}")
    stop.get_by_role("button", name="Delivered in full").click()
    stop.locator(".stop-saved").wait_for()
    # Meanwhile the office stops the customer from today: nothing is due at his door any more.
    subscription = db.orders.find_one({"customer_id": customers[0]["_id"]})
    orders.stop(subscription["_id"], TODAY, override_cutoff=True, actor=system)
    signal.restore(page)
    stop.locator(".stop-failed").wait_for()
    assert "Not recorded" in stop.inner_text() and stop.locator(".stop-saved").count() == 0
    page.locator("#tap-queue").wait_for(state="hidden")
    assert db.deliveries.count_documents({}) == 0
