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
