"""The orders service: one record whoever orders, validation, the cut-off, late requests, area skips."""
from datetime import date, datetime

import pytest

from webapp import clock, presentation
from webapp.services import (Actor, Conflict, Forbidden, NotFound, ValidationError, area_skips, calendar, cutoff,
                             late_requests, orders, schedule)

MORNING = datetime(2026, 3, 10, 6, 0)  # Tue 10 Mar 2026, business time
DAILY = {"kind": "daily"}


@pytest.fixture
def milk(make_product):
    return make_product("Toned milk", price_paise=3000)


@pytest.fixture
def curd(make_product):
    return make_product("Curd", unit="400 g cup", price_paise=4500)


@pytest.fixture
def customer_user(make_user):
    return make_user("customer", area="Indiranagar")


@pytest.fixture
def me(customer_user):
    return Actor.for_user(customer_user)


@pytest.fixture
def staff(make_user):
    return Actor.for_user(make_user("support"))


def items(*pairs):
    return [{"product_id": product["_id"], "qty": qty} for product, qty in pairs]


def test_staff_and_customer_create_the_same_kind_of_record(milk, customer_user, me, staff, db):
    with clock.frozen(MORNING):
        by_staff = orders.create_one_time_order(customer_user["customer_id"], items((milk, 2)), "2026-03-12",
                                                actor=staff)
        by_customer = orders.create_one_time_order(customer_user["customer_id"], items((milk, 2)),
                                                   date(2026, 3, 12), actor=me)
    assert by_staff["source"] == "staff" and by_customer["source"] == "customer"
    strip = {"_id", "source", "created_at", "created_by", "updated_at"}
    assert ({k: v for k, v in by_staff.items() if k not in strip}
            == {k: v for k, v in by_customer.items() if k not in strip})
    assert by_staff["_id"].startswith("OR-20260310-")
    assert db.orders.count_documents({"kind": "ONE_TIME", "status": "PENDING"}) == 2
    with clock.frozen(MORNING):
        sub_staff = orders.create_subscription(customer_user["customer_id"], items((milk, 1)), DAILY,
                                               "2026-03-12", actor=staff)
        sub_me = orders.create_subscription(customer_user["customer_id"], items((milk, 1)), DAILY,
                                            "2026-03-12", actor=me)
    assert sub_staff["_id"].startswith("SU-") and sub_staff["status"] == sub_me["status"] == "ACTIVE"
    assert set(sub_staff) == set(sub_me)


def test_the_customers_price_in_force_is_recorded(milk, curd, make_customer, system):
    customer = make_customer(custom_prices={milk["_id"]: 2800})
    with clock.frozen(MORNING):
        order = orders.create_subscription(customer["_id"], items((milk, 2), (curd, 1)),
                                           {"kind": "weekly", "weekdays": [5, 0]}, "2026-03-11", actor=system)
    assert order["items"] == [
        {"product_id": milk["_id"], "qty": 2, "unit_price_paise": 2800},
        {"product_id": curd["_id"], "qty": 1, "unit_price_paise": 4500},
    ]
    assert order["pattern"] == {"kind": "weekly", "weekdays": [0, 5], "dates": []}


def test_an_order_carries_its_customers_round(milk, make_user, make_customer, system, db):
    """Both kinds of order store the customer's delivery boy, None for a customer on no route: the round reads
    its orders by it."""
    boy = make_user("delivery_boy", name="Ravi")
    routed, unrouted = make_customer(delivery_boy_id=boy["_id"]), make_customer()
    with clock.frozen(MORNING):
        placed = [(customer, orders.create_subscription(customer["_id"], items((milk, 1)), DAILY, "2026-03-11",
                                                        actor=system))
                  for customer in (routed, unrouted)]
        placed += [(customer, orders.create_one_time_order(customer["_id"], items((milk, 1)), "2026-03-11",
                                                           actor=system))
                   for customer in (routed, unrouted)]
    for customer, order in placed:
        assert order["delivery_boy_id"] == customer["delivery_boy_id"]
        assert db.orders.find_one({"_id": order["_id"]})["delivery_boy_id"] == customer["delivery_boy_id"]
    assert [customer["delivery_boy_id"] for customer, _ in placed] == [boy["_id"], None] * 2


