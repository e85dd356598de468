"""The round page on a cheap phone: compressed responses, a small DOM (each stop's "partly / not delivered" form is
fetched when opened), static files under versioned URLs cached for a year, a favicon."""
import gzip
import hashlib
import re
from datetime import date, datetime
from pathlib import Path

import html5lib
import pytest
from flask import current_app

from bench.seed import BENCH_DAY, seed
from webapp import clock
from webapp.db import get_db
from webapp.services import orders

from tests.conftest import built_once
from tests.delivery_fixtures import TODAY, day_now, route  # noqa: F401  (fixtures)
from tests.links_fixtures import now, round_, round_link  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parent.parent
YEAR_IMMUTABLE = "public, max-age=31536000, immutable"


def elements(body):
    """How many elements a browser builds from the page (what Lighthouse counts as DOM size)."""
    return sum(1 for _ in html5lib.parse(body, namespaceHTMLElements=False).iter())


@pytest.fixture
def big_round(db, login_as):
    """A delivery boy signed in with 300 stops due on BENCH_DAY (bulk-inserted, as the bench does); the clock at
    06:00 that day."""
    boy = seed(db, customers=300, subscriptions=300, one_time=0)["boys"][0]
    login_as(boy)
    with clock.frozen(datetime.combine(BENCH_DAY, datetime.min.time()).replace(hour=6)):
        yield boy


@pytest.fixture
def small_round(make_user, make_product, make_customer, system, login_as):
    """A delivery boy signed in with 17 stops: daily milk at each door, curd as well at every third (the round built
    once per worker: conftest.built_once)."""
    boy = built_once("static.small_round", [get_db()],
                     lambda: build_small_round(make_user, make_product, make_customer, system))
    login_as(boy)
    with clock.frozen(datetime(2026, 3, 10, 6, 0)):
        yield boy


def build_small_round(make_user, make_product, make_customer, system):
    with clock.frozen(datetime(2026, 3, 1, 6, 0)):
        boy = make_user("delivery_boy", name="Ravi")
        milk = make_product("Milk", "500 ml packet", 3000)
        curd = make_product("Curd", "400 g cup", 4500)
        for n in range(17):
            customer = make_customer(name=f"Customer {n + 1}", delivery_boy_id=boy["_id"], stop=n + 1)
            items = [{"product_id": milk["_id"], "qty": 1 + n % 2}]
            if n % 3 == 0:
                items.append({"product_id": curd["_id"], "qty": 1})
            orders.create_subscription(customer["_id"], items, {"kind": "daily"}, date(2026, 3, 2), actor=system)
    return boy


# --- compression and size ------------------------------------------------------------------------------------


