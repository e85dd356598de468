"""Supplier demand: per product for a date, from the schedule engine."""
import csv
import io
from datetime import timedelta

import pytest

from webapp import clock
from webapp.services import Actor, Forbidden, ValidationError, demand, orders

from tests.delivery_fixtures import SETUP_AT, TODAY, day_now, route  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("day_now")


def quantities(result):
    return {line["name"]: line["qty"] for line in result["lines"]}


def test_demand_sums_subscriptions_and_one_time_orders(route, system):
    result = demand.for_day(TODAY, actor=system)
    assert quantities(result) == {"Curd": 1, "Milk": 4, "Paneer": 1}
    assert result["orders"] == 4
    assert quantities(demand.for_day(TODAY - timedelta(days=1), actor=system)) == {"Curd": 1, "Milk": 4}


def test_demand_follows_pauses_overrides_and_cancellations(route, system):
    tomorrow = TODAY + timedelta(days=1)
    with clock.frozen(SETUP_AT):
        orders.pause(route.chetan_sub["_id"], tomorrow, tomorrow, actor=system)
        orders.set_quantity(route.anil_sub["_id"], tomorrow, [{"product_id": route.milk["_id"], "qty": 5}],
                            actor=system)
        extra = orders.create_one_time_order(route.anil["_id"], [{"product_id": route.paneer["_id"], "qty": 2}],
                                             tomorrow, actor=system)
        cancelled = orders.create_one_time_order(route.bina["_id"], [{"product_id": route.paneer["_id"], "qty": 9}],
                                                 tomorrow, actor=system)
        orders.cancel(cancelled["_id"], actor=system)
    assert extra
    assert quantities(demand.for_day(tomorrow, actor=system)) == {"Curd": 1, "Milk": 6, "Paneer": 2}


def test_demand_read_before_a_change_follows_it(route, system):
    """Demand is the day's kept plan: read once, then orders change, and the next read counts the changes."""
    tomorrow = TODAY + timedelta(days=1)
    before = demand.for_day(tomorrow, actor=system)
    with clock.frozen(SETUP_AT):
        orders.pause(route.chetan_sub["_id"], tomorrow, tomorrow, actor=system)
        orders.set_quantity(route.anil_sub["_id"], tomorrow, [{"product_id": route.milk["_id"], "qty": 5}],
                            actor=system)
        orders.create_one_time_order(route.bina["_id"], [{"product_id": route.paneer["_id"], "qty": 2}],
                                     tomorrow, actor=system)
    after = demand.for_day(tomorrow, actor=system)
    assert quantities(before) == {"Curd": 1, "Milk": 4}
    assert quantities(after) == {"Curd": 1, "Milk": 6, "Paneer": 2}
    assert {line["name"]: line["orders"] for line in after["lines"]}["Paneer"] == 1
    assert after["orders"] == before["orders"]  # one subscription paused, one one-time order added


@pytest.mark.parametrize("role, allowed", [("supplier", True), ("admin", True), ("support", True),
                                           ("delivery_boy", False), ("customer", False)])
def test_who_may_see_demand(route, make_user, role, allowed):
    actor = Actor.for_user(make_user(role))
    if allowed:
        assert demand.for_day(TODAY, actor=actor)["lines"]
    else:
        with pytest.raises(Forbidden):
            demand.for_day(TODAY, actor=actor)


@pytest.mark.parametrize("day", ["2026-13-45", "", None, "soon"])
def test_bad_dates_are_field_errors(route, system, day):
    with pytest.raises(ValidationError) as caught:
        demand.for_day(day, actor=system)
    assert caught.value.field == "date"


def test_csv_has_a_header_a_row_per_product_and_no_formulas(route, system, db):
    db.products.update_one({"_id": route.curd["_id"]}, {"$set": {"name": "=HYPERLINK(\"x\")"}})
    rows = list(csv.reader(io.StringIO(demand.as_csv(demand.for_day(TODAY, actor=system)))))
    assert rows[0] == demand.CSV_HEADER
    by_id = {row[1]: row for row in rows[1:]}
    assert by_id[route.milk["_id"]] == ["2026-03-10", route.milk["_id"], "Milk", "500 ml packet", "4", "3"]
    assert by_id[route.curd["_id"]][2].startswith("'=")