@pytest.mark.parametrize("qty", [0, -1, 51, 1.5, "2.5", "two", None, True, 10**30])
def test_bad_quantities_are_field_errors_and_nothing_is_written(qty, milk, make_customer, system, db):
    customer = make_customer()
    with clock.frozen(MORNING), pytest.raises(ValidationError) as error:
        orders.create_one_time_order(customer["_id"], [{"product_id": milk["_id"], "qty": qty}], "2026-03-12",
                                     actor=system)
    assert "items" in error.value.errors
    assert db.orders.count_documents({}) == 0


@pytest.mark.parametrize("pattern, start, end, field", [
    ({"kind": "weekly", "weekdays": []}, "2026-03-12", None, "weekdays"),
    ({"kind": "weekly", "weekdays": [7]}, "2026-03-12", None, "weekdays"),
    ({"kind": "custom", "dates": []}, "2026-03-12", None, "dates"),
    ({"kind": "custom", "dates": ["2026-03-11"]}, "2026-03-12", None, "dates"),
    ({"kind": "hourly"}, "2026-03-12", None, "pattern"),
    ("daily", "2026-03-12", None, "pattern"),
    (DAILY, "2026-03-12", "2026-03-11", "end_date"),
    (DAILY, "2026-03-09", None, "start_date"),
    (DAILY, "2026-13-45", None, "start_date"),
    (DAILY, None, None, "start_date"),
])
def test_bad_patterns_and_dates(pattern, start, end, field, milk, make_customer, staff, db):
    customer = make_customer()
    with clock.frozen(MORNING), pytest.raises(ValidationError) as error:
        orders.create_subscription(customer["_id"], items((milk, 1)), pattern, start, end, actor=staff)
    assert field in error.value.errors
    assert db.orders.count_documents({}) == 0


def test_discontinued_unknown_and_duplicate_products_and_stopped_customers(milk, make_customer, system, db):
    customer = make_customer()
    with clock.frozen(MORNING):
        for bad in ([{"product_id": "PR-9999", "qty": 1}], items((milk, 1), (milk, 2)), [], "milk",
                    [{"qty": 1}]):
            with pytest.raises(ValidationError) as error:
                orders.create_one_time_order(customer["_id"], bad, "2026-03-12", actor=system)
            assert "items" in error.value.errors
        db.products.update_one({"_id": milk["_id"]}, {"$set": {"status": "discontinued"}})
        with pytest.raises(ValidationError, match="discontinued"):
            orders.create_one_time_order(customer["_id"], items((milk, 1)), "2026-03-12", actor=system)
        db.products.update_one({"_id": milk["_id"]}, {"$set": {"status": "active"}})
        stopped = make_customer(status="stopped")
        with pytest.raises(ValidationError) as error:
            orders.create_one_time_order(stopped["_id"], items((milk, 1)), "2026-03-12", actor=system)
        assert "customer_id" in error.value.errors
        with pytest.raises(ValidationError):
            orders.create_one_time_order("CU-nope", items((milk, 1)), "2026-03-12", actor=system)
    assert db.orders.count_documents({}) == 0


def test_a_customer_cannot_reach_another_customers_orders(milk, make_user, me, db):
    other = make_user("customer")
    other_actor = Actor.for_user(other)
    with clock.frozen(MORNING):
        order = orders.create_one_time_order(other["customer_id"], items((milk, 1)), "2026-03-12",
                                             actor=other_actor)
        with pytest.raises(NotFound):
            orders.create_one_time_order(other["customer_id"], items((milk, 1)), "2026-03-12", actor=me)
        with pytest.raises(NotFound):
            orders.get_order(order["_id"], actor=me)
        with pytest.raises(NotFound):
            orders.cancel(order["_id"], actor=me)
        with pytest.raises(NotFound):
            calendar.customer_calendar(other["customer_id"], "2026-03", actor=me)
    assert db.orders.find_one({"_id": order["_id"]})["status"] == "PENDING"


