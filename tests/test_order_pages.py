"""Order pages: customer and staff, full pages and htmx partials, access per role, bad input."""
from datetime import date, datetime

import pytest

from webapp import clock
from webapp.services import Actor, Conflict, late_requests, orders, schedule

MORNING = datetime(2026, 3, 10, 6, 0)


@pytest.fixture
def milk(make_product):
    return make_product("Toned milk", price_paise=3000)


@pytest.fixture
def subscriber(make_user, milk):
    """A customer with a daily subscription of 2 milk from 11 March."""
    user = make_user("customer", area="Indiranagar")
    with clock.frozen(MORNING):
        sub = orders.create_subscription(user["customer_id"], [{"product_id": milk["_id"], "qty": 2}],
                                         {"kind": "daily"}, "2026-03-11", actor=Actor.for_user(user))
    return user, sub


def test_customer_calendar_page_and_htmx_month(client, login_as, subscriber):
    user, sub = subscriber
    login_as(user)
    with clock.frozen(MORNING):
        page = client.get("/me/calendar")
        assert page.status_code == 200 and b"<html" in page.data
        html = page.get_data(as_text=True)
        assert 'data-day="2026-03-11"' in html and "Toned " in html
        partial = client.get("/me/calendar?month=2026-04", htmx=True)
        assert partial.status_code == 200 and b"<html" not in partial.data
        assert "April 2026" in partial.get_data(as_text=True)
        assert client.get("/me/calendar?month=2026-13").status_code == 422


def test_customer_skips_a_day_in_place(client, login_as, subscriber, milk):
    user, sub = subscriber
    login_as(user)
    with clock.frozen(MORNING):
        panel = client.get("/me/calendar/2026-03-12", htmx=True)
        assert panel.status_code == 200 and b"<html" not in panel.data
        assert f'name="{sub["_id"]}-items-0-qty"'.encode() in panel.data
        response = client.post(f"/me/orders/{sub['_id']}/day/2026-03-12", htmx=True, data={
            f"{sub['_id']}-items-0-product_id": milk["_id"], f"{sub['_id']}-items-0-qty": "2",
            f"{sub['_id']}-skip": "y"})
        assert response.status_code == 200 and b"<html" not in response.data
        assert "Skipped Thu 12 Mar — ₹60.00 less this month" in response.get_data(as_text=True)
    assert schedule.quantity_on(orders.get_order(sub["_id"]), date(2026, 3, 12)) == {}


@pytest.mark.parametrize("qty", ["-1", "51", "1.5", "lots", ""])
def test_bad_day_quantities_are_shown_by_the_form(client, login_as, subscriber, milk, qty):
    user, sub = subscriber
    login_as(user)
    with clock.frozen(MORNING):
        response = client.post(f"/me/orders/{sub['_id']}/day/2026-03-12", htmx=True, data={
            f"{sub['_id']}-items-0-product_id": milk["_id"], f"{sub['_id']}-items-0-qty": qty})
    assert response.status_code == 422 and b'class="error"' in response.data
    assert orders.get_order(sub["_id"])["overrides"] == {}


def test_after_the_cutoff_the_customer_is_told_and_the_request_kept(client, login_as, subscriber, milk):
    user, sub = subscriber
    login_as(user)
    with clock.frozen(datetime(2026, 3, 11, 21, 0)):
        response = client.post(f"/me/orders/{sub['_id']}/day/2026-03-12", htmx=True, data={
            f"{sub['_id']}-items-0-product_id": milk["_id"], f"{sub['_id']}-items-0-qty": "1"})
    assert response.status_code == 409
    assert b"closed at 21:00" in response.data and b"Asked after the cut-off" in response.data
    assert len(late_requests.late_requests_for([user["customer_id"]], "2026-03-12")) == 1


@pytest.mark.parametrize("url", ["/me/calendar/2026-02-30", "/me/calendar/x"])
def test_bad_dates_in_urls_are_4xx(client, login_as, subscriber, url):
    login_as(subscriber[0])
    assert client.get(url).status_code == 422