def test_the_round_of_300_stops_is_under_60_kb_on_the_wire_gzipped(client, big_round):
    response = client.get(f"/delivery/round?date={BENCH_DAY.isoformat()}", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in response.headers["Vary"]
    wire = response.get_data()
    assert len(wire) < 60_000 and int(response.headers["Content-Length"]) == len(wire)
    page = gzip.decompress(wire).decode()
    assert page.count('class="card stop"') == 300


def test_the_round_of_300_stops_stays_usable(client, big_round):
    page = client.get(f"/delivery/round?date={BENCH_DAY.isoformat()}").get_data()
    assert elements(page) < 15 * 300  # was 11,007 with a hidden form in every stop
    assert len(page) < 450_000        # was 851 KB
    assert b'name="qty:' not in page


def test_the_round_of_17_stops_is_under_300_elements(client, small_round):
    page = client.get("/delivery/round").get_data(as_text=True)
    assert page.count('class="card stop"') == 17
    assert elements(page) < 300  # was 677


def test_without_accept_encoding_the_page_goes_out_plain(client, small_round):
    response = client.get("/delivery/round", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in response.headers and b"<html" in response.get_data()


def test_brotli_when_the_browser_takes_it_and_json_is_compressed_too(client, small_round):
    page = client.get("/delivery/round", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert page.headers["Content-Encoding"] == "br"
    css = client.get("/static/app.css", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert css.headers["Content-Encoding"] == "br"
    assert len(css.get_data()) < (ROOT / "static" / "app.css").stat().st_size / 2
    assert "application/json" in current_app.config["COMPRESS_MIMETYPES"]


# --- the "partly / not delivered" form, fetched when opened ---------------------------------------------------


@pytest.mark.usefixtures("day_now")
def test_the_round_carries_no_hidden_forms_only_a_link_to_fetch_each(client, login_as, route):
    login_as(route.ravi)
    page = client.get("/delivery/round").get_data(as_text=True)
    url = f"/delivery/round/{route.anil['_id']}/{TODAY.isoformat()}/confirm"
    assert 'name="qty:' not in page and "<fieldset" not in page
    assert f'hx-get="{url}" hx-trigger="toggle once"' in page and f'<a href="{url}">Open the form</a>' in page
    # "Delivered in full" needs no form of its own: htmx posts the button, a browser without script the round's form.
    assert f'form="round-form" formaction="{url}"' in page and page.count('id="round-form"') == 1


@pytest.mark.usefixtures("day_now")
def test_opening_a_stop_fetches_its_form(client, login_as, route):
    login_as(route.ravi)
    url = f"/delivery/round/{route.anil['_id']}/{TODAY.isoformat()}/confirm"
    fragment = client.get(url, htmx=True)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body
    assert f'hx-post="{url}" hx-target="#stop-{route.anil["_id"]}"' in body and 'name="csrf_token"' in body
    assert body.count('name="qty:') == 2 and 'value="not_delivered"' in body and 'name="reason"' in body
    # Without script, the same address is the stop's own page with its form open.
    page = client.get(url).get_data(as_text=True)
    assert "<html" in page and "<details class=\"stop-more\" open>" in page and 'value="full"' in page


@pytest.mark.usefixtures("day_now")
def test_another_boys_stop_form_is_not_found(client, login_as, route):
    login_as(route.gopal)
    assert client.get(f"/delivery/round/{route.anil['_id']}/{TODAY.isoformat()}/confirm", htmx=True).status_code == 404


@pytest.mark.usefixtures("day_now")
def test_a_tapped_stop_comes_back_light_and_refused_input_comes_back_whole(client, login_as, route):
    login_as(route.ravi)
    url = f"/delivery/round/{route.bina['_id']}/{TODAY.isoformat()}/confirm"
    done = client.post(url, data={"outcome": "full"}, htmx=True).get_data(as_text=True)
    assert 'data-state="DELIVERED"' in done and "Correct this stop" in done and 'name="qty:' not in done
    refused = client.post(url, data={"outcome": "not_delivered"}, htmx=True)
    assert refused.status_code == 422
    assert '<details class="stop-more" open>' in refused.get_data(as_text=True)


def test_a_round_link_fetches_a_stop_form_the_same_way(client, round_, round_link):
    page = client.get(round_link.path).get_data(as_text=True)
    url = f"{round_link.path}/2026-03-10/stops/{round_.anil['_id']}/confirm"
    assert 'name="qty:' not in page and f'hx-get="{url}"' in page
    fragment = client.get(url, htmx=True)
    assert fragment.status_code == 200 and 'name="qty:' in fragment.get_data(as_text=True)
    assert fragment.headers["Cache-Control"] == "no-store" and fragment.headers["Referrer-Policy"] == "no-referrer"
    assert client.get(f"{round_link.path}/2026-03-10/stops/{round_.chetan['_id']}/confirm",
                      htmx=True).status_code == 404


# --- static files ---------------------------------------------------------------------------------------------


def static_links(page):
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', page)


def test_every_static_link_carries_its_content_hash(client):
    page = client.get("/auth/login").get_data(as_text=True)
    found = static_links(page)
    assert {link.split("?")[0] for link in found} == {"/static/favicon.svg", "/static/app.css", "/static/app.js",
                                                       "/static/vendor/htmx-2.0.11.min.js"}
    for link in found:
        path, version = re.fullmatch(r"/static/([^?]+)\?v=([0-9a-f]{12})", link).groups()
        assert version == hashlib.sha256((ROOT / "static" / path).read_bytes()).hexdigest()[:12]


def test_a_versioned_static_file_is_cached_for_a_year(client):
    page = client.get("/auth/login").get_data(as_text=True)
    css = next(link for link in static_links(page) if "app.css" in link)
    response = client.get(css)
    assert response.status_code == 200 and response.headers["Cache-Control"] == YEAR_IMMUTABLE
    # Without the version, or with one that is not the file's, the browser must ask again.
    for other in ("/static/app.css", "/static/app.css?v=000000000000"):
        assert "immutable" not in client.get(other).headers.get("Cache-Control", "")


def test_the_favicon_is_linked_and_served(client):
    page = client.get("/auth/login").get_data(as_text=True)
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page).group(1)
    response = client.get(icon)
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert b"<svg" in response.get_data()


def test_templates_link_static_files_only_through_static_url():
    offenders = [str(path.relative_to(ROOT)) for path in (ROOT / "templates").rglob("*.html")
                 if re.search(r"url_for\(\s*['\"]static['\"]|[\"']/static/", path.read_text())]
    assert offenders == []


@pytest.mark.usefixtures("day_now")
@pytest.mark.parametrize("customer_id, day", [("nobody", "2026-03-10"), ("x" * 300, "2026-13-45"),
                                             ("CU-1", "9" * 40), ("%00", "tomorrow")])
def test_a_stop_form_asked_with_garbage_is_a_clear_4xx(client, login_as, route, customer_id, day):
    login_as(route.ravi)
    assert 400 <= client.get(f"/delivery/round/{customer_id}/{day}/confirm", htmx=True).status_code < 500
    assert 400 <= client.get(f"/l/not-a-token/{day}/stops/{customer_id}/confirm").status_code < 500
