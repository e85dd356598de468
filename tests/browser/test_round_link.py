"""Browser: someone without an account opens a shared round link on a phone and confirms a stop."""
import pytest

from tests.links_fixtures import now, round_, round_link  # noqa: F401

pytestmark = pytest.mark.browser


def test_a_round_link_confirms_a_stop_on_a_phone(db, live_server, new_page, round_, round_link):
    page = new_page("phone")
    response = page.goto(f"{live_server}{round_link.path}")
    assert response.status == 200
    assert response.headers["referrer-policy"] == "no-referrer" and response.headers["cache-control"] == "no-store"
    anil = page.locator(f"#stop-{round_.anil['_id']}")
    assert "Anil" in anil.inner_text()
    anil.locator("button", has_text="Delivered in full").click()
    page.wait_for_selector(f"#stop-{round_.anil['_id']}[data-state=DELIVERED]")
    # Swapped in place (htmx), progress updated out of band; no horizontal scroll on the phone.
    assert page.url == f"{live_server}{round_link.path}"
    assert "1 of 2 done" in " ".join(page.locator("#round-progress").inner_text().split())
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert all(cookie["name"] == "session" for cookie in page.context.cookies())  # CSRF only, no login

    delivery = db.deliveries.find_one({"order_id": round_.anil_sub["_id"]})
    assert delivery["status"] == "DELIVERED" and delivery["via"] == "link"
    assert delivery["confirmed_by"] == {"kind": "link", "id": round_link.id, "role": "link", "ip": "127.0.0.1"}