def test_another_customers_order_is_404(client, login_as, subscriber, make_user, milk):
    user, sub = subscriber
    login_as(make_user("customer"))
    with clock.frozen(MORNING):
        assert client.get(f"/me/orders/{sub['_id']}").status_code == 404
        assert client.post(f"/me/orders/{sub['_id']}/stop").status_code == 404
        assert client.post(f"/me/orders/{sub['_id']}/day/2026-03-12", htmx=True, data={
            f"{sub['_id']}-items-0-product_id": milk["_id"], f"{sub['_id']}-items-0-qty": "0"}).status_code == 404
    assert orders.get_order(sub["_id"])["status"] == "ACTIVE"


def test_customer_places_a_one_time_order_and_a_subscription(client, login_as, make_user, milk, db):
    user = login_as("customer")
    with clock.frozen(MORNING):
        assert client.get("/me/orders/new/one-time").status_code == 200
        response = client.post("/me/orders/new/one-time", data={
            "items-0-product_id": milk["_id"], "items-0-qty": "3", "delivery_date": "2026-03-12"})
        assert response.status_code == 303
        order = db.orders.find_one({"kind": "ONE_TIME"})
        assert order["customer_id"] == user["customer_id"] and order["source"] == "customer"
        assert response.headers["Location"].endswith(f"/me/orders/{order['_id']}")
        response = client.post("/me/orders/new/subscription", data={
            "items-0-product_id": milk["_id"], "items-0-qty": "1", "pattern": "weekly", "weekdays": [],
            "start_date": "2026-03-12"})
        assert response.status_code == 422 and b"Choose at least one weekday" in response.data
        response = client.post("/me/orders/new/subscription", data={
            "items-0-product_id": milk["_id"], "items-0-qty": "1", "pattern": "weekly", "weekdays": ["0", "3"],
            "start_date": "2026-03-12", "end_date": "2026-03-11"})
        assert response.status_code == 422 and b"cannot be before the start" in response.data
        # A hand-crafted customer_id is ignored: a customer orders for himself only.
        response = client.post("/me/orders/new/subscription", data={
            "customer_id": "CU-someone-else", "items-0-product_id": milk["_id"], "items-0-qty": "1",
            "pattern": "weekly", "weekdays": ["0", "3"], "start_date": "2026-03-12"})
        assert response.status_code == 303
    assert db.orders.find_one({"kind": "SUBSCRIPTION"})["customer_id"] == user["customer_id"]


def test_customer_order_page_pause_and_cancel(client, login_as, subscriber):
    user, sub = subscriber
    login_as(user)
    with clock.frozen(MORNING):
        assert b"Pause" in client.get(f"/me/orders/{sub['_id']}").data
        bad = client.post(f"/me/orders/{sub['_id']}/pause", data={"first_day": "2026-03-20", "last_day": "2026-03-19"})
        assert bad.status_code == 422 and b"cannot be before the first day" in bad.data
        good = client.post(f"/me/orders/{sub['_id']}/pause", data={"first_day": "2026-03-20",
                                                                    "last_day": "2026-03-22"})
        assert good.status_code == 303
    assert orders.get_order(sub["_id"])["pauses"][0]["first_day"] == "2026-03-20"


@pytest.mark.parametrize("role, status", [("admin", 200), ("marketing", 200), ("support", 200),
                                          ("delivery_boy", 403), ("customer", 403), ("supplier", 403)])
def test_staff_pages_access(client, login_as, role, status, subscriber):
    login_as(role)
    customer_id = subscriber[0]["customer_id"]
    with clock.frozen(MORNING):
        for url in ("/staff/orders", f"/staff/orders/{subscriber[1]['_id']}", "/staff/orders/skips",
                    "/staff/orders/late-requests", f"/staff/customers/{customer_id}/orders",
                    f"/staff/customers/{customer_id}/orders/new/subscription"):
            assert client.get(url).status_code == status, url


@pytest.mark.parametrize("role", ["admin", "delivery_boy"])
def test_customer_pages_need_a_customer(client, login_as, role):
    login_as(role)
    assert client.get("/me/calendar").status_code == 403
    assert client.get("/me/orders").status_code == 403


def test_anonymous_is_sent_to_sign_in(client):
    assert client.get("/me/calendar").status_code == 302
    assert client.get("/staff/orders", htmx=True).status_code == 401


