"""deliveries.confirm: the one write path for every confirmation, and its rules."""
import threading
from datetime import date, datetime, timedelta

import pytest

from webapp import clock
from webapp.services import Actor, Conflict, Forbidden, NotFound, ValidationError, deliveries, orders

from tests.delivery_fixtures import SETUP_AT, TODAY, day_now, route  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("day_now")


def qty_field(order, product):
    return deliveries.quantity_field(order["_id"], product["_id"])


def test_full_confirmation_records_lines_prices_and_who(route, db):
    delivery = deliveries.confirm(route.anil_sub["_id"], TODAY, actor=route.ravi_actor)

    stored = db.deliveries.find_one({"order_id": route.anil_sub["_id"], "date": "2026-03-10"})
    assert stored["_id"] == delivery["_id"] and delivery["_id"].startswith("DL-20260310-")
    assert stored["status"] == "DELIVERED" and stored["reason"] is None
    lines = {line["product_id"]: line for line in stored["lines"]}
    assert lines[route.milk["_id"]] == {"product_id": route.milk["_id"], "ordered_qty": 2, "delivered_qty": 2,
                                        "unit_price_paise": 2800, "amount_paise": 5600}  # custom price
    assert lines[route.curd["_id"]]["unit_price_paise"] == 4500
    assert stored["amount_paise"] == 5600 + 4500
    assert stored["via"] == "delivery_boy" and stored["confirmed_by"]["id"] == route.ravi["_id"]
    assert stored["ip"] == "10.0.0.7" and stored["month"] == "2026-03"
    assert stored["customer_id"] == route.anil["_id"] and stored["delivery_boy_id"] == route.ravi["_id"]
    assert stored["order_kind"] == "SUBSCRIPTION" and stored["revisions"] == 1
    entry = db.audit_log.find_one({"action": "delivery.confirm", "entity_id": delivery["_id"]})
    assert entry["changes"]["before"] is None and entry["changes"]["after"]["status"] == "DELIVERED"


def test_repeat_tap_leaves_one_record_and_no_second_audit(route, db):
    first = deliveries.confirm(route.anil_sub["_id"], TODAY, actor=route.ravi_actor)
    again = deliveries.confirm(route.anil_sub["_id"], TODAY, actor=route.ravi_actor)
    assert again["_id"] == first["_id"]
    assert db.deliveries.count_documents({}) == 1
    assert db.audit_log.count_documents({"entity": "delivery"}) == 1


def test_partial_counts_missing_products_as_zero(route, db):
    delivery = deliveries.confirm(route.anil_sub["_id"], TODAY, {route.milk["_id"]: "1"}, actor=route.ravi_actor)
    assert delivery["status"] == "PARTIALLY_DELIVERED"
    handed = {line["product_id"]: line["delivered_qty"] for line in delivery["lines"]}
    assert handed == {route.milk["_id"]: 1, route.curd["_id"]: 0}
    assert delivery["amount_paise"] == 2800


@pytest.mark.parametrize("bad", [3, -1, 1.5, "1.5", "two", "", None, True, 10**30, "99999999999999999999"])
def test_bad_quantities_are_field_errors_and_nothing_is_written(route, db, bad):
    with pytest.raises(ValidationError) as caught:
        deliveries.confirm(route.anil_sub["_id"], TODAY, {route.milk["_id"]: bad, route.curd["_id"]: 1},
                           actor=route.ravi_actor)
    assert qty_field(route.anil_sub, route.milk) in caught.value.errors
    assert db.deliveries.count_documents({}) == 0


def test_a_product_not_on_the_order_is_refused(route, db):
    with pytest.raises(ValidationError) as caught:
        deliveries.confirm(route.anil_sub["_id"], TODAY, {route.paneer["_id"]: 1}, actor=route.ravi_actor)
    assert qty_field(route.anil_sub, route.paneer) in caught.value.errors
    assert db.deliveries.count_documents({}) == 0


