"""Fixtures of the delivery day: a delivery boy with a small route, orders created before the day."""
from datetime import date, datetime
from types import SimpleNamespace

import pytest

from tests.conftest import built_once
from webapp import clock
from webapp.services import Actor, orders

SETUP_AT = datetime(2026, 3, 1, 6, 0)   # orders are placed on 1 March …
TODAY = date(2026, 3, 10)               # … and the tests run on 10 March, early morning
NOW = datetime(2026, 3, 10, 6, 0)


@pytest.fixture
def day_now():
    """Freeze the business clock at 06:00 on TODAY for the test."""
    with clock.frozen(NOW):
        yield TODAY


@pytest.fixture
def route(db, make_user, make_product, make_customer, system):
    """Two delivery boys; Ravi's route: Anil (daily milk ×2 + curd ×1, custom milk price), Bina (daily milk ×1
    and a one-time paneer on TODAY); Gopal's route: Chetan (daily milk ×1). Built once per worker
    (conftest.built_once)."""
    return built_once("route", [db], lambda: build_route(make_user, make_product, make_customer, system))


def build_route(make_user, make_product, make_customer, system):
    with clock.frozen(SETUP_AT):
        ravi = make_user("delivery_boy", name="Ravi")
        gopal = make_user("delivery_boy", name="Gopal")
        milk = make_product("Milk", "500 ml packet", 3000)
        curd = make_product("Curd", "400 g cup", 4500)
        paneer = make_product("Paneer", "200 g", 9000)
        anil = make_customer(name="Anil", delivery_boy_id=ravi["_id"], stop=1, area="Indiranagar",
                             custom_prices={milk["_id"]: 2800})
        bina = make_customer(name="Bina", delivery_boy_id=ravi["_id"], stop=2, area="Koramangala")
        chetan = make_customer(name="Chetan", delivery_boy_id=gopal["_id"], stop=1, area="Indiranagar")
        daily = {"kind": "daily"}
        anil_sub = orders.create_subscription(
            anil["_id"], [{"product_id": milk["_id"], "qty": 2}, {"product_id": curd["_id"], "qty": 1}],
            daily, SETUP_AT.date(), actor=system)
        bina_sub = orders.create_subscription(bina["_id"], [{"product_id": milk["_id"], "qty": 1}], daily,
                                              SETUP_AT.date(), actor=system)
        bina_paneer = orders.create_one_time_order(bina["_id"], [{"product_id": paneer["_id"], "qty": 1}], TODAY,
                                                   actor=system)
        chetan_sub = orders.create_subscription(chetan["_id"], [{"product_id": milk["_id"], "qty": 1}], daily,
                                                SETUP_AT.date(), actor=system)
    return SimpleNamespace(
        ravi=ravi, gopal=gopal, milk=milk, curd=curd, paneer=paneer, anil=anil, bina=bina, chetan=chetan,
        anil_sub=anil_sub, bina_sub=bina_sub, bina_paneer=bina_paneer, chetan_sub=chetan_sub,
        ravi_actor=Actor.for_user(ravi, ip="10.0.0.7"), gopal_actor=Actor.for_user(gopal),
    )