def test_a_delivery_boy_cannot_place_orders(milk, make_user, make_customer):
    boy = Actor.for_user(make_user("delivery_boy"))
    with clock.frozen(MORNING), pytest.raises(Forbidden):
        orders.create_one_time_order(make_customer()["_id"], items((milk, 1)), "2026-03-12", actor=boy)


def test_a_customer_cannot_order_for_a_closed_date(milk, customer_user, me, staff):
    # At 06:00 on the 10th, the 10th is closed (cut-off was 21:00 on the 9th); the 11th is open.
    with clock.frozen(MORNING):
        with pytest.raises(ValidationError) as error:
            orders.create_one_time_order(customer_user["customer_id"], items((milk, 1)), "2026-03-10", actor=me)
        assert "closed at 21:00" in error.value.errors["delivery_date"]
        assert orders.create_one_time_order(customer_user["customer_id"], items((milk, 1)), "2026-03-11",
                                            actor=me)
        # Staff may still add today's order.
        assert orders.create_one_time_order(customer_user["customer_id"], items((milk, 1)), "2026-03-10",
                                            actor=staff)


def test_cutoff_is_21_00_business_time_the_evening_before(app, milk, customer_user, me, db):
    with clock.frozen(MORNING):
        sub = orders.create_subscription(customer_user["customer_id"], items((milk, 2)), DAILY, "2026-03-11",
                                         actor=me)
    assert cutoff.cutoff_for(date(2026, 3, 12)) == datetime.fromisoformat("2026-03-11T15:30:00+00:00")
    with clock.frozen(datetime(2026, 3, 11, 20, 59)):
        orders.set_quantity(sub["_id"], "2026-03-12", items((milk, 1)), actor=me)
    assert schedule.quantity_on(orders.get_order(sub["_id"]), date(2026, 3, 12)) == {milk["_id"]: 1}
    with clock.frozen(datetime(2026, 3, 11, 21, 0)):
        with pytest.raises(Conflict, match="closed at 21:00") as error:
            orders.set_quantity(sub["_id"], "2026-03-12", items((milk, 0)), actor=me)
        assert "noted your request" in error.value.message
    # Refused as a change, kept as a note for the delivery boy and staff.
    assert schedule.quantity_on(orders.get_order(sub["_id"]), date(2026, 3, 12)) == {milk["_id"]: 1}
    notes = late_requests.late_requests_for([customer_user["customer_id"], "CU-other"], date(2026, 3, 12))
    assert [(n["change"], n["order_id"], n["status"]) for n in notes] == [("quantity", sub["_id"], "OPEN")]
    assert notes[0]["note"] == "Asked for Toned milk × 0 instead of 1 — confirm at the door"
    assert late_requests.late_requests_for([customer_user["customer_id"]], date(2026, 3, 13)) == []


def test_the_cutoff_hour_is_configurable(make_app):
    other = make_app(CUTOFF_HOUR=18)
    with other.app_context():
        assert cutoff.cutoff_for(date(2026, 3, 12)) == datetime.fromisoformat("2026-03-11T12:30:00+00:00")


def test_staff_override_the_cutoff_only_explicitly_and_it_is_audited(milk, customer_user, me, staff, db):
    with clock.frozen(MORNING):
        sub = orders.create_subscription(customer_user["customer_id"], items((milk, 2)), DAILY, "2026-03-11",
                                         actor=me)
    with clock.frozen(datetime(2026, 3, 11, 22, 0)):
        with pytest.raises(Conflict, match="override"):
            orders.set_quantity(sub["_id"], "2026-03-12", items((milk, 3)), actor=staff)
        orders.set_quantity(sub["_id"], "2026-03-12", items((milk, 3)), override_cutoff=True, actor=staff)
    assert schedule.quantity_on(orders.get_order(sub["_id"]), date(2026, 3, 12)) == {milk["_id"]: 3}
    entry = db.audit_log.find_one({"entity_id": sub["_id"], "action": "order.override_cutoff"})
    assert entry["actor"]["id"] == staff.id and "after the cut-off" in entry["summary"]
    assert db.change_requests.count_documents({}) == 0