def test_not_delivered_needs_a_known_reason(route, db):
    with pytest.raises(ValidationError) as caught:
        deliveries.confirm(route.anil_sub["_id"], TODAY, {}, actor=route.ravi_actor)
    assert caught.value.field == "reason"
    with pytest.raises(ValidationError) as caught:
        deliveries.confirm(route.anil_sub["_id"], TODAY, {}, reason="aliens", actor=route.ravi_actor)
    assert "reason" in caught.value.errors
    assert db.deliveries.count_documents({}) == 0
    delivery = deliveries.confirm(route.anil_sub["_id"], TODAY, {}, reason="door_locked", actor=route.ravi_actor)
    assert delivery["status"] == "NOT_DELIVERED" and delivery["reason"] == "door_locked"
    assert delivery["amount_paise"] == 0


@pytest.mark.parametrize("order_id", ["SU-20990101-0001", "", None, 42, {"$ne": None}])
def test_unknown_order_is_not_found(route, db, order_id):
    with pytest.raises(NotFound):
        deliveries.confirm(order_id, TODAY, actor=Actor.system())
    assert db.deliveries.count_documents({}) == 0


def test_cancelled_order_cannot_be_delivered(route, db, system, make_customer):
    with clock.frozen(SETUP_AT):
        order = orders.create_one_time_order(route.anil["_id"], [{"product_id": route.milk["_id"], "qty": 1}],
                                             TODAY, actor=system)
        orders.cancel(order["_id"], actor=system)
    with pytest.raises(Conflict, match="cancelled"):
        deliveries.confirm(order["_id"], TODAY, actor=system)
    assert db.deliveries.count_documents({}) == 0


def test_stopped_subscription_cannot_be_delivered_from_its_stop_date(route, db, system):
    with clock.frozen(SETUP_AT):
        orders.stop(route.anil_sub["_id"], date(2026, 3, 5), actor=system)
    with pytest.raises(Conflict, match="stopped"):
        deliveries.confirm(route.anil_sub["_id"], TODAY, actor=system)
    # before the stop it still ran: staff may record that day
    assert deliveries.confirm(route.anil_sub["_id"], date(2026, 3, 4), actor=system)["status"] == "DELIVERED"


def test_no_ghost_delivery_on_a_date_not_due(route, db, system):
    with pytest.raises(Conflict, match="Nothing is due"):
        deliveries.confirm(route.bina_paneer["_id"], TODAY - timedelta(days=1), actor=system)
    with pytest.raises(Conflict, match="Nothing is due"):
        deliveries.confirm(route.anil_sub["_id"], SETUP_AT.date() - timedelta(days=1), actor=system)
    assert db.deliveries.count_documents({}) == 0


@pytest.mark.parametrize("day", [TODAY + timedelta(days=1), "2026-13-45", "yesterday", "", None, "2026-03-10T00"])
def test_future_or_malformed_date_is_a_field_error(route, db, system, day):
    with pytest.raises(ValidationError) as caught:
        deliveries.confirm(route.anil_sub["_id"], day, actor=system)
    assert caught.value.field == "date"
    assert db.deliveries.count_documents({}) == 0


def test_a_delivery_boy_cannot_reach_another_boys_stop(route, db):
    with pytest.raises(NotFound):
        deliveries.confirm(route.chetan_sub["_id"], TODAY, actor=route.ravi_actor)
    with pytest.raises(NotFound):
        deliveries.confirm(route.chetan_sub["_id"], "2026-13-45", actor=route.ravi_actor)
    assert db.deliveries.count_documents({}) == 0


def test_a_delivery_boy_records_only_today_staff_any_past_day(route, db, make_user):
    yesterday = TODAY - timedelta(days=1)
    with pytest.raises(Conflict, match="day itself"):
        deliveries.confirm(route.anil_sub["_id"], yesterday, actor=route.ravi_actor)
    staff = Actor.for_user(make_user("support"))
    delivery = deliveries.confirm(route.anil_sub["_id"], yesterday, actor=staff)
    assert delivery["via"] == "staff" and delivery["date"] == "2026-03-09"


@pytest.mark.parametrize("role", ["customer", "supplier"])
def test_other_roles_may_not_confirm(route, db, make_user, role):
    with pytest.raises(Forbidden):
        deliveries.confirm(route.anil_sub["_id"], TODAY, actor=Actor.for_user(make_user(role)))
    assert db.deliveries.count_documents({}) == 0


