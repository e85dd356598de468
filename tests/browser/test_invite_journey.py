"""Issue 3 journey: staff create a customer, the customer opens his invite link, sets a password and signs in."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_staff_creates_customer_who_sets_password_through_invite_and_signs_in(live_server, new_page, make_user):
    make_user("support", email="sunita@example.test", password="support-pass-1")
    staff = new_page("desktop")
    sign_in(staff, live_server, "sunita@example.test", "support-pass-1")
    staff.click("nav >> text=Customers")
    staff.click("text=New customer")
    staff.fill("input[name=name]", "Lata Menon")
    staff.fill("input[name=phone]", "98450 12345")
    staff.fill("textarea[name=address]", "7 MG Road, 2nd floor")
    staff.fill("input[name=area]", "Indiranagar")
    staff.click("button[type=submit] >> text=Create customer")
    expect(staff.locator("h1")).to_have_text("Customer created")
    invite_url = staff.locator("input.invite-url").input_value()
    assert "/auth/invite/" in invite_url
    assert "wa.me/919845012345?text=" in staff.locator("a", has_text="Share on WhatsApp").get_attribute("href")

    # The list finds him as you type (htmx, debounced).
    staff.click("nav >> text=Customers")
    staff.fill("#q", "lata")
    expect(staff.locator("#customer-list")).to_contain_text("Lata Menon")
    staff.fill("#q", "nobody-by-that-name")
    expect(staff.locator("#customer-list")).to_contain_text("No customer matches")

    customer = new_page("phone")  # a fresh browser context: his own phone
    customer.goto(invite_url)
    expect(customer.locator("h1")).to_contain_text("Welcome, Lata Menon")
    customer.fill("input[name=password]", "fresh-milk-2026")
    customer.fill("input[name=confirm]", "fresh-milk-2026")
    customer.click("button[type=submit]")
    expect(customer).to_have_url(re.compile(r"/me/$"))

    again = new_page("phone")
    sign_in(again, live_server, "9845012345", "fresh-milk-2026")
    expect(again).to_have_url(re.compile(r"/me/$"))
    again.goto(f"{live_server}/me/profile")
    expect(again.locator("textarea[name=address]")).to_have_value("7 MG Road, 2nd floor")


def test_staff_reorder_a_route_with_the_up_button(live_server, new_page, make_user, make_customer):
    make_user("marketing", email="manoj@example.test", password="marketing-pass-1")
    boy = make_user("delivery_boy", name="Raju")
    for name in ("Anil", "Bina", "Chetan"):
        make_customer(name=name, delivery_boy_id=boy["_id"])
    page = new_page("phone")
    sign_in(page, live_server, "manoj@example.test", "marketing-pass-1")
    page.goto(f"{live_server}/staff/routes/{boy['_id']}")
    page.click("button[aria-label='Move Chetan up']")
    expect(page.locator("ol.route > li").nth(1)).to_contain_text("2. Chetan")
    expect(page).to_have_url(re.compile(r"/staff/routes/"))  # swapped in place, no navigation
    page.reload()
    expect(page.locator("ol.route > li").nth(2)).to_contain_text("3. Bina")
