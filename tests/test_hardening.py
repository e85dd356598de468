"""Issue 13, first findings closed: request size, caching of private pages, what /health tells a stranger."""
from tests.billing_fixtures import AFTER_MONTH, APRIL, MONTH
from webapp import clock
from webapp.services import billing


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
