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


def test_a_round_link_opens_a_stops_form_when_asked_and_logs_no_console_error(db, live_server, new_page, round_,
                                                                              round_link):
    page = new_page("phone")
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server}{round_link.path}")
    bina = page.locator(f"#stop-{round_.bina['_id']}")
    assert bina.locator("select[name=reason]").count() == 0  # not in the page until opened
    bina.locator("summary").click()
    bina.locator("select[name=reason]").select_option("door_locked")
    bina.get_by_role("button", name="Not delivered").click()
    page.wait_for_selector(f"#stop-{round_.bina['_id']}[data-state=NOT_DELIVERED]")
    assert page.evaluate("document.activeElement.closest('.stop')?.id") == f"stop-{round_.anil['_id']}"
    assert {d["status"] for d in db.deliveries.find({"customer_id": round_.bina["_id"]})} == {"NOT_DELIVERED"}
    assert errors == []  # no 404 for a favicon, no CSP refusal
