"""Browser: a delivery boy on a 390×844 phone confirms one stop in full and one partly, reloads, sees both."""
import pytest

from webapp.services import deliveries

from tests.browser.conftest import sign_in
from tests.delivery_fixtures import day_now, route  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("day_now")]


def test_delivery_boy_confirms_his_round_on_a_phone(db, live_server, new_page, route):
    page = new_page("phone")
    sign_in(page, live_server, route.ravi["email"], "correct-horse-1")
    page.goto(f"{live_server}/delivery/round")
    assert "Load the van" in page.inner_text("body")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    bina = page.locator(f"#stop-{route.bina['_id']}")
    bina.get_by_role("button", name="Delivered in full").click()
    page.wait_for_selector(f"#stop-{route.bina['_id']}[data-state=DELIVERED]")
    assert "1 of 2 done" in " ".join(page.locator("#round-progress").inner_text().split())

    anil = page.locator(f"#stop-{route.anil['_id']}")
    anil.locator("summary").click()
    milk = deliveries.quantity_field(route.anil_sub["_id"], route.milk["_id"])
    anil.locator(f"input[name='{milk}']").fill("1")
    anil.get_by_role("button", name="Save these quantities").click()
    page.wait_for_selector(f"#stop-{route.anil['_id']}[data-state=PARTIALLY_DELIVERED]")
    assert page.url.endswith("/delivery/round")  # swapped in place, no navigation

    page.reload()
    assert page.locator(f"#stop-{route.anil['_id']}").get_attribute("data-state") == "PARTIALLY_DELIVERED"
    assert page.locator(f"#stop-{route.bina['_id']}").get_attribute("data-state") == "DELIVERED"
    assert "1 handed over" in page.locator(f"#stop-{route.anil['_id']}").inner_text()
    assert "2 of 2 done" in " ".join(page.locator("#round-progress").inner_text().split())
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    statuses = {d["order_id"]: d["status"] for d in db.deliveries.find()}
    assert statuses == {route.anil_sub["_id"]: "PARTIALLY_DELIVERED", route.bina_sub["_id"]: "DELIVERED",
                        route.bina_paneer["_id"]: "DELIVERED"}


def stop_state(page, customer):
    return page.locator(f"#stop-{customer['_id']}").get_attribute("data-state")


def test_after_a_tap_focus_moves_to_the_next_stop_and_the_progress_is_announced(live_server, new_page, route):
    page = new_page("phone")
    sign_in(page, live_server, route.ravi["email"], "correct-horse-1")
    page.goto(f"{live_server}/delivery/round")
    page.locator(f"#stop-{route.anil['_id']}").get_by_role("button", name="Delivered in full").click()
    page.wait_for_selector(f"#stop-{route.anil['_id']}[data-state=DELIVERED]")
    focused = page.evaluate("[document.activeElement.closest('.stop')?.id, document.activeElement.value]")
    assert focused == [f"stop-{route.bina['_id']}", "full"]
    assert page.locator("#round-announce").inner_text() == "Anil: Delivered. 1 of 2 stops done."
    assert page.locator("#round-announce").get_attribute("role") == "status"


def test_a_tap_without_signal_is_saved_on_the_phone_and_sent_when_back_online(db, signal, new_page, route):
    page = new_page("phone")
    sign_in(page, signal.url, route.ravi["email"], "correct-horse-1")
    page.goto(f"{signal.url}/delivery/round")
    queue = page.locator("#tap-queue")
    assert queue.is_hidden() and page.locator("#offline-banner").is_hidden()

    signal.cut(page)
    queue.wait_for(state="visible")
    assert "No signal: taps are saved on the phone" in queue.inner_text()
    bina = page.locator(f"#stop-{route.bina['_id']}")
    bina.get_by_role("button", name="Delivered in full").click()
    bina.locator(".stop-saved").wait_for()
    assert "Saved on phone" in bina.inner_text() and "1 tap saved on phone, not sent yet" in queue.inner_text()
    assert stop_state(page, route.bina) == "todo" and db.deliveries.count_documents({}) == 0
    assert page.locator("#offline-banner").is_hidden()  # the round says it in its own words

    signal.restore(page)
    page.wait_for_selector(f"#stop-{route.bina['_id']}[data-state=DELIVERED]")
    queue.wait_for(state="hidden")
    assert bina.locator(".stop-saved").count() == 0
    assert db.deliveries.count_documents({"customer_id": route.bina["_id"]}) == 2  # milk and the one-time paneer


def test_a_tap_in_flight_disables_the_stop_and_a_proxy_error_keeps_the_stop(db, live_server, new_page, route):
    page = new_page("phone")
    sign_in(page, live_server, route.ravi["email"], "correct-horse-1")
    page.goto(f"{live_server}/delivery/round")
    held = []
    page.route("**/confirm", lambda request_route: held.append(request_route))
    anil = page.locator(f"#stop-{route.anil['_id']}")
    full = anil.get_by_role("button", name="Delivered in full")
    full.click()
    page.wait_for_function(f"document.querySelector('#stop-{route.anil['_id']} button[value=full]').disabled")
    assert anil.get_attribute("aria-busy") == "true"
    full.evaluate("button => button.click()")  # a second tap while the first is in flight
    held[0].fulfill(status=502, content_type="text/html", body="<html><body>Bad gateway</body></html>")
    anil.get_by_role("alert").wait_for()
    assert "Not saved: the server did not answer." in anil.get_by_role("alert").inner_text()
    assert stop_state(page, route.anil) == "todo" and full.is_enabled()  # the stop stays, not the error page
    assert len(held) == 1  # the second tap sent nothing
    assert db.deliveries.count_documents({}) == 0

    page.unroute("**/confirm")
    anil.get_by_role("button", name="Retry").click()
    page.wait_for_selector(f"#stop-{route.anil['_id']}[data-state=DELIVERED]")
    assert db.deliveries.count_documents({"customer_id": route.anil["_id"]}) == 1


def test_a_refused_tap_says_why_in_the_stop(live_server, new_page, route):
    page = new_page("phone")
    sign_in(page, live_server, route.ravi["email"], "correct-horse-1")
    page.goto(f"{live_server}/delivery/round")
    page.route("**/confirm", lambda request_route: request_route.fulfill(
        status=409, content_type="text/html",
        body='<div class="error-box" role="alert"><h1>Cannot do that now</h1><p>This day is billed.</p></div>'))
    bina = page.locator(f"#stop-{route.bina['_id']}")
    bina.get_by_role("button", name="Delivered in full").click()
    bina.get_by_role("alert").wait_for()
    assert bina.get_by_role("alert").inner_text().startswith("Not saved: This day is billed.")
    assert page.locator(".error-box").count() == 0 and stop_state(page, route.bina) == "todo"
