"""Browser: the owner's morning page at desktop and phone width — every section drawn, charts visible, the health
checks loaded in place, nothing wider than the phone, no CSP refusal; today's rounds asked again when the tab comes
back into view (static/dashboard.js)."""
import struct

import pytest

from tests.browser.conftest import VIEWPORTS, sign_in
from tests.dashboard_fixtures import MAY_12, business  # noqa: F401  (fixtures)
from webapp import clock
from webapp.services import Actor, data_health, health_runs

pytestmark = pytest.mark.browser


def png_size(path):
    """(width, height) from a PNG's IHDR chunk."""
    with open(path, "rb") as png:
        header = png.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_morning_page_reads_at_a_glance(business, live_server, new_page, make_user, tmp_path, viewport):
    admin = make_user("admin", password="correct-horse-1")
    page = new_page(viewport)
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    with clock.frozen(MAY_12):
        health_runs.run_now(actor=Actor.system("nightly"))  # the morning page shows the night's run
        sign_in(page, live_server, admin["email"], "correct-horse-1")
        page.goto(f"{live_server}/staff/")
        page.wait_for_selector("#health-summary .health-checks")  # loaded by htmx after the page
        for section in ("#today", "#money", "#trends", "#health-summary"):
            assert page.locator(section).is_visible(), section
        chart = page.locator("#chart-revenue-30-title + svg").bounding_box()
        assert chart["width"] > 200 and chart["height"] > 60
        assert page.locator("#money .dash-overdue a").count() == 2
        assert page.locator("#health-summary .health-ok").count() == len(data_health.CHECKS)  # all green
        fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        shot = tmp_path / f"dashboard-{viewport}.png"
        page.screenshot(path=str(shot), full_page=True)
        with page.expect_request(lambda request: request.url.endswith("/staff/today")):
            page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        page.wait_for_selector("#today")
    assert fits, "the page is wider than the screen"
    width, height = png_size(shot)
    scale = VIEWPORTS[viewport].get("device_scale_factor", 1)
    assert width == VIEWPORTS[viewport]["viewport"]["width"] * scale
    assert height >= VIEWPORTS[viewport]["viewport"]["height"] * scale  # the whole page, longer than one screen
    assert refused == []


def test_the_owner_checks_the_data_again_from_the_morning_page(business, live_server, new_page, make_user, db):
    admin = make_user("admin", password="correct-horse-1")
    page = new_page("desktop")
    with clock.frozen(MAY_12):
        sign_in(page, live_server, admin["email"], "correct-horse-1")
        page.goto(f"{live_server}/staff/")
        page.wait_for_selector("#health-summary #health-run")
        assert "Not checked yet" in page.locator("#health-summary").inner_text()
        page.locator("#health-summary button", has_text="Check now").click()
        page.wait_for_url(f"{live_server}/staff/health")
        # The run goes on in the background; the page asks again every few seconds until it is done.
        page.wait_for_selector("#health-run[data-running=no] .health-checks", timeout=20_000)
        assert page.locator(".health-ok").count() == len(data_health.CHECKS)
    assert db.jobs.find_one({"kind": health_runs.KIND})["status"] == "done"
