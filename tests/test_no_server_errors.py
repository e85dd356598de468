"""Never a 500 for anything a user can type: every endpoint, as several roles, with garbage in the
path, the query and the form answers with a 2xx, 3xx or 4xx."""
import pytest

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
def world(make_user, make_product, system, db):
    """One of everything a URL can name, made through the services on 1–3 March 2026."""
    from datetime import date, datetime

    from webapp import clock
    from webapp.services import area_skips, billing, billing_jobs, deliveries, links, orders, pause_requests

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
    return {
        "customer_id": customer_id, "order_id": subscription["_id"], "one_time_id": one_time["_id"],
        "boy_id": boy["_id"], "delivery_boy_id": boy["_id"], "user_id": boy["_id"], "product_id": milk["_id"],
        "bill_id": db.bills.find_one()["_id"], "link_id": link["_id"], "token": token,
        "request_id": (db.pause_requests.find_one() or {}).get("_id", "PQ-none"),
        "skip_id": skip["_id"] if isinstance(skip, dict) else str(skip), "job_id": job["_id"],
        "day": "2026-04-01", "date": "2026-04-01", "decision": "apply", "owner": owner,
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