def test_a_billed_delivery_cannot_be_changed(route, db, system):
    delivery = deliveries.confirm(route.anil_sub["_id"], TODAY, actor=route.ravi_actor)
    db.bills.insert_one({"_id": "BI-202603-0007", "customer_id": route.anil["_id"], "month": "2026-03",
                         "lines": [{"delivery_id": delivery["_id"]}]})
    with pytest.raises(Conflict, match="BI-202603-0007"):
        deliveries.confirm(route.anil_sub["_id"], TODAY, {route.milk["_id"]: 1}, actor=system)
    assert db.deliveries.find_one({"_id": delivery["_id"]})["status"] == "DELIVERED"


def test_one_time_order_status_follows_its_delivery(route, db, system):
    order_id = route.bina_paneer["_id"]
    deliveries.confirm(order_id, TODAY, {}, reason="refused", actor=route.ravi_actor)
    assert db.orders.find_one({"_id": order_id})["status"] == "NOT_DELIVERED"
    deliveries.confirm(order_id, TODAY, actor=route.ravi_actor)
    assert db.orders.find_one({"_id": order_id})["status"] == "DELIVERED"
    with clock.frozen(SETUP_AT):
        two = orders.create_one_time_order(route.bina["_id"], [{"product_id": route.curd["_id"], "qty": 2}],
                                           TODAY, actor=system)
    deliveries.confirm(two["_id"], TODAY, {route.curd["_id"]: 1}, actor=system)
    assert db.orders.find_one({"_id": two["_id"]})["status"] == "PARTIALLY_DELIVERED"


def test_correction_is_audited_with_before_and_after_and_keeps_the_price(route, db):
    first = deliveries.confirm(route.anil_sub["_id"], TODAY, actor=route.ravi_actor)
    db.customers.update_one({"_id": route.anil["_id"]}, {"$set": {"custom_prices": {}}})
    corrected = deliveries.confirm(route.anil_sub["_id"], TODAY, {route.milk["_id"]: 1, route.curd["_id"]: 1},
                                   actor=route.ravi_actor)
    assert corrected["_id"] == first["_id"] and corrected["revisions"] == 2
    assert corrected["lines"][0]["unit_price_paise"] in (2800, 4500)
    milk = next(line for line in corrected["lines"] if line["product_id"] == route.milk["_id"])
    assert milk["unit_price_paise"] == 2800  # fixed when first recorded
    entry = db.audit_log.find_one({"action": "delivery.correct", "entity_id": first["_id"]})
    assert entry["changes"]["before"]["lines"][route.milk["_id"]] == 2
    assert entry["changes"]["after"]["lines"][route.milk["_id"]] == 1
    assert entry["changes"]["after"]["status"] == "PARTIALLY_DELIVERED"