def test_staff_list_filters_and_htmx(client, login_as, subscriber, make_customer, milk, system):
    login_as("support")
    other = make_customer(area="South", name="Ravi South")
    with clock.frozen(MORNING):
        orders.create_one_time_order(other["_id"], [{"product_id": milk["_id"], "qty": 1}], "2026-03-12",
                                     actor=system)
        page = client.get("/staff/orders?area=South")
        assert page.status_code == 200 and b"Ravi South" in page.data and subscriber[1]["_id"].encode() not in page.data
        partial = client.get("/staff/orders?kind=SUBSCRIPTION", htmx=True)
        assert b"<html" not in partial.data and subscriber[1]["_id"].encode() in partial.data
        assert client.get("/staff/orders?day=2026-13-45").status_code == 422


def test_staff_customer_calendar_and_override(client, login_as, subscriber, milk, db):
    user, sub = subscriber
    login_as("admin")
    with clock.frozen(MORNING):
        section = client.get(f"/staff/customers/{user['customer_id']}/orders", htmx=True)
        assert section.status_code == 200 and b"<html" not in section.data and b'id="calendar"' in section.data
    data = {f"{sub['_id']}-items-0-product_id": milk["_id"], f"{sub['_id']}-items-0-qty": "4"}
    with clock.frozen(datetime(2026, 3, 11, 21, 30)):
        refused = client.post(f"/staff/orders/{sub['_id']}/day/2026-03-12", htmx=True, data=data)
        assert refused.status_code == 409 and b"override" in refused.data
        done = client.post(f"/staff/orders/{sub['_id']}/day/2026-03-12", htmx=True,
                           data={**data, f"{sub['_id']}-override_cutoff": "y"})
        assert done.status_code == 200
        assert "Thu 12 Mar: 4 × Toned milk (was 2) — ₹60.00 more this month" in done.get_data(as_text=True)
    assert schedule.quantity_on(orders.get_order(sub["_id"]), date(2026, 3, 12)) == {milk["_id"]: 4}
    assert db.audit_log.count_documents({"action": "order.override_cutoff"}) == 1


def test_staff_order_page_history_and_new_order(client, login_as, subscriber, milk, db):
    user, sub = subscriber
    login_as("marketing")
    with clock.frozen(MORNING):
        page = client.get(f"/staff/orders/{sub['_id']}")
        assert page.status_code == 200 and b"History" in page.data and b"Subscription for" in page.data
        assert client.get("/staff/orders/SU-nope").status_code == 404
        assert client.get("/staff/customers/CU-nope/orders/new/one-time").status_code == 404
        response = client.post(f"/staff/customers/{user['customer_id']}/orders/new/one-time", data={
            "items-0-product_id": milk["_id"], "items-0-qty": "2", "delivery_date": "2026-03-10"})
        assert response.status_code == 303
    assert db.orders.find_one({"kind": "ONE_TIME"})["source"] == "staff"


def test_staff_area_skip_and_undo(client, login_as, subscriber, db):
    user, sub = subscriber
    login_as("admin")
    with clock.frozen(MORNING):
        assert client.post("/staff/orders/skips", data={"day": "2026-03-14", "reason": ""}).status_code == 422
        assert client.post("/staff/orders/skips", data={"day": "2026-03-14", "area": "Indiranagar",
                                                        "reason": "Holi"}).status_code == 303
        skip = db.area_skips.find_one()
        assert schedule.explain(orders.get_order(sub["_id"]), date(2026, 3, 14))["reason"] == "Holi"
        assert b"Holi" in client.get("/staff/orders/skips").data
        assert client.post(f"/staff/orders/skips/{skip['_id']}/undo").status_code == 303
    assert schedule.quantity_on(orders.get_order(sub["_id"]), date(2026, 3, 14))


def test_staff_apply_a_late_request_from_the_page(client, login_as, subscriber, milk):
    user, sub = subscriber
    with clock.frozen(datetime(2026, 3, 11, 22, 0)):
        with pytest.raises(Conflict):
            orders.set_quantity(sub["_id"], "2026-03-12", [{"product_id": milk["_id"], "qty": 1}],
                                actor=Actor.for_user(user))
        login_as("support")
        note = late_requests.late_requests_for([user["customer_id"]], "2026-03-12")[0]
        assert b"Apply" in client.get("/staff/orders/late-requests").data
        assert client.post(f"/staff/orders/late-requests/{note['_id']}/apply").status_code == 303
        assert client.post(f"/staff/orders/late-requests/{note['_id']}/apply").status_code == 409
        assert client.post(f"/staff/orders/late-requests/{note['_id']}/eat").status_code in (409, 422)
    assert schedule.quantity_on(orders.get_order(sub["_id"]), date(2026, 3, 12)) == {milk["_id"]: 1}