def test_staff_apply_or_dismiss_a_late_request(milk, customer_user, me, staff, db):
    with clock.frozen(MORNING):
        sub = orders.create_subscription(customer_user["customer_id"], items((milk, 2)), DAILY, "2026-03-11",
                                         actor=me)
    with clock.frozen(datetime(2026, 3, 11, 22, 0)):
        orders.pause(sub["_id"], "2026-03-12", "2026-03-14", actor=me)  # 13–14 at once, 12 asks staff
        with pytest.raises(Conflict):
            orders.set_quantity(sub["_id"], "2026-03-12", items((milk, 1)), actor=me)
        pause_note, quantity_note = late_requests.list_requests(actor=staff)
        assert pause_note["payload"] == {"first_day": "2026-03-12", "last_day": "2026-03-12"}
        with pytest.raises(Forbidden):
            late_requests.apply(pause_note["_id"], actor=me)
        late_requests.apply(pause_note["_id"], actor=staff)
        late_requests.dismiss(quantity_note["_id"], actor=staff)
        with pytest.raises(Conflict):
            late_requests.apply(quantity_note["_id"], actor=staff)
    order = orders.get_order(sub["_id"])
    assert [schedule.quantity_on(order, date(2026, 3, d)) for d in (11, 12, 14, 15)] == [
        {milk["_id"]: 2}, {}, {}, {milk["_id"]: 2}]
    assert late_requests.late_requests_for([customer_user["customer_id"]], "2026-03-12") == []
    assert db.change_requests.find_one({"_id": pause_note["_id"]})["status"] == "APPLIED"


def test_pause_and_resume_early(milk, customer_user, me, db):
    with clock.frozen(MORNING):
        sub = orders.create_subscription(customer_user["customer_id"], items((milk, 2)), DAILY, "2026-03-11",
                                         actor=me)
        orders.pause(sub["_id"], "2026-03-15", "2026-03-25", reason="Vacation", actor=me)
        with pytest.raises(Conflict, match="already paused"):
            orders.pause(sub["_id"], "2026-03-20", None, actor=me)
        with pytest.raises(ValidationError) as error:
            orders.pause(sub["_id"], "2026-03-15", "2026-03-14", actor=me)
        assert "last_day" in error.value.errors
        orders.resume(sub["_id"], "2026-03-20", actor=me)
        with pytest.raises(Conflict, match="not paused"):
            orders.resume(sub["_id"], "2026-03-28", actor=me)
    order = orders.get_order(sub["_id"])
    assert [bool(schedule.quantity_on(order, date(2026, 3, d))) for d in (14, 15, 19, 20, 25)] == [
        True, False, False, True, True]
    assert order["pauses"][0]["last_day"] == "2026-03-19" and order["status"] == "ACTIVE"


def test_open_ended_pause_sets_paused_and_resume_sets_active(milk, customer_user, me):
    with clock.frozen(MORNING):
        sub = orders.create_subscription(customer_user["customer_id"], items((milk, 2)), DAILY, "2026-03-11",
                                         actor=me)
        assert orders.pause(sub["_id"], "2026-03-12", None, actor=me)["status"] == "PAUSED"
        resumed = orders.resume(sub["_id"], "2026-04-01", actor=me)
    assert resumed["status"] == "ACTIVE"
    assert schedule.quantity_on(resumed, date(2026, 3, 31)) == {}
    assert schedule.quantity_on(resumed, date(2026, 4, 1)) == {milk["_id"]: 2}