def test_twenty_people_confirming_at_once_leave_one_consistent_record(app, route, db):
    order_id = route.bina_paneer["_id"]
    outcomes = [({}, "door_locked") if n % 2 else (None, None) for n in range(20)]
    barrier = threading.Barrier(len(outcomes))
    failures = []

    def tap(delivered, reason):
        with app.app_context(), clock.frozen(datetime(2026, 3, 10, 6, 0)):
            barrier.wait()
            try:
                deliveries.confirm(order_id, TODAY, delivered, reason=reason, actor=route.ravi_actor)
            except Exception as error:  # noqa: BLE001  (collected and asserted below)
                failures.append(error)

    threads = [threading.Thread(target=tap, args=outcome) for outcome in outcomes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    records = list(db.deliveries.find({"order_id": order_id}))
    assert len(records) == 1
    record = records[0]
    handed = record["lines"][0]["delivered_qty"]
    assert (record["status"], record["reason"]) in {("DELIVERED", None), ("NOT_DELIVERED", "door_locked")}
    assert handed == (1 if record["status"] == "DELIVERED" else 0)
    assert db.orders.find_one({"_id": order_id})["status"] == record["status"]


def _round_link(db, boy, day, **overrides):
    link = {"_id": "SL-20260310-0001", "scope": "round", "delivery_boy_id": boy["_id"], "date": day.isoformat(),
            "expires_at": clock.now() + timedelta(hours=12), "revoked_at": None, **overrides}
    db.shared_links.insert_one(link)
    return Actor.for_link(link, ip="203.0.113.9")


def test_a_round_link_confirms_only_its_own_round(route, db):
    actor = _round_link(db, route.ravi, TODAY)
    delivery = deliveries.confirm(route.anil_sub["_id"], TODAY, actor=actor)
    assert delivery["via"] == "link" and delivery["confirmed_by"]["kind"] == "link"
    assert delivery["ip"] == "203.0.113.9"
    with pytest.raises(NotFound):
        deliveries.confirm(route.chetan_sub["_id"], TODAY, actor=actor)


@pytest.mark.parametrize("overrides", [
    {"revoked_at": datetime(2026, 3, 10, 0, 0)},
    {"expires_at": datetime(2026, 3, 9, 0, 0)},
    {"date": "2026-03-09"},
    {"scope": "bill"},
])
def test_a_dead_or_other_scope_link_confirms_nothing(route, db, overrides):
    if "expires_at" in overrides:
        overrides = {"expires_at": clock.now() - timedelta(seconds=1)}
    actor = _round_link(db, route.ravi, TODAY, **overrides)
    with pytest.raises(NotFound):
        deliveries.confirm(route.anil_sub["_id"], TODAY, actor=actor)
    assert db.deliveries.count_documents({}) == 0


def test_confirm_stop_confirms_every_order_at_the_door(route, db):
    stop = deliveries.confirm_stop(route.bina["_id"], TODAY, actor=route.ravi_actor)
    results = [entry["delivery"] for entry in stop["orders"]]
    assert sorted(d["order_id"] for d in results) == sorted([route.bina_sub["_id"], route.bina_paneer["_id"]])
    assert {d["status"] for d in results} == {"DELIVERED"} and stop["state"] == "DELIVERED"
    stored = {d["_id"]: d for d in db.deliveries.find()}
    assert all(stored[d["_id"]] == d for d in results)  # the stop it answers with is what was written


def test_confirm_stop_with_one_bad_quantity_writes_nothing(route, db):
    quantities = {route.bina_sub["_id"]: {route.milk["_id"]: "1"},
                  route.bina_paneer["_id"]: {route.paneer["_id"]: "5"}}
    with pytest.raises(ValidationError) as caught:
        deliveries.confirm_stop(route.bina["_id"], TODAY, quantities, actor=route.ravi_actor)
    assert qty_field(route.bina_paneer, route.paneer) in caught.value.errors
    assert db.deliveries.count_documents({}) == 0


def test_confirm_stop_not_delivered_and_other_boys_stop(route, db):
    stop = deliveries.confirm_stop(route.bina["_id"], TODAY, {}, reason="door_locked", actor=route.ravi_actor)
    assert {entry["delivery"]["status"] for entry in stop["orders"]} == {"NOT_DELIVERED"}
    with pytest.raises(NotFound):
        deliveries.confirm_stop(route.chetan["_id"], TODAY, actor=route.ravi_actor)
    with pytest.raises(NotFound):
        deliveries.confirm_stop("CU-nope", TODAY, actor=route.ravi_actor)


def test_demo_step_confirms_every_past_day_through_the_one_write_path(route, db, system):
    from webapp import demo

    context = {"subscriptions": [route.anil_sub, route.bina_sub, route.chetan_sub],
               "one_time_orders": [route.bina_paneer]}
    demo.seed_deliveries(system, context)
    assert context["deliveries_confirmed"] == 27  # three daily subscriptions, 1–9 March
    assert db.deliveries.count_documents({}) == 27
    assert db.deliveries.count_documents({"date": TODAY.isoformat()}) == 0  # today stays to do
    statuses = {status: db.deliveries.count_documents({"status": status})
                for status in ("DELIVERED", "PARTIALLY_DELIVERED", "NOT_DELIVERED")}
    assert statuses["NOT_DELIVERED"] >= 1 and statuses["DELIVERED"] > 20
    assert db.audit_log.count_documents({"action": "delivery.confirm"}) == 27


def test_confirm_stop_refuses_quantities_for_an_order_not_at_the_door(route, db):
    quantities = {route.chetan_sub["_id"]: {route.milk["_id"]: "1"}, route.anil_sub["_id"]: {route.milk["_id"]: "2"}}
    with pytest.raises(ValidationError, match="not due at this stop"):
        deliveries.confirm_stop(route.anil["_id"], TODAY, quantities, actor=route.ravi_actor)
    assert db.deliveries.count_documents({}) == 0
