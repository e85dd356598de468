"""Fixtures of payments, receipts and the ledger (import them into a test module by name)."""
from datetime import datetime

import pytest

from tests.conftest import built_once
from tests.billing_fixtures import AFTER_MONTH, APRIL, MONTH
from webapp import clock
from webapp.services import billing

MAY_5 = datetime(2026, 5, 5, 9, 0)  # after April's bills were issued, before they fall due (10 May)


@pytest.fixture
def billed_customer(db, system, make_user, milk, subscribe, deliver):
    """What build_billed_customer makes, built once per worker (conftest.built_once)."""
    return built_once("payments.billed_customer", [db],
                      lambda: build_billed_customer(db, system, make_user, milk, subscribe, deliver))


def build_billed_customer(db, system, make_user, milk, subscribe, deliver):
    """A customer with a login and an April bill of ₹500 (ten days of milk): (user, customer, bill)."""
    user = make_user("customer", name="Asha Rao")
    customer = db.customers.find_one({"_id": user["customer_id"]})
    deliver(subscribe(customer, milk), APRIL[:10])
    with clock.frozen(AFTER_MONTH):
        billing.run_month(MONTH, actor=system)
    return user, customer, db.bills.find_one({"customer_id": customer["_id"]})
