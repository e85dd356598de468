"""The customer's calendar on a phone (issue 14): products told apart, plain ARIA, closed days read-only with
the reason, skip only where something is due, a message in the customer's terms, his prices on the page."""
from datetime import datetime

import html5lib
import pytest

from webapp import clock
from webapp.services import Actor, calendar, customers, orders

MORNING = datetime(2026, 3, 10, 6, 0)  # Tue 10 Mar, business time: the 11th is still open


@pytest.fixture
def two_milks(make_product):
    return (make_product("Toned milk 500 ml", price_paise=3000), make_product("Toned milk 1 L", price_paise=5600),
            make_product("Curd", unit="400 g cup", price_paise=4000))


@pytest.fixture
def household(make_user, two_milks, system):
    """A customer with 1 toned 500 ml + 2 curd daily, and 1 toned 1 L on Thursdays, from 11 March."""
    small, large, curd = two_milks
    user = make_user("customer")
    customers.set_custom_prices(user["customer_id"], {curd["_id"]: 3500}, actor=system)
    with clock.frozen(MORNING):
        daily = orders.create_subscription(user["customer_id"], [{"product_id": small["_id"], "qty": 1},
                                                                 {"product_id": curd["_id"], "qty": 2}],
                                           {"kind": "daily"}, "2026-03-11", actor=Actor.for_user(user))
        orders.create_subscription(user["customer_id"], [{"product_id": large["_id"], "qty": 1}],
                                   {"kind": "weekly", "weekdays": [3]}, "2026-03-11", actor=Actor.for_user(user))
    return user, daily


def day_link(html, iso):
    document = html5lib.parse(html, namespaceHTMLElements=False)
    return next(a for a in document.iter("a") if a.get("data-day") == iso)


def spoken(link):
    """What a screen reader says for a day: its hidden text (the short visible cell is aria-hidden)."""
    return next(span.text for span in link.iter("span") if span.get("class") == "sr-only")


def test_short_labels_tell_products_apart():
    labels = calendar.short_labels([{"_id": "a", "name": "Toned milk 500 ml"}, {"_id": "b", "name": "Toned milk 1 L"},
                                    {"_id": "c", "name": "Full cream milk"}, {"_id": "d", "name": "Milk"},
                                    {"_id": "e", "name": "Milk bread"}])
    assert labels == {"a": "Toned milk 500 ml", "b": "Toned milk 1 L", "c": "Full", "d": "Milk", "e": "Milk bread"}
    assert calendar.short_labels([{"_id": "a", "name": "Toned milk"}, {"_id": "b", "name": "Curd"}]) == {
        "a": "Toned", "b": "Curd"}


def test_day_cells_name_each_product_and_say_the_day_in_words(client, login_as, household, two_milks):
    user, _ = household
    login_as(user)
    with clock.frozen(MORNING):
        html = client.get("/me/calendar").get_data(as_text=True)
    assert 'role="grid"' not in html
    thursday = day_link(html, "2026-03-12")
    cell_text = " ".join("".join(thursday.itertext()).split())
    assert "Toned milk 500 ml" in cell_text and "Toned milk 1 L" in cell_text and "Curd" in cell_text
    assert spoken(thursday) == "Thu 12 Mar: 1 Toned milk 500 ml, 2 Curd, 1 Toned milk 1 L"
    assert spoken(day_link(html, "2026-03-01")) == "Sun 01 Mar: nothing arrives"


def test_closed_days_are_read_only_with_the_reason(client, login_as, household):
    user, daily = household
    login_as(user)
    with clock.frozen(datetime(2026, 3, 11, 21, 30)):  # the 12th closed at 21:00 on the 11th
        closed = client.get("/me/calendar/2026-03-12", htmx=True).get_data(as_text=True)
        tomorrow_but_one = client.get("/me/calendar/2026-03-13", htmx=True).get_data(as_text=True)
    assert "<form" not in closed and "Skip this day" not in closed
    assert "Changes for Thu 12 Mar closed at 21:00 on Wed 11 Mar." in closed
    assert "<form" in tomorrow_but_one and "closed at" not in tomorrow_but_one