def test_posts_without_csrf_are_refused(client, login_as, subscriber, milk):
    user, sub = subscriber
    login_as(user)
    with clock.frozen(MORNING):
        response = client.post(f"/me/orders/{sub['_id']}/stop", csrf=False)
    assert response.status_code == 400
    assert orders.get_order(sub["_id"])["status"] == "ACTIVE"


def test_staff_save_a_draft_then_activate_it(client, login_as, make_customer, milk, db):
    login_as("admin")
    customer = make_customer()
    with clock.frozen(MORNING):
        response = client.post(f"/staff/customers/{customer['_id']}/orders/new/subscription", data={
            "items-0-product_id": milk["_id"], "items-0-qty": "1", "pattern": "daily",
            "start_date": "2026-03-11", "draft": "y"})
        assert response.status_code == 303
        draft = db.orders.find_one({"kind": "SUBSCRIPTION"})
        assert draft["status"] == "DRAFT" and schedule.quantity_on(draft, date(2026, 3, 12)) == {}
        assert b"Activate" in client.get(f"/staff/orders/{draft['_id']}").data
        assert client.post(f"/staff/orders/{draft['_id']}/activate").status_code == 303
        assert client.post(f"/staff/orders/{draft['_id']}/activate").status_code == 409
    assert schedule.quantity_on(orders.get_order(draft["_id"]), date(2026, 3, 12)) == {milk["_id"]: 1}


def test_day_change_without_javascript_redirects_to_the_day(client, login_as, subscriber, milk):
    user, sub = subscriber
    login_as(user)
    with clock.frozen(MORNING):
        response = client.post(f"/me/orders/{sub['_id']}/day/2026-03-13", data={
            f"{sub['_id']}-items-0-product_id": milk["_id"], f"{sub['_id']}-items-0-qty": "5"})
        assert response.status_code == 303 and response.headers["Location"].endswith("/me/calendar/2026-03-13")
        page = client.get("/me/calendar/2026-03-13")
        assert page.status_code == 200 and b"<html" in page.data and b'value="5"' in page.data


def test_the_staff_customer_page_loads_his_orders(client, login_as, subscriber):
    login_as("support")
    page = client.get(f"/staff/customers/{subscriber[0]['customer_id']}")
    assert page.status_code == 200
    assert f'/staff/customers/{subscriber[0]["customer_id"]}/orders'.encode() in page.data


def test_staff_day_page_without_htmx_and_unknown_customers(client, login_as, subscriber):
    login_as("admin")
    customer_id = subscriber[0]["customer_id"]
    with clock.frozen(MORNING):
        page = client.get(f"/staff/customers/{customer_id}/calendar/2026-03-12")
        assert page.status_code == 200 and b"<html" in page.data and subscriber[1]["_id"].encode() in page.data
        assert client.get("/staff/customers/CU-nope/calendar/2026-03-12", htmx=True).status_code == 404
        assert client.get("/staff/customers/CU-nope/orders").status_code == 404
        assert client.get(f"/staff/customers/{customer_id}/orders?month=2026-04", htmx=True).status_code == 200


def test_order_pages_offer_only_the_allowed_actions(client, login_as, subscriber, system):
    user, sub = subscriber
    login_as(user)
    with clock.frozen(MORNING):
        page = client.get(f"/me/orders/{sub['_id']}").get_data(as_text=True)
        assert f"/me/orders/{sub['_id']}/pause" in page and "Resume early" not in page
        assert "Override the cut-off" not in page and "Activate" not in page
        orders.stop(sub["_id"], actor=system)
        page = client.get(f"/me/orders/{sub['_id']}").get_data(as_text=True)
        assert f"/me/orders/{sub['_id']}/pause" not in page and f"/me/orders/{sub['_id']}/stop" not in page
        login_as("support")
        staff_page = client.get(f"/staff/orders/{sub['_id']}").get_data(as_text=True)
        assert f"/staff/orders/{sub['_id']}/pause" not in staff_page and "History" in staff_page
