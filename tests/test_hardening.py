"""Issue 13: request size, caching of private pages, what /health tells a stranger, the database away."""
import pytest
from pymongo import MongoClient
from pymongo.errors import ExecutionTimeout

from tests.billing_fixtures import AFTER_MONTH, APRIL, MONTH
from webapp import clock
from webapp.services import billing, customers


def test_a_body_larger_than_a_form_is_refused_with_the_products_page(client):
    response = client.post("/auth/login", data={"login": "x" * (70 * 1024), "password": "y"})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_a_large_htmx_body_gets_the_partial(client):
    response = client.post("/auth/login", data={"login": "x" * (70 * 1024)}, htmx=True)
    assert response.status_code == 413 and "<html" not in response.get_data(as_text=True)


def test_pages_behind_a_login_are_not_stored(client, login_as):
    login_as("admin")
    for path in ("/staff/", "/staff/customers", "/staff/orders"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path


def test_a_customers_own_pages_are_not_stored(client, login_as):
    login_as("customer")
    for path in ("/me/", "/me/bills", "/me/calendar"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path


def test_exports_are_not_stored(client, login_as, make_customer, subscribe, deliver, milk, system):
    customer = make_customer(name="Anil")
    deliver(subscribe(customer, milk), APRIL[:2])
    with clock.frozen(AFTER_MONTH):
        billing.run_month(MONTH, actor=system)
    login_as("admin")
    response = client.get(f"/staff/billing/bills.csv?month={MONTH}")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"


def test_public_pages_and_static_files_may_be_cached(client, login_as):
    assert "no-store" not in client.get("/auth/login").headers.get("Cache-Control", "")
    login_as("admin")
    assert "no-store" not in client.get("/static/app.css").headers.get("Cache-Control", "")


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/auth/login").headers
    secure = client.get("/auth/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


# --- the database does not answer: a 503 page at once, which itself asks the database nothing ------------------

@pytest.fixture
def cut_database(app, monkeypatch):
    """cut_database(): from now on the app's client points at a port where no database listens."""
    unreachable = MongoClient("mongodb://127.0.0.1:9/?directConnection=true", serverSelectionTimeoutMS=200)
    yield lambda: monkeypatch.setitem(app.extensions, "mongo", unreachable)
    unreachable.close()


def test_a_signed_in_page_without_database_is_a_503_page_without_navigation(client, login_as, cut_database):
    login_as("admin")
    cut_database()
    response = client.get("/staff/customers")
    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "10" and response.headers["Cache-Control"] == "no-store"
    assert "Back in a moment" in body and 'class="error-box"' in body and "<html" in body
    assert "Sign out" not in body  # the navigation would need the signed-in user from the database


def test_htmx_gets_the_503_partial(client, login_as, cut_database):
    login_as("delivery_boy")
    cut_database()
    response = client.post("/delivery/round/CU-1/2026-04-01/confirm", data={}, htmx=True)
    assert response.status_code == 503 and "<html" not in response.get_data(as_text=True)
    assert "Back in a moment" in response.get_data(as_text=True)


def test_health_with_a_session_cookie_says_down_without_a_second_wait(client, login_as, cut_database):
    login_as("admin")
    cut_database()
    response = client.get("/health")
    assert response.status_code == 503 and response.json == {"status": "down"}


def test_a_database_timeout_in_a_view_is_a_503_without_navigation(client, login_as, monkeypatch):
    login_as("admin")  # loaded from the database, which then stops answering in time

    def too_slow(*args, **kwargs):
        raise ExecutionTimeout("operation exceeded time limit", 50)

    monkeypatch.setattr(customers, "list_customers", too_slow)
    response = client.get("/staff/customers")
    assert response.status_code == 503 and response.headers["Retry-After"] == "10"
    assert "Back in a moment" in response.get_data(as_text=True)
    assert "Sign out" not in response.get_data(as_text=True)


def test_a_database_error_after_the_view_is_no_500(app, client, login_as, cut_database, monkeypatch):
    # A static file needs no database, but the headers set after every request ask who is signed in.
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # as in production: the 500 handler runs
    login_as("admin")
    cut_database()
    response = client.get("/static/app.css")
    assert response.status_code in (200, 503)
    if response.status_code == 503:
        assert response.headers["Retry-After"] == "10"
    response.close()
