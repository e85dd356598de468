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


def test_a_customer_changes_his_password_on_a_phone_and_a_held_back_sign_in_says_when(live_server, new_page, app,
                                                                                      make_user, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_FREE_FAILURES", 2)
    customer = make_user("customer", password="plum-orbit-candle-42")
    page = new_page("phone")
    sign_in(page, live_server, customer["phone"], "plum-orbit-candle-42")
    page.wait_for_url(f"{live_server}/me/")

    page.goto(f"{live_server}/auth/password")
    page.fill("input[name=current_password]", "plum-orbit-candle-42")
    page.fill("input[name=password]", "quiet-harbour-lantern-7")
    page.fill("input[name=confirm]", "quiet-harbour-lantern-7")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server}/me/")
    assert "Your password is changed." in page.inner_text(".flashes")
    page.click("text=Sign out")
    page.wait_for_url(f"{live_server}/auth/login")

    stranger = new_page("phone")
    for _ in range(2):
        sign_in(stranger, live_server, customer["phone"], "plum-orbit-candle-42")
    sign_in(stranger, live_server, customer["phone"], "quiet-harbour-lantern-7")
    assert stranger.locator(".error").first.inner_text().startswith("Too many failed sign-ins. Try again in")
    # His own phone signed in before: it is not held back by the stranger's failures.
    sign_in(page, live_server, customer["phone"], "quiet-harbour-lantern-7")
    page.wait_for_url(f"{live_server}/me/")
