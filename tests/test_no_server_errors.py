"""Never a 500 for anything a user can type: every endpoint, as several roles, with garbage in the
path, the query and the form answers with a 2xx, 3xx or 4xx."""
import pytest

from tests.conftest import built_once
from webapp.services import Actor, ServiceError

GARBAGE_PATH = ["CU-nope", "2026-13-45", "%00", "x" * 300]
GARBAGE_FORM = {
    "qty": "-1.5", "date": "2026-02-30", "first_day": "yesterday", "last_day": "", "amount": "₹1e9",
    "price": "abc", "phone": "12", "email": "@", "name": "", "month": "2026-13", "status": "WHATEVER",
    "delivery_boy_id": "US-nope", "stop": "-3", "reason": "<script>", "method": "gold", "bill_id": "BI-x",
    "expires_at": "not-a-date", "outcome": "maybe", "kind": "forever", "pattern": "hourly", "weekdays": "9",
    "start_date": "0000-00-00", "end_date": "9999-99-99", "delivery_date": "", "direction": "sideways",
    "items-0-product_id": "PR-nope", "items-0-qty": "1000000000000000000000", "override_cutoff": "y",
}


def endpoints(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "auth.logout"):  # logging out would end the sweep's session
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            yield rule, method


def build_path(rule, value):
    return build_path_from(rule, {name: value for name in rule.arguments})


@pytest.mark.parametrize("role", ["admin", "support", "delivery_boy", "customer", "supplier", None])
def test_garbage_never_causes_a_server_error(app, client, login_as, role):
    if role:
        login_as(role)
    failures = []
    for rule, method in endpoints(app):
        for value in GARBAGE_PATH if rule.arguments else [None]:
            path = build_path(rule, value) if value else build_path(rule, "")
            query = "?month=2026-99&date=31-31-31&page=-1&status=%00&q=((("
            if method == "GET":
                response = client.get(path + query)
            else:
                response = client.post(path + query, data=GARBAGE_FORM)
            if response.status_code >= 500:
                failures.append((method, path, response.status_code))
    assert failures == []


@pytest.fixture
def world(db, make_user, make_product, system):
    """What build_world makes, built once per worker (conftest.built_once)."""
    return built_once("no_server_errors.world", [db], lambda: build_world(make_user, make_product, system, db))


def build_world(make_user, make_product, system, db):
    """One of everything a URL can name, made through the services on 1–3 March 2026."""
    from datetime import date, datetime

    from webapp import clock
    from webapp.services import (area_skips, bill_questions, billing, billing_jobs, deliveries, links, orders,
                                 pause_requests, payments)

    with clock.frozen(datetime(2026, 2, 27, 8, 0)):
        boy = make_user("delivery_boy")
        milk = make_product("Milk")
        owner = make_user("customer", delivery_boy_id=boy["_id"], stop=1)
        customer_id = owner["customer_id"]
        subscription = orders.create_subscription(customer_id, [{"product_id": milk["_id"], "qty": 2}],
                                                  {"kind": "daily"}, date(2026, 3, 1), actor=system)
        one_time = orders.create_one_time_order(customer_id, [{"product_id": milk["_id"], "qty": 1}],
                                                date(2026, 3, 2), actor=system)
        skip = area_skips.skip_area(date(2026, 3, 5), "Festival", None, actor=system)
    with clock.frozen(datetime(2026, 3, 2, 20, 30)):  # after the cut-off for 3 March: a late request
        try:
            orders.set_quantity(subscription["_id"], date(2026, 3, 3), [{"product_id": milk["_id"], "qty": 0}],
                                actor=Actor.for_user(owner))
        except ServiceError:
            pass
    with clock.frozen(datetime(2026, 4, 1, 8, 0)):
        deliveries.confirm(subscription["_id"], date(2026, 3, 1), actor=system)
        billing.run_month("2026-03", actor=system)
        job, _ = billing_jobs.start_month_job("2026-02", actor=system)
        link = links.create_round_link(boy["_id"], date(2026, 4, 1), actor=system)
        token = links.token_for(link)
        pause_requests.request_pause(token, customer_id, date(2026, 4, 3), date(2026, 4, 4), ip="127.0.0.1")
        question = bill_questions.ask(db.bills.find_one()["_id"], 0, "Only one packet came", actor=Actor.for_user(owner))
        payment = payments.record_payment(customer_id, 1_000, "cash", actor=system)
    return {
        "customer_id": customer_id, "order_id": subscription["_id"], "one_time_id": one_time["_id"],
        "boy_id": boy["_id"], "delivery_boy_id": boy["_id"], "user_id": boy["_id"], "product_id": milk["_id"],
        "bill_id": db.bills.find_one()["_id"], "link_id": link["_id"], "token": token,
        "request_id": (db.pause_requests.find_one() or {}).get("_id", "PQ-none"),
        "skip_id": skip["_id"] if isinstance(skip, dict) else str(skip), "job_id": job["_id"],
        "day": "2026-04-01", "date": "2026-04-01", "decision": "apply", "owner": owner,
        "question_id": question["_id"], "payment_id": payment["_id"], "check": "orders-without-customer",
    }


