"""Browser: a delivery boy who chose Hindi opens his round on a 360 px wide phone; it reads in Hindi (no English
word but the names its data brings) and fits.

The screenshots are kept in test-artifacts/ (round-hi-360.png, the round; round-hi-360-open.png, a stop's
"partly / not delivered" form opened) for a person to look at."""
from pathlib import Path

import pytest

from tests.browser.conftest import sign_in
from tests.delivery_fixtures import TODAY, day_now, route  # noqa: F401  (fixtures)
from tests.test_translations import ALLOWED_WORDS, data_words, english_words
from webapp import i18n, presentation
from webapp.services import Actor, accounts

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("day_now")]

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
NARROW_PHONE = {"width": 360, "height": 780}


@pytest.fixture(autouse=True)
def compiled_catalogues():
    i18n.compile_catalogs()


def fits_the_width(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_round_in_hindi_on_a_360_px_phone(live_server, new_page, route):
    accounts.set_language("hi", actor=Actor.for_user(route.ravi))
    page = new_page("phone")
    page.set_viewport_size(NARROW_PHONE)
    sign_in(page, live_server, route.ravi["email"], "correct-horse-1")
    page.goto(f"{live_server}/delivery/round")

    assert page.get_attribute("html", "lang") == "hi"
    assert page.locator("h1").inner_text().endswith(presentation.format_day(TODAY, "long", "hi"))
    assert page.get_by_role("navigation", name="मुख्य").get_by_role("link", name="मेरा रूट").is_visible()
    assert fits_the_width(page)
    names = data_words(route.anil, route.bina, route.ravi, route.milk, route.curd, route.paneer)
    assert english_words(page.content(), ALLOWED_WORDS | names) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "round-hi-360.png"), full_page=True)

    page.locator(f"#stop-{route.anil['_id']} summary").first.click()
    page.wait_for_selector(f"#stop-{route.anil['_id']} form")
    assert fits_the_width(page)
    assert english_words(page.content(), ALLOWED_WORDS | names) == []
    page.screenshot(path=str(ARTIFACTS / "round-hi-360-open.png"), full_page=True)