def test_stop_keeps_history_and_cancel_of_a_subscription_stops_it(milk, customer_user, me, system):
    with clock.frozen(datetime(2026, 3, 1, 6, 0)):
        sub = orders.create_subscription(customer_user["customer_id"], items((milk, 2)), DAILY, "2026-03-02",
                                         actor=me)
    with clock.frozen(MORNING):
        stopped = orders.cancel(sub["_id"], actor=me)
        assert stopped["status"] == "STOPPED" and stopped["stopped_on"] == "2026-03-11"
        with pytest.raises(Conflict):
            orders.stop(sub["_id"], actor=system)
        with pytest.raises(Conflict, match="stopped"):
            orders.set_quantity(sub["_id"], "2026-03-12", items((milk, 1)), actor=me)
    assert schedule.quantity_on(stopped, date(2026, 3, 10)) == {milk["_id"]: 2}
    assert schedule.quantity_on(stopped, date(2026, 3, 11)) == {}


def test_one_time_cancel_until_the_cutoff(milk, customer_user, me, staff, db):
    with clock.frozen(MORNING):
        early = orders.create_one_time_order(customer_user["customer_id"], items((milk, 1)), "2026-03-11",
                                             actor=me)
        late = orders.create_one_time_order(customer_user["customer_id"], items((milk, 1)), "2026-03-11",
                                            actor=me)
    with clock.frozen(datetime(2026, 3, 10, 20, 59)):
        assert orders.cancel(early["_id"], actor=me)["status"] == "CANCELLED"
        with pytest.raises(Conflict, match="cancelled"):
            orders.cancel(early["_id"], actor=me)
    with clock.frozen(datetime(2026, 3, 10, 21, 0)):
        with pytest.raises(Conflict):
            orders.cancel(late["_id"], actor=me)
        assert orders.get_order(late["_id"])["status"] == "PENDING"
        assert late_requests.late_requests_for([customer_user["customer_id"]], "2026-03-11")[0]["change"] == "cancel"
        assert orders.cancel(late["_id"], override_cutoff=True, actor=staff)["status"] == "CANCELLED"


def test_set_quantity_rules(milk, curd, customer_user, me):
    with clock.frozen(MORNING):
        sub = orders.create_subscription(customer_user["customer_id"], items((milk, 2)),
                                         {"kind": "alternate"}, "2026-03-11", "2026-03-31", actor=me)
        with pytest.raises(ValidationError):
            orders.set_quantity(sub["_id"], "2026-03-12", items((curd, 1)), actor=me)
        with pytest.raises(ValidationError):
            orders.set_quantity(sub["_id"], "2026-03-09", items((milk, 1)), actor=me)
        with pytest.raises(ValidationError):
            orders.set_quantity(sub["_id"], "2026-04-01", items((milk, 1)), actor=me)
        with pytest.raises(ValidationError):
            orders.set_quantity(sub["_id"], "2026-03-13", items((milk, 51)), actor=me)
        # An extra on an off day, and back to the usual removes the override.
        orders.set_quantity(sub["_id"], "2026-03-12", items((milk, 1)), actor=me)
        orders.set_quantity(sub["_id"], "2026-03-13", items((milk, 3)), actor=me)
        order = orders.set_quantity(sub["_id"], "2026-03-13", items((milk, 2)), actor=me)
    assert order["overrides"] == {"2026-03-12": {milk["_id"]: 1}}
    assert schedule.quantity_on(order, date(2026, 3, 12)) == {milk["_id"]: 1}