def real_path(rule, world):
    values = {name: world[name] for name in rule.arguments}
    return build_path_from(rule, values)


def build_path_from(rule, values):
    parts = []
    for is_dynamic, data in rule._trace:
        parts.append(str(values[data]) if is_dynamic else data)
    return "".join(parts).split("|", 1)[1]


@pytest.mark.parametrize("role", ["admin", "marketing", "delivery_boy", "owner"])
def test_garbage_forms_on_real_records_never_cause_a_server_error(client, app, login_as, world, role):
    from datetime import datetime

    from webapp import clock

    login_as(world["owner"] if role == "owner" else role)
    failures = []
    with clock.frozen(datetime(2026, 4, 1, 9, 0)):
        for rule, method in endpoints(app):
            path = real_path(rule, world)
            response = client.get(path) if method == "GET" else client.post(path, data=GARBAGE_FORM)
            if response.status_code >= 500:
                failures.append((method, path, response.status_code))
    assert failures == []


# --- bodies a browser form never sends: JSON, and file parts ------------------------------------

JSON_BODIES = [{"qty": [1, 2]}, {"name": {"$gt": ""}}, {"login": 5}, [1, 2], "text", 7]


def post_rules(app):
    return [rule for rule, method in endpoints(app) if method == "POST"]


@pytest.mark.parametrize("role", ["admin", "customer", "delivery_boy", None])
def test_json_and_file_bodies_get_a_400_and_change_nothing(client, app, db, login_as, world, role):
    from datetime import datetime
    from io import BytesIO

    from tests.faults import snapshot
    from webapp import clock

    if role:
        login_as(world["owner"] if role == "customer" else role)
    before = snapshot(db)
    wrong = []
    with clock.frozen(datetime(2026, 4, 1, 9, 0)):
        for rule in post_rules(app):
            path = real_path(rule, world)
            for body in JSON_BODIES:
                response = client.post(path, json=body)
                if response.status_code != 400 or "This page takes a form, not JSON." not in response.text:
                    wrong.append(("json", path, body, response.status_code))
            upload = {"name": "Asha", "qty": "1", "attachment": (BytesIO(b"%PDF-1.4"), "bill.pdf")}
            response = client.post(path, data=upload, content_type="multipart/form-data", htmx=True)
            if response.status_code != 400 or "This form takes no files." not in response.text:
                wrong.append(("file", path, response.status_code))
    assert wrong == []
    assert snapshot(db) == before


def test_a_multipart_form_without_files_still_works(client, make_user):
    user = make_user("admin", password="right-password-1")
    response = client.post("/auth/login", data={"login": user["email"], "password": "right-password-1"},
                           content_type="multipart/form-data")
    assert response.status_code == 303


