"""Browser: axe-core finds no accessibility violation, of any impact, on the main pages at phone width.

axe-core is a vendored test asset (tests/assets/axe-core, MPL-2.0). The app's CSP allows only its own scripts, so
axe is evaluated through the browser's debugging protocol (which CSP does not govern) rather than added as a
<script> tag, and the page's own policy stays exactly as served.
"""
from pathlib import Path

import pytest

from tests.browser.conftest import sign_in
from tests.links_fixtures import DAY, bills, now, round_, round_link  # noqa: F401
from webapp.db import get_db
from webapp.services import accounts, links

pytestmark = pytest.mark.browser

AXE_SOURCE = (Path(__file__).parent.parent / "assets" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
PASSWORD = "correct-horse-1"


def axe_violations(page):
    """axe's violations on the page as loaded, one readable line per failing element."""
    page.wait_for_load_state("networkidle")
    page.evaluate(AXE_SOURCE)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{violation['id']} ({violation['impact']}): {violation['help']} at {' '.join(node['target'])}"
            for violation in result["violations"] for node in violation["nodes"]]


def signed_in_page(new_page, live_server, user):
    get_db().users.update_one({"_id": user["_id"]}, {"$set": {"password_hash": accounts.hash_password(PASSWORD)}})
    page = new_page("phone")
    sign_in(page, live_server, user["email"] or user["phone"], PASSWORD)
    page.wait_for_load_state("networkidle")
    return page


def customer_login(customer):
    return get_db().users.find_one({"customer_id": customer["_id"]})


def visit(page, url):
    """Open `url` as the signed-in person (a redirect to the login page would pass axe and prove nothing)."""
    response = page.goto(url)
    assert response.status == 200 and page.url == url
    return response


def test_the_login_page(live_server, new_page):
    page = new_page("phone")
    visit(page, f"{live_server}/auth/login")
    assert axe_violations(page) == []


def test_the_check_sees_a_violation(live_server, new_page):
    page = new_page("phone")
    visit(page, f"{live_server}/auth/login")
    page.evaluate("document.querySelectorAll('label').forEach(label => label.remove())")
    assert any(line.startswith("label (critical)") for line in axe_violations(page))


def test_the_customers_home_bills_and_one_bill(live_server, new_page, round_, bills, now):
    page = signed_in_page(new_page, live_server, customer_login(round_.anil))
    found = {}
    for path in ("/me/", "/me/bills/", f"/me/bills/{bills['Anil']['_id']}", "/me/profile"):
        visit(page, f"{live_server}{path}")
        found[path] = axe_violations(page)
    assert found == {path: [] for path in found}


def test_the_delivery_boys_round_and_his_shared_links(live_server, new_page, round_, system, now):
    links.create_round_link(round_.ravi["_id"], DAY, actor=system)
    page = signed_in_page(new_page, live_server, round_.ravi)
    visit(page, f"{live_server}/delivery/round")
    assert page.locator(".stop").count() == 2
    found = {"/delivery/round": axe_violations(page)}
    visit(page, f"{live_server}/delivery/share")
    found["/delivery/share"] = axe_violations(page)
    assert found == {path: [] for path in found}


def test_the_round_link_page(live_server, new_page, round_, round_link):
    page = new_page("phone")
    visit(page, f"{live_server}{round_link.path}")
    assert axe_violations(page) == []


def test_the_bill_link_page(live_server, new_page, round_, bills, system, now):
    page = new_page("phone")
    visit(page, links.issue_bill_link(bills["Anil"]["_id"], actor=system).replace("http://localhost", live_server))
    assert axe_violations(page) == []


def test_the_staff_home_customers_list_and_shared_links(live_server, new_page, make_user, round_, bills, system,
                                                        now):
    links.create_bill_link(bills["Anil"]["_id"], actor=system)
    page = signed_in_page(new_page, live_server, make_user("admin"))
    found = {}
    for path in ("/staff/", "/staff/customers", "/staff/links/"):
        visit(page, f"{live_server}{path}")
        found[path] = axe_violations(page)
    assert found == {path: [] for path in found}
