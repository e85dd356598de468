"""Tomorrow first: once today's cut-off has passed, the pages of the day open on tomorrow (the day being
prepared), with today one tap away; the customer's home prices tomorrow and says how long it stays open."""
from datetime import date, datetime

import pytest

from webapp import clock
from webapp.services import Actor, customers, next_delivery, orders

TODAY = date(2026, 3, 10)
MORNING = datetime(2026, 3, 10, 8, 0)
JUST_BEFORE_CUTOFF = datetime(2026, 3, 10, 20, 59)
AT_CUTOFF = datetime(2026, 3, 10, 21, 0)
EVENING = datetime(2026, 3, 10, 22, 30)


@pytest.fixture
def week(make_user, make_product, system):
    """A boy with one customer on a daily 2 × milk from 9 March, and a 1 × curd on 11 March only."""
    with clock.frozen(datetime(2026, 3, 1, 8, 0)):
        boy = make_user("delivery_boy", name="Ravi")
        milk = make_product("Milk", price_paise=3000)
        curd = make_product("Curd", price_paise=2500)
        owner = make_user("customer", name="Anil", delivery_boy_id=boy["_id"], stop=1)
        customer_id = owner["customer_id"]
        orders.create_subscription(customer_id, [{"product_id": milk["_id"], "qty": 2}], {"kind": "daily"},
                                   date(2026, 3, 9), actor=system)
        orders.create_one_time_order(customer_id, [{"product_id": curd["_id"], "qty": 1}], date(2026, 3, 11),
                                     actor=system)
    return {"boy": boy, "owner": owner, "milk": milk, "curd": curd, "customer_id": customer_id}


def test_the_day_being_prepared_turns_to_tomorrow_at_the_cut_off():
    with clock.frozen(MORNING):
        assert next_delivery.day_being_prepared() == TODAY
    with clock.frozen(JUST_BEFORE_CUTOFF):
        assert next_delivery.day_being_prepared() == TODAY
    with clock.frozen(AT_CUTOFF):
        assert next_delivery.day_being_prepared() == date(2026, 3, 11)


@pytest.mark.parametrize("path, title", [("/supplier/", "Demand Wed 11 Mar"), ("/staff/demand", "Demand Wed 11 Mar"),
                                          ("/staff/day", "Day Wed 11 Mar")])
def test_the_day_pages_open_on_tomorrow_after_the_cut_off_with_today_one_tap_away(client, login_as, week, path,
                                                                                   title):
    login_as("supplier" if path.startswith("/supplier") else "admin")
    with clock.frozen(MORNING):
        morning = client.get(path).text
    with clock.frozen(EVENING):
        evening = client.get(path).text
    assert title.replace("Wed 11", "Tue 10") in morning and ">Today</a>" not in morning
    assert title in evening and f'href="{path}?date=2026-03-10"' in evening and ">Today</a>" in evening


def test_the_evening_demand_counts_tomorrows_curd(client, login_as, week):
    login_as("supplier")
    with clock.frozen(EVENING):
        csv = client.get("/supplier/demand.csv")
        asked_today = client.get("/supplier/?date=2026-03-10").text
    assert 'filename="demand-2026-03-11.csv"' in csv.headers["Content-Disposition"] and "Curd" in csv.text
    assert "Demand Tue 10 Mar" in asked_today and "Curd" not in asked_today


def test_the_staff_round_and_van_load_open_on_tomorrow_after_the_cut_off(client, login_as, week):
    login_as("admin")
    with clock.frozen(EVENING):
        page = client.get(f"/staff/day/{week['boy']['_id']}").text
    assert "Ravi · Wed 11 Mar" in page and "Curd" in page


def test_the_customer_home_prices_tomorrow_and_counts_down_to_the_cut_off(client, login_as, week, system):
    customers.set_custom_prices(week["customer_id"], {week["milk"]["_id"]: 2800}, actor=system)
    login_as(week["owner"])
    with clock.frozen(datetime(2026, 3, 10, 18, 45)):
        home = next_delivery.customer_home(actor=Actor.for_user(week["owner"]))
        page = client.get("/me/").text
    assert home["tomorrow"] == date(2026, 3, 11) and home["open"] and home["minutes_left"] == 135
    assert [(line["product"]["name"], line["qty"], line["unit_price_paise"], line["amount_paise"])
            for line in home["lines"]] == [("Milk", 2, 2800, 5600), ("Curd", 1, 2500, 2500)]  # by product id
    assert home["total_paise"] == 8100
    assert "× Milk" in page and "₹28.00" in page and "₹56.00" in page and "₹81.00" in page
    assert "2 h 15 min left" in page and "Change or skip a day" in page


def test_the_customer_home_says_when_tomorrow_can_no_longer_be_changed(client, login_as, week):
    login_as(week["owner"])
    with clock.frozen(EVENING):
        home = next_delivery.customer_home(actor=Actor.for_user(week["owner"]))
        page = client.get("/me/").text
    assert not home["open"] and home["minutes_left"] == 0
    assert "Changes for tomorrow closed at 10 Mar 2026 21:00" in page and "min left" not in page
