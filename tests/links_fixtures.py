"""Shared-link test helpers: a small round made through the real services, and links issued on it."""
from datetime import date, datetime
from types import SimpleNamespace

import pytest

from tests.conftest import built_once
from webapp import clock
from webapp.db import get_db
from webapp.services import billing, deliveries, links, orders

SETUP_AT = datetime(2026, 2, 25, 6, 0)  # orders placed …
DAY = date(2026, 3, 10)                 # … the round of the link …
NOW = datetime(2026, 3, 10, 6, 0)       # … opened early that morning
END_OF_DAY = datetime(2026, 3, 11, 0, 0)
CLIENT_IP = "203.0.113.9"


@pytest.fixture
def now():
    """Freeze the business clock at 06:00 on DAY for the test."""
    with clock.frozen(NOW):
        yield NOW


@pytest.fixture
def round_(db, make_user, make_product, make_customer, system):
    """Ravi's round: Anil (daily milk ×2), Bina (daily milk ×1 + one-time curd on DAY); Gopal's: Chetan. Built once
    per worker (conftest.built_once)."""
    return built_once("round", [db], lambda: build_round(make_user, make_product, make_customer, system))


def build_round(make_user, make_product, make_customer, system):
    with clock.frozen(SETUP_AT):
        ravi = make_user("delivery_boy", name="Ravi")
        gopal = make_user("delivery_boy", name="Gopal")
        milk = make_product("Milk", "500 ml packet", 3000)
        curd = make_product("Curd", "400 g cup", 4500)
        anil = make_customer(name="Anil", delivery_boy_id=ravi["_id"], stop=1)
        bina = make_customer(name="Bina", delivery_boy_id=ravi["_id"], stop=2)
        chetan = make_customer(name="Chetan", delivery_boy_id=gopal["_id"], stop=1)
        daily = {"kind": "daily"}
        anil_sub = orders.create_subscription(anil["_id"], [{"product_id": milk["_id"], "qty": 2}], daily,
                                              SETUP_AT.date(), actor=system)
        bina_sub = orders.create_subscription(bina["_id"], [{"product_id": milk["_id"], "qty": 1}], daily,
                                              SETUP_AT.date(), actor=system)
        bina_curd = orders.create_one_time_order(bina["_id"], [{"product_id": curd["_id"], "qty": 1}], DAY,
                                                 actor=system)
        chetan_sub = orders.create_subscription(chetan["_id"], [{"product_id": milk["_id"], "qty": 1}], daily,
                                                SETUP_AT.date(), actor=system)
    return SimpleNamespace(ravi=ravi, gopal=gopal, milk=milk, curd=curd, anil=anil, bina=bina, chetan=chetan,
                           anil_sub=anil_sub, bina_sub=bina_sub, bina_curd=bina_curd, chetan_sub=chetan_sub)


def token_of(url):
    return url.rsplit("/", 1)[1]


def path_of(url):
    return url.removeprefix("http://localhost")


@pytest.fixture
def round_link(round_, system, now):
    """A live link to Ravi's round on DAY: SimpleNamespace(url, path, token, id, record)."""
    url = links.issue_round_link(round_.ravi["_id"], DAY, actor=system)
    token = token_of(url)
    record = links.open_link(token, ip=CLIENT_IP)
    return SimpleNamespace(url=url, path=path_of(url), token=token, id=record["_id"], record=record)


@pytest.fixture
def bills(db, round_, system):
    """February bills of Anil and Chetan (deliveries on 26–27 Feb, billed on 2 Mar): {customer name: bill}. Built
    once per worker (conftest.built_once)."""
    return built_once("round.bills", [db], lambda: build_bills(round_, system))


def build_bills(round_, system):
    with clock.frozen(datetime(2026, 3, 2, 7, 0)):
        for order in (round_.anil_sub, round_.chetan_sub):
            for day in (date(2026, 2, 26), date(2026, 2, 27)):
                deliveries.confirm(order["_id"], day, actor=system)
        billing.run_month("2026-02", actor=system)
    return {customer["name"]: get_db().bills.find_one({"customer_id": customer["_id"]})
            for customer in (round_.anil, round_.chetan)}