def test_a_json_body_is_refused_in_the_htmx_error_partial(client, login_as):
    login_as("admin")
    response = client.post("/staff/products/new", json={"name": {"$gt": ""}}, htmx=True)
    assert response.status_code == 400
    assert "This page takes a form, not JSON." in response.text and "<html" not in response.text


# --- dates at the ends of the calendar --------------------------------------------------------

EXTREME_DAYS = ["0001-01-01", "9999-12-31", "2026-02-30", "2026-10-01\n", "20261001", "2026-W40-1"]
EXTREME_MONTHS = ["0000-01", "9999-12", "0001-01", "2026-10\n", "2026-1", "9999-13"]


def quoted_path(rule, world, day):
    from urllib.parse import quote

    values = {name: world[name] for name in rule.arguments}
    for name in ("day", "date"):
        if name in values:
            values[name] = quote(day, safe="")
    return build_path_from(rule, values)


@pytest.mark.parametrize("role", ["admin", "owner", "delivery_boy", "supplier"])
def test_extreme_dates_in_the_query_and_the_path_never_cause_a_server_error(client, app, login_as, world, role):
    from datetime import datetime

    from webapp import clock

    login_as(world["owner"] if role == "owner" else role)
    failures = []
    with clock.frozen(datetime(2026, 4, 1, 9, 0)):
        for rule, method in endpoints(app):
            if method != "GET":
                continue
            for day, month in zip(EXTREME_DAYS, EXTREME_MONTHS):
                path = quoted_path(rule, world, day)
                response = client.get(path, query_string={"date": day, "month": month})
                if response.status_code >= 500:
                    failures.append((path, day, month, response.status_code))
    assert failures == []


@pytest.mark.parametrize("role", ["admin", "owner", "delivery_boy"])
def test_extreme_dates_in_forms_never_cause_a_server_error(client, app, db, login_as, world, role):
    from datetime import datetime

    from webapp import clock

    login_as(world["owner"] if role == "owner" else role)
    failures = []
    with clock.frozen(datetime(2026, 4, 1, 9, 0)):
        for rule in post_rules(app):
            for day in ("0001-01-01", "9999-12-31", "2026-10-01\n"):
                form = {name: day for name in ("date", "day", "first_day", "last_day", "from_day", "start_date",
                                               "end_date", "delivery_date", "received_on", "dates")}
                form.update({"month": "0000-01", "items-0-product_id": world["product_id"], "items-0-qty": "1",
                             "pattern": "daily", "amount": "10", "method": "cash", "override_cutoff": "y",
                             "delivery_boy_id": world["boy_id"], "expires_at": "9999-12-31T23:59",
                             "bill_id": world["bill_id"], "reason": "Rain", "outcome": "full"})
                path = quoted_path(rule, world, day)
                response = client.post(path, data=form)
                if response.status_code >= 500:
                    failures.append((path, day, response.status_code))
    assert failures == []
    assert db.orders.count_documents({"delivery_date": {"$gt": "2027"}}) == 0
    assert db.orders.count_documents({"start_date": {"$gt": "2027"}}) == 0
    assert db.payments.count_documents({"received_on": {"$lt": "2020"}}) == 0


@pytest.mark.parametrize("content_type, body", [
    ("multipart/form-data; boundary=xyz", b"--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end"),
    ("multipart/form-data", b"no boundary at all"),
    ("application/x-www-form-urlencoded", b"name=%ZZ&qty=%00&\xff\xfe=1"),
    ("application/json", b"{not json"),
    ("application/merge-patch+json", b"{}"),
])
def test_malformed_bodies_never_cause_a_server_error(client, login_as, content_type, body):
    login_as("admin")
    response = client.post("/staff/products/new", data=body, content_type=content_type)
    assert 400 <= response.status_code < 500