def test_area_skip_affects_that_area_is_undoable_and_reaches_new_subscriptions(milk, make_customer, staff, db):
    north, south = make_customer(area="North"), make_customer(area="South")
    with clock.frozen(MORNING):
        north_sub = orders.create_subscription(north["_id"], items((milk, 1)), DAILY, "2026-03-11", actor=staff)
        south_sub = orders.create_subscription(south["_id"], items((milk, 1)), DAILY, "2026-03-11", actor=staff)
        skip = area_skips.skip_area("2026-03-14", "Holi", "North", actor=staff)
        assert skip["orders_affected"] == 1
        with pytest.raises(Conflict):
            area_skips.skip_area("2026-03-14", "Again", "North", actor=staff)
        late_joiner = orders.create_subscription(make_customer(area="North")["_id"], items((milk, 1)), DAILY,
                                                 "2026-03-12", actor=staff)
        assert schedule.explain(late_joiner, date(2026, 3, 14))["reason"] == "Holi"
        assert schedule.explain(orders.get_order(north_sub["_id"]), date(2026, 3, 14)) == {
            "state": "skipped", "quantities": {}, "reason": "Holi"}
        assert schedule.quantity_on(orders.get_order(south_sub["_id"]), date(2026, 3, 14)) == {milk["_id"]: 1}
        area_skips.undo_area_skip(skip["_id"], actor=staff)
        with pytest.raises(Conflict):
            area_skips.undo_area_skip(skip["_id"], actor=staff)
    assert schedule.quantity_on(orders.get_order(north_sub["_id"]), date(2026, 3, 14)) == {milk["_id"]: 1}
    assert db.audit_log.count_documents({"action": {"$in": ["order.skip_area", "order.unskip_area"]}}) == 2


def test_area_skip_undo_closes_at_the_cutoff(milk, make_customer, staff):
    customer = make_customer()
    with clock.frozen(MORNING):
        orders.create_subscription(customer["_id"], items((milk, 1)), DAILY, "2026-03-11", actor=staff)
        skip = area_skips.skip_area("2026-03-11", "Rain", None, actor=staff)
    with clock.frozen(datetime(2026, 3, 10, 21, 0)):
        with pytest.raises(Conflict):
            area_skips.undo_area_skip(skip["_id"], actor=staff)
        area_skips.undo_area_skip(skip["_id"], override_cutoff=True, actor=staff)
    with clock.frozen(MORNING), pytest.raises(Forbidden):
        area_skips.skip_area("2026-03-12", "Rain", None, actor=Actor.for_user({"_id": "US-x", "role": "customer"}))


def test_only_the_system_may_record_orders_that_began_earlier(milk, make_customer, system, staff):
    customer = make_customer()
    with clock.frozen(MORNING):
        with pytest.raises(ValidationError):
            orders.create_one_time_order(customer["_id"], items((milk, 1)), "2026-03-01", actor=staff)
        assert orders.create_one_time_order(customer["_id"], items((milk, 1)), "2026-03-01", actor=system)


def test_what_is_due_and_the_staff_list_filters(milk, make_customer, staff, db):
    north, south = make_customer(area="North"), make_customer(area="South", name="Meena Iyer")
    other_name = "iyer"
    with clock.frozen(MORNING):
        weekly = orders.create_subscription(north["_id"], items((milk, 1)), {"kind": "weekly", "weekdays": [3]},
                                            "2026-03-11", actor=staff)  # Thursdays
        one = orders.create_one_time_order(south["_id"], items((milk, 4)), "2026-03-13", actor=staff)
        placed = list(db.orders.find())
        assert [o["_id"] for o, _ in schedule.due_on(placed, date(2026, 3, 12))] == [weekly["_id"]]
        assert [o["_id"] for o, _ in schedule.due_on(placed, date(2026, 3, 13))] == [one["_id"]]
        assert [o["_id"] for o in orders.list_orders(area="South", actor=staff)] == [one["_id"]]
        assert [o["_id"] for o in orders.list_orders(kind="SUBSCRIPTION", actor=staff)] == [weekly["_id"]]
        assert [o["_id"] for o in orders.list_orders(day="2026-03-19", actor=staff)] == [weekly["_id"]]
        assert orders.list_orders(status="CANCELLED", actor=staff) == []
        assert [o["_id"] for o in orders.list_orders(customer=other_name, actor=staff)] == [one["_id"]]
        assert [o["_id"] for o in orders.list_orders(customer=north["_id"], actor=staff)] == [weekly["_id"]]
        assert orders.list_orders(customer="(nobody", actor=staff) == []
        with pytest.raises(ValidationError):
            orders.list_orders(day="2026-02-30", actor=staff)


