"""The owner's morning page's hand-built business: April billed on 1 May, May delivered so far, read on 12 May."""
import copy
import uuid
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest

from webapp import clock
from webapp.services import billing, payments, uow
from tests.billing_fixtures import APRIL

MAY_12 = datetime(2026, 5, 12, 8, 0)
TODAY = date(2026, 5, 12)
MAY = [date(2026, 5, 1) + timedelta(days=n) for n in range(11)]  # 1–11 May, before today


_built = {}  # this worker's first build: every document it left in the database, and what the fixture returned


@pytest.fixture
def business(db, request):
    """Asha: daily milk ×1 all April and 1–11 May, a paneer on 15 April and one today (₹200 each);
    Bala: daily milk ×2, delivered 1–10 April only. April billed on 1 May (Asha ₹1,700, Bala ₹1,000, both due
    10 May); Bala paid ₹300 on 5 May.

    Built through the services by the first test of a worker that asks for it (build_business), which keeps every
    document it wrote; every later test gets those documents put back into its emptied database (one insert_many per
    collection: the same ids, counters, tallies, bills and audit entries) and a copy of the same namespace. The plan
    version gets a fresh epoch, as a build on an emptied database would (uow.plan_version): the day plans and
    statuses day_plan keeps in the process from an earlier test are not taken for this one's."""
    if not _built:
        built = build_business(*(request.getfixturevalue(name) for name in (
            "make_user", "make_customer", "milk", "paneer", "subscribe", "order_once", "deliver", "system")))
        _built["documents"] = {name: list(db[name].find()) for name in db.list_collection_names()
                               if name != "migrations"}
        _built["namespace"] = copy.deepcopy(built)
        return built
    for name, documents in _built["documents"].items():
        if documents:
            db[name].insert_many(copy.deepcopy(documents))
    db.counters.update_one({"_id": uow.PLAN_VERSION}, {"$set": {"epoch": uuid.uuid4().hex}})
    return copy.deepcopy(_built["namespace"])


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
