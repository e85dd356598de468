"""Issue 2 journey: a user signs in on a phone and lands on his home page, with htmx loaded under the CSP."""
import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_admin_signs_in_on_a_phone_and_sees_home(live_server, new_page, make_user):
    make_user("admin", email="boss@example.test", name="Boss Admin", password="right-password")
    page = new_page("phone")
    problems = []
    # A refused script or style shows as a console error naming the Content Security Policy.
    page.on("console", lambda message: "Content Security Policy" in message.text and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))

    sign_in(page, live_server, "boss@example.test", "wrong-password")
    assert page.locator(".error").first.inner_text() == "Wrong email/mobile number or password."

    sign_in(page, live_server, "boss@example.test", "right-password")
    page.wait_for_url(f"{live_server}/staff/")
    assert "Good day, Boss Admin" in page.inner_text("h1")
    assert page.evaluate("typeof htmx") == "object"  # the vendored file ran under script-src 'self'
    # Nothing wider than a 390 px phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert problems == []

    page.click("text=Sign out")
    page.wait_for_url(f"{live_server}/auth/login")