def test_staff_still_get_the_form_on_a_closed_day(client, login_as, household):
    user, daily = household
    login_as("admin")
    with clock.frozen(datetime(2026, 3, 11, 21, 30)):
        panel = client.get(f"/staff/customers/{user['customer_id']}/calendar/2026-03-12", htmx=True)
    html = panel.get_data(as_text=True)
    assert "<form" in html and "Override the cut-off" in html and "closed at 21:00" in html


def test_skip_is_offered_only_where_something_is_due(client, login_as, household, two_milks):
    user, daily = household
    login_as(user)
    with clock.frozen(MORNING):
        orders.set_quantity(daily["_id"], "2026-03-13", [{"product_id": two_milks[0]["_id"], "qty": 0},
                                                         {"product_id": two_milks[2]["_id"], "qty": 0}],
                            actor=Actor.for_user(user))
        skipped = client.get("/me/calendar/2026-03-13", htmx=True).get_data(as_text=True)
        due = client.get("/me/calendar/2026-03-14", htmx=True).get_data(as_text=True)
    assert "<form" in skipped and "Skip this day" not in skipped
    assert "Skip this day" in due


def day_post(order, items, skip=False):
    data = {}
    for n, (product_id, qty) in enumerate(items):
        data[f"{order['_id']}-items-{n}-product_id"] = product_id
        data[f"{order['_id']}-items-{n}-qty"] = str(qty)
    if skip:
        data[f"{order['_id']}-skip"] = "y"
    return data


def test_saving_a_day_says_what_changed_and_what_it_costs(client, login_as, household, two_milks):
    user, daily = household
    small, _, curd = two_milks
    login_as(user)
    with clock.frozen(MORNING):
        more = client.post(f"/me/orders/{daily['_id']}/day/2026-03-13", htmx=True,
                           data=day_post(daily, [(small["_id"], 2), (curd["_id"], 2)]))
        skipped = client.post(f"/me/orders/{daily['_id']}/day/2026-03-14", htmx=True,
                              data=day_post(daily, [(small["_id"], 1), (curd["_id"], 2)], skip=True))
        next_month = client.post(f"/me/orders/{daily['_id']}/day/2026-04-02", htmx=True,
                                 data=day_post(daily, [(small["_id"], 1), (curd["_id"], 1)]))
    assert "Fri 13 Mar: 2 × Toned milk 500 ml (was 1) — ₹30.00 more this month" in more.get_data(as_text=True)
    # 1 × ₹30 + 2 × ₹35 (his price for curd)
    assert "Skipped Sat 14 Mar — ₹100.00 less this month" in skipped.get_data(as_text=True)
    assert "Thu 02 Apr: 1 × Curd (was 2) — ₹35.00 less in April" in next_month.get_data(as_text=True)
    assert 'role="status"' in more.get_data(as_text=True)


def test_day_panel_and_calendar_show_his_prices_and_the_months_total(client, login_as, household):
    user, _ = household
    login_as(user)
    with clock.frozen(datetime(2026, 3, 12, 8, 0)):
        page = client.get("/me/calendar/2026-03-13").get_data(as_text=True)
    assert "₹30.00 each" in page
    assert "₹35.00 each (your price; list ₹40.00)" in page
    # 11–31 March: 21 days × (₹30 + 2 × ₹35) + 3 Thursdays × ₹56; so far 11 and 12 March: 2 × ₹100 + ₹56
    assert "₹2,268.00" in page and "₹256.00" in page


@pytest.mark.parametrize("url", ["/me/orders/new/subscription", "/me/orders/new/one-time"])
def test_order_forms_show_his_prices_and_the_month_so_far(client, login_as, household, url):
    user, _ = household
    login_as(user)
    with clock.frozen(datetime(2026, 3, 12, 8, 0)):
        page = client.get(url).get_data(as_text=True)
    assert "Toned milk 500 ml (500 ml packet) — ₹30.00 each" in page
    assert "Curd (400 g cup) — ₹35.00 each, your price (list ₹40.00)" in page
    assert "March so far: ₹256.00" in page and "₹2,268.00" in page


