"""Billing test helpers: orders and deliveries made through the real services, in April 2026 (30 days)."""
from datetime import date, datetime, timedelta

import pytest

from webapp import clock
from webapp.services import deliveries, orders

MONTH = "2026-04"
BEFORE_MONTH = datetime(2026, 3, 25, 8, 0)  # orders are placed here
AFTER_MONTH = datetime(2026, 5, 1, 7, 0)  # deliveries are recorded (by staff, for past days) and billed here
APRIL = [date(2026, 4, 1) + timedelta(days=n) for n in range(30)]


@pytest.fixture
def milk(make_product):
    return make_product("Milk", "1 litre", 5000)


@pytest.fixture
def paneer(make_product):
    return make_product("Paneer", "200 g", 20000)


@pytest.fixture
def subscribe(system):
    """subscribe(customer, product, qty=1, start=Apr 1, pattern=daily) → order."""

    def build(customer, product, qty=1, start=APRIL[0], pattern=None, end=None):
        with clock.frozen(BEFORE_MONTH):
            return orders.create_subscription(customer["_id"], [{"product_id": product["_id"], "qty": qty}],
                                              pattern or {"kind": "daily"}, start, end, actor=system)

    return build


@pytest.fixture
def order_once(system):
    def build(customer, product, qty=1, day=date(2026, 4, 15)):
        with clock.frozen(BEFORE_MONTH):
            return orders.create_one_time_order(customer["_id"], [{"product_id": product["_id"], "qty": qty}], day,
                                                actor=system)

    return build


@pytest.fixture
def deliver(system):
    """deliver(order, days, delivered=None, at=AFTER_MONTH) → the delivery documents (staff records past days)."""

    def confirm(order, days, delivered=None, reason=None, at=AFTER_MONTH):
        with clock.frozen(at):
            return [deliveries.confirm(order["_id"], day, delivered, reason=reason, actor=system) for day in days]

    return confirm