def test_calendar_marks_pauses_skips_and_one_time_orders(milk, curd, customer_user, me, staff):
    cid = customer_user["customer_id"]
    with clock.frozen(MORNING):
        sub = orders.create_subscription(cid, items((milk, 2)), DAILY, "2026-03-11", actor=me)
        orders.create_one_time_order(cid, items((curd, 1)), "2026-03-12", actor=me)
        orders.pause(sub["_id"], "2026-03-20", "2026-03-21", actor=me)
        area_skips.skip_area("2026-03-15", "Strike", None, actor=staff)
        month = calendar.customer_calendar(cid, "2026-03", actor=me)
    by_day = {cell["date"].day: cell for cell in month["days"]}
    assert by_day[10]["totals"] == {} and by_day[11]["totals"] == {milk["_id"]: 2}
    assert by_day[12]["totals"] == {milk["_id"]: 2, curd["_id"]: 1}
    assert [e["state"] for e in by_day[20]["entries"]] == ["paused"]
    assert by_day[15]["entries"][0]["reason"] == "Strike"
    assert by_day[11]["entries"][0]["editable"] and not by_day[10]["entries"]
    assert not by_day[15]["entries"][0]["editable"] and not by_day[20]["entries"][0]["editable"]
    weeks = presentation.calendar_weeks(month["days"])
    assert len(weeks) == 6 and weeks[0][6]["date"] == date(2026, 3, 1) and weeks[0][5] is None


def test_demo_step_seeds_subscriptions_and_one_time_orders(make_product, make_customer, system, db):
    from webapp import demo

    products = {p["name"]: p for p in (make_product("Milk"), make_product("Curd"), make_product("Paneer"))}
    context = {"products": products, "customers": [make_customer() for _ in range(8)]}
    with clock.frozen(MORNING):
        demo.seed_orders(system, context)
        assert len(context["subscriptions"]) == 7 and len(context["one_time_orders"]) == 5
        assert {s["pattern"]["kind"] for s in context["subscriptions"]} == {"daily", "alternate", "weekly"}
        assert min(s["start_date"] for s in context["subscriptions"]) == "2026-02-03"
        assert [o["delivery_date"] for o in context["one_time_orders"]][:2] == ["2026-02-26", "2026-03-06"]
        assert len(schedule.due_on(list(db.orders.find()), date(2026, 3, 1))) >= 3


def test_allowed_actions_follow_the_order_and_the_actor(milk, customer_user, me, staff, system):
    with clock.frozen(MORNING):
        one_time = orders.create_one_time_order(customer_user["customer_id"], items((milk, 1)), "2026-03-12",
                                                actor=me)
        draft = orders.create_subscription(customer_user["customer_id"], items((milk, 1)), DAILY, "2026-03-12",
                                           draft=True, actor=staff)
        running = orders.pause(orders.create_subscription(customer_user["customer_id"], items((milk, 1)), DAILY,
                                                          "2026-03-12", actor=me)["_id"], "2026-03-15", None, actor=me)
        stopped = orders.stop(running["_id"], actor=system)
        cancelled = orders.cancel(one_time["_id"], actor=me)

    def offered(order, actor):
        return {name for name, allowed in orders.allowed_actions(order, actor).items() if allowed}

    assert offered(one_time, me) == {"cancel"}
    assert offered(one_time, staff) == {"cancel", "override_cutoff"}
    assert offered(draft, me) == {"pause", "stop"} and offered(draft, staff) == {"pause", "stop", "activate",
                                                                                   "override_cutoff"}
    assert offered(running, me) == {"pause", "resume", "stop"}
    assert offered(stopped, me) == set() and offered(cancelled, me) == set()