def test_pausing_says_what_it_saves(client, login_as, household):
    user, daily = household
    login_as(user)
    with clock.frozen(MORNING):
        paused = client.post(f"/me/orders/{daily['_id']}/pause", data={"first_day": "2026-03-20",
                                                                        "last_day": "2026-03-22"},
                             follow_redirects=True)
        missing = client.post(f"/me/orders/{daily['_id']}/pause", data={"first_day": ""})
    # 3 days × (₹30 + 2 × ₹35)
    assert "Paused Fri 20 Mar to Sun 22 Mar — ₹300.00 less this month" in paused.get_data(as_text=True)
    assert missing.status_code == 422 and "First day is required." in missing.get_data(as_text=True)


def test_placing_cancelling_resuming_and_stopping_say_what_happened(client, login_as, household, two_milks):
    user, daily = household
    small, _, curd = two_milks
    login_as(user)
    with clock.frozen(MORNING):
        placed = client.post("/me/orders/new/one-time", follow_redirects=True, data={
            "items-0-product_id": curd["_id"], "items-0-qty": "2", "delivery_date": "2026-03-12"})
        mine = orders.orders_of_customer(user["customer_id"], actor=Actor.for_user(user))
        one_time = next(order for order in mine if order["kind"] == orders.ONE_TIME)
        cancelled = client.post(f"/me/orders/{one_time['_id']}/cancel", follow_redirects=True)
        orders.pause(daily["_id"], "2026-03-20", None, actor=Actor.for_user(user))
        resumed = client.post(f"/me/orders/{daily['_id']}/resume", data={"day": "2026-03-25"}, follow_redirects=True)
        stopped = client.post(f"/me/orders/{daily['_id']}/stop", data={"from_day": "2026-03-28"},
                              follow_redirects=True)
        subscribed = client.post("/me/orders/new/subscription", follow_redirects=True, data={
            "items-0-product_id": small["_id"], "items-0-qty": "1", "pattern": "daily", "start_date": "2026-03-15"})
    assert "Ordered for Thu 12 Mar: 2 × Curd — ₹70.00" in placed.get_data(as_text=True)
    assert ("Subscription from Sun 15 Mar: 1 × Toned milk 500 ml, daily — ₹30.00 a delivery"
            in subscribed.get_data(as_text=True))
    assert "Cancelled your order for Thu 12 Mar — ₹70.00 less this month" in cancelled.get_data(as_text=True)
    assert "Deliveries start again on Wed 25 Mar." in resumed.get_data(as_text=True)
    assert "Stopped: nothing of this subscription arrives from Sat 28 Mar" in stopped.get_data(as_text=True)


def test_staff_order_actions_say_what_happened_too(client, login_as, household, two_milks):
    user, daily = household
    small, _, curd = two_milks
    login_as("admin")
    customer_id = user["customer_id"]
    with clock.frozen(MORNING):
        placed = client.post(f"/staff/customers/{customer_id}/orders/new/one-time", follow_redirects=True, data={
            "items-0-product_id": curd["_id"], "items-0-qty": "2", "delivery_date": "2026-03-12"})
        one_time = next(order for order in orders.orders_of_customer(customer_id, actor=Actor.system("test"))
                        if order["kind"] == orders.ONE_TIME)
        cancelled = client.post(f"/staff/orders/{one_time['_id']}/cancel", follow_redirects=True)
        paused = client.post(f"/staff/orders/{daily['_id']}/pause", follow_redirects=True,
                             data={"first_day": "2026-03-20", "last_day": "2026-03-21"})
        resumed = client.post(f"/staff/orders/{daily['_id']}/resume", data={"day": "2026-03-21"},
                              follow_redirects=True)
        stopped = client.post(f"/staff/orders/{daily['_id']}/stop", data={"from_day": "2026-03-28"},
                              follow_redirects=True)
    assert "Ordered for Thu 12 Mar: 2 × Curd — ₹70.00" in placed.get_data(as_text=True)
    assert "Cancelled the order for Thu 12 Mar — ₹70.00 less this month" in cancelled.get_data(as_text=True)
    assert "Paused Fri 20 Mar to Sat 21 Mar — ₹" in paused.get_data(as_text=True)
    assert "Deliveries start again on Sat 21 Mar." in resumed.get_data(as_text=True)
    assert "Stopped: nothing of this subscription arrives from Sat 28 Mar" in stopped.get_data(as_text=True)
