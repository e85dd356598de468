"""The owner's morning page's hand-built business: April billed on 1 May, May delivered so far, read on 12 May."""
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest

from webapp import clock
from webapp.services import billing, payments
from tests.billing_fixtures import APRIL
from tests.conftest import built_once

MAY_12 = datetime(2026, 5, 12, 8, 0)
TODAY = date(2026, 5, 12)
MAY = [date(2026, 5, 1) + timedelta(days=n) for n in range(11)]  # 1–11 May, before today


@pytest.fixture
def business(db, make_user, make_customer, milk, paneer, subscribe, order_once, deliver, system):
    """Asha: daily milk ×1 all April and 1–11 May, a paneer on 15 April and one today (₹200 each);
    Bala: daily milk ×2, delivered 1–10 April only. April billed on 1 May (Asha ₹1,700, Bala ₹1,000, both due
    10 May); Bala paid ₹300 on 5 May. Built once per worker (conftest.built_once)."""
    return built_once("dashboard.business", [db], lambda: build_business(
        make_user, make_customer, milk, paneer, subscribe, order_once, deliver, system))


def build_business(make_user, make_customer, milk, paneer, subscribe, order_once, deliver, system):
    with clock.frozen(datetime(2026, 3, 25, 8, 0)):
        ravi = make_user("delivery_boy", name="Ravi")
        asha = make_customer(name="Asha", delivery_boy_id=ravi["_id"], stop=1)
        bala = make_customer(name="Bala", delivery_boy_id=ravi["_id"], stop=2)
    asha_milk = subscribe(asha, milk)
    bala_milk = subscribe(bala, milk, qty=2)
    asha_april_paneer = order_once(asha, paneer, day=date(2026, 4, 15))
    asha_today_paneer = order_once(asha, paneer, day=TODAY)
    deliver(asha_milk, APRIL)
    deliver(asha_april_paneer, [date(2026, 4, 15)])
    deliver(bala_milk, APRIL[:10])
    with clock.frozen(datetime(2026, 5, 1, 7, 0)):
        billing.run_month("2026-04", actor=system)
    with clock.frozen(datetime(2026, 5, 5, 9, 0)):
        payments.record_payment(bala["_id"], 30000, "cash", received_on="2026-05-05", actor=system)
    deliver(asha_milk, MAY, at=datetime(2026, 5, 12, 7, 0))
    deliver(asha_today_paneer, [TODAY], at=datetime(2026, 5, 12, 7, 30))
    return SimpleNamespace(ravi=ravi, asha=asha, bala=bala, asha_milk=asha_milk, bala_milk=bala_milk)
