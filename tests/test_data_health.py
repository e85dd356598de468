"""Data health: every check is zero on a healthy business, goes red for a planted defect and green once it is
put right; the staff pages (admin and support, read-only) and `flask health-check` (exit 1 when red)."""
from datetime import date, datetime
from types import SimpleNamespace

import pytest

from webapp import clock
from webapp.services import Actor, Forbidden, NotFound, bill_tallies, billing, customers, data_health, health_runs, \
    payments, tallies, uow
from tests.conftest import built_once
from tests.billing_fixtures import APRIL
from tests.html_check import parse_problems

MAY_12 = datetime(2026, 5, 12, 8, 0)


@pytest.fixture
def healthy(db, make_user, make_customer, milk, paneer, subscribe, order_once, deliver, system):
    """What build_healthy makes, built once per worker (conftest.built_once)."""
    return built_once("data_health.healthy", [db],
                      lambda: build_healthy(make_user, make_customer, milk, paneer, subscribe, order_once, deliver,
                                            system))


def build_healthy(make_user, make_customer, milk, paneer, subscribe, order_once, deliver, system):
    """Asha on Ravi's round: milk delivered 1–3 April and a paneer on 15 April, April billed and paid."""
    with clock.frozen(datetime(2026, 3, 25, 8, 0)):
        ravi = make_user("delivery_boy", name="Ravi")
        asha = make_customer(name="Asha", delivery_boy_id=ravi["_id"], stop=1)
    asha_milk = subscribe(asha, milk, end=APRIL[2])
    asha_paneer = order_once(asha, paneer, day=date(2026, 4, 15))
    deliver(asha_milk, APRIL[:3])
    deliver(asha_paneer, [date(2026, 4, 15)])
    with clock.frozen(datetime(2026, 5, 1, 7, 0)):
        summary = billing.run_month("2026-04", actor=system)
        payments.record_payment(asha["_id"], 35000, "cash", received_on="2026-05-01", actor=system)
    assert summary["bills_issued"] == 1
    return SimpleNamespace(ravi=ravi, asha=asha, asha_milk=asha_milk, paneer=paneer, milk=milk)


def counts():
    with clock.frozen(MAY_12):
        return {check["key"]: check["count"] for check in data_health.run_checks(actor=Actor.system())}


def red(expected_key):
    found = counts()
    assert found[expected_key] >= 1, found
    assert all(count == 0 for key, count in found.items() if key != expected_key), found


def green():
    found = counts()
    assert all(count == 0 for count in found.values()), found


def test_a_healthy_business_is_green(healthy):
    green()
    assert [check.key for check in data_health.CHECKS] == list(counts())


def test_delivery_without_an_order(healthy, db):
    db.deliveries.insert_one({"_id": "DL-x", "order_id": "SU-gone", "customer_id": healthy.asha["_id"],
                              "order_kind": "SUBSCRIPTION", "date": "2026-05-02", "month": "2026-05",
                              "amount_paise": 0, "lines": []})
    red("deliveries-without-order")
    db.deliveries.update_one({"_id": "DL-x"}, {"$set": {"order_id": healthy.asha_milk["_id"],
                                                        "customer_id": "CU-someone-else"}})
    red("deliveries-without-order")  # an order of another customer is no valid order either
    db.deliveries.delete_one({"_id": "DL-x"})
    green()


def test_order_without_a_customer(healthy, db):
    db.orders.update_one({"_id": healthy.asha_milk["_id"]}, {"$set": {"customer_id": "CU-gone"}})
    found = counts()
    assert found["orders-without-customer"] == 1
    db.orders.update_one({"_id": healthy.asha_milk["_id"]}, {"$set": {"customer_id": healthy.asha["_id"]}})
    green()


def test_customer_without_a_round_or_a_login(healthy, db):
    db.customers.update_one({"_id": healthy.asha["_id"]}, {"$set": {"delivery_boy_id": None}})
    db.orders.update_many({"customer_id": healthy.asha["_id"]}, {"$set": {"delivery_boy_id": None}})  # as a move does
    red("customers-without-login-or-round")
    db.customers.update_one({"_id": healthy.asha["_id"]}, {"$set": {"status": "stopped"}})
    db.counters.update_one({"_id": tallies.STATUS_COUNTS}, {"$inc": {"active": -1, "stopped": 1}})  # as set_status
    green()  # a stopped customer needs no round
    db.customers.update_one({"_id": healthy.asha["_id"]}, {"$set": {"user_id": "US-gone"}})
    red("customers-without-login-or-round")


def test_order_off_its_customers_round(healthy, make_user, db, system):
    gopal = make_user("delivery_boy", name="Gopal")
    db.orders.update_one({"_id": healthy.asha_milk["_id"]}, {"$set": {"delivery_boy_id": gopal["_id"]}})
    red("orders-off-their-round")
    db.orders.update_one({"_id": healthy.asha_milk["_id"]}, {"$unset": {"delivery_boy_id": ""}})
    red("orders-off-their-round")  # an order from before the round was stored on orders
    with clock.frozen(MAY_12):
        check = data_health.drill_down("orders-off-their-round", actor=Actor.system())
    assert [(row["_id"], row["customer_id"]) for row in check["rows"]] == [(healthy.asha_milk["_id"],
                                                                            healthy.asha["_id"])]
    assert healthy.ravi["_id"] in check["rows"][0]["detail"] and "no delivery boy" in check["rows"][0]["detail"]
    customers.assign_route(healthy.asha["_id"], healthy.ravi["_id"], 1, actor=system)  # the fix the page links to
    green()


def test_customer_login_without_a_customer(healthy, db):
    db.users.insert_one({"_id": "US-x", "email": "lost@example.test", "name": "Lost", "role": "customer",
                         "customer_id": "CU-gone", "active": True})
    red("logins-without-customer")
    db.users.update_one({"_id": "US-x"}, {"$set": {"role": "support", "customer_id": None}})
    green()


def test_billed_line_whose_delivery_is_missing(healthy, db, system):
    ghost = {"_id": "BI-202604-9999", "customer_id": "CU-ghost", "month": "2026-04", "kind": "historical",
             "lines": [{"delivery_id": "DL-gone", "amount_paise": 100}], "adjustments": [], "total_paise": 100,
             "lines_paise": 100, "paid_paise": 100, "status": "PAID", "due_date": "2026-05-10"}
    db.bills.insert_one(ghost)
    uow.run(system, lambda u: bill_tallies.bills_added(u, [ghost]))  # as issuing moves them
    red("billed-without-delivery")
    db.bills.delete_one({"_id": "BI-202604-9999"})
    uow.run(system, lambda u: bill_tallies.bills_removed(u, [ghost]))
    green()


def test_bill_whose_total_differs_from_its_lines(healthy, db, system):
    bill = db.bills.find_one({"customer_id": healthy.asha["_id"]})
    db.bills.update_one({"_id": bill["_id"]}, {"$inc": {"total_paise": 1}})
    bill_tallies.rebuild(actor=system)  # the tallies agree with the bills: only the bill is wrong
    red("bills-not-adding-up")
    db.bills.update_one({"_id": bill["_id"]}, {"$inc": {"total_paise": -1, "lines_paise": 5}})
    bill_tallies.rebuild(actor=system)
    red("bills-not-adding-up")  # the stored lines total must agree too
    db.bills.update_one({"_id": bill["_id"]}, {"$inc": {"lines_paise": -5}})
    bill_tallies.rebuild(actor=system)
    green()


def test_one_time_order_delivered_in_a_closed_month_and_not_billed(healthy, order_once, deliver, system):
    late = order_once(healthy.asha, healthy.paneer, day=date(2026, 4, 20))
    deliver(late, [date(2026, 4, 20)], at=datetime(2026, 5, 2, 7, 0))  # recorded after April's run
    red("one-time-unbilled")
    with clock.frozen(datetime(2026, 5, 3, 7, 0)):
        assert billing.run_month("2026-04", actor=system)["supplementary"] == 1
    # The new bill waits for its money: that is no defect.
    green()


def test_payment_not_allocated(healthy, db, system):
    bill = db.bills.find_one({"customer_id": healthy.asha["_id"]})
    db.bills.update_one({"_id": bill["_id"]}, {"$set": {"paid_paise": 0, "status": "PENDING"}})
    bill_tallies.rebuild(actor=system)  # the tallies agree with the bills: only the settling is wrong
    red("payments-not-allocated")
    db.bills.update_one({"_id": bill["_id"]}, {"$set": {"paid_paise": bill["paid_paise"], "status": bill["status"]}})
    bill_tallies.rebuild(actor=system)
    green()


def test_open_late_request_past_its_date(healthy, db):
    db.change_requests.insert_one({"_id": "CR-x", "order_id": healthy.asha_milk["_id"],
                                   "customer_id": healthy.asha["_id"], "date": "2026-05-11", "change": "quantity",
                                   "payload": {}, "note": "", "status": "OPEN", "created_at": MAY_12})
    red("late-requests-past-date")
    db.change_requests.update_one({"_id": "CR-x"}, {"$set": {"date": "2026-05-12"}})
    green()  # today's is still for the door
    db.change_requests.update_one({"_id": "CR-x"}, {"$set": {"date": "2026-05-11", "status": "DISMISSED"}})
    green()


def test_drill_down_lists_the_rows(healthy, db):
    db.orders.insert_one({"_id": "OR-x", "kind": "ONE_TIME", "customer_id": "CU-gone", "status": "PENDING"})
    with clock.frozen(MAY_12):
        check = data_health.drill_down("orders-without-customer", actor=Actor.system())
        with pytest.raises(NotFound):
            data_health.drill_down("no-such-check", actor=Actor.system())
    assert check["count"] == 1 and [row["_id"] for row in check["rows"]] == ["OR-x"]
    assert "CU-gone" in check["rows"][0]["detail"]


def test_marketing_may_not_run_the_checks(make_user):
    with pytest.raises(Forbidden):
        data_health.run_checks(actor=Actor.for_user(make_user("marketing")))


@pytest.mark.parametrize("role", ["admin", "support"])
def test_health_pages_for_admin_and_support(healthy, db, client, login_as, role):
    db.orders.insert_one({"_id": "OR-x", "kind": "ONE_TIME", "customer_id": "CU-gone", "status": "PENDING"})
    login_as(role)
    with clock.frozen(MAY_12):
        health_runs.run_now(actor=Actor.system("nightly"))  # the pages show the latest run
        page = client.get("/staff/health")
        partial = client.get("/staff/health", headers={"HX-Request": "true"})
        drill = client.get("/staff/health/orders-without-customer")
        missing = client.get("/staff/health/no-such-check")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and body.count("health-bad") == 1
    assert body.count("health-ok") == len(data_health.CHECKS) - 1
    assert partial.status_code == 200 and "<html" not in partial.get_data(as_text=True)
    assert drill.status_code == 200 and "OR-x" in drill.get_data(as_text=True)
    assert "<form" not in drill.get_data(as_text=True).split("<main", 1)[1]  # read-only
    assert missing.status_code == 404
    assert parse_problems(body) == (True, [], [], 1)
    assert parse_problems(drill.get_data(as_text=True)) == (True, [], [], 1)


@pytest.mark.parametrize("role", ["marketing", "delivery_boy", "customer", "supplier"])
def test_health_pages_refused_to_others(client, login_as, role):
    login_as(role)
    assert client.get("/staff/health").status_code == 403
    assert client.get("/staff/health/orders-without-customer").status_code == 403


def test_cli_exit_code(healthy, db, runner):
    with clock.frozen(MAY_12):
        ok = runner.invoke(args=["health-check"])
        db.orders.insert_one({"_id": "OR-x", "kind": "ONE_TIME", "customer_id": "CU-gone", "status": "PENDING"})
        bad = runner.invoke(args=["health-check"])
    assert ok.exit_code == 0 and "BAD" not in ok.output and ok.output.count("OK ") == len(data_health.CHECKS)
    assert bad.exit_code == 1 and "BAD      1  Orders without a customer" in bad.output


def test_customer_tallies_that_drifted_from_the_customers(healthy, db, system):
    db.customers.update_one({"_id": healthy.asha["_id"]}, {"$set": {"status": "paused"}})  # not by set_status
    red("customer-tallies-off")
    with clock.frozen(MAY_12):
        check = data_health.drill_down("customer-tallies-off", actor=Actor.system())
    assert sorted(row["detail"] for row in check["rows"]) == [
        "active: 1 on the morning page, 0 customers", "paused: 0 on the morning page, 1 customers"]
    tallies.rebuild(actor=system)  # the fix the check names
    green()


def test_bill_tallies_that_drifted_from_the_bills(healthy, db, system):
    """April's bill issued on 1 May (₹350, paid): a unit of work that moved the tallies without the bills."""
    db[bill_tallies.MONTHS].update_one({"_id": "2026-05"}, {"$inc": {"bills": 1, "billed_paise": 500}})
    db[bill_tallies.DUES].update_one({"_id": "2026-05-10"}, {"$inc": {"paise": 500, "bills": 1}}, upsert=True)
    asha = healthy.asha["_id"]
    db[bill_tallies.OWED].update_one({"_id": asha}, {"$inc": {"paise": 500, "dues.2026-05-10.paise": 500,
                                                             "dues.2026-05-10.bills": 1}}, upsert=True)
    red("bill-tallies-off")
    with clock.frozen(MAY_12):
        check = data_health.drill_down("bill-tallies-off", actor=Actor.system())
    assert sorted(row["detail"] for row in check["rows"]) == [
        "2026-05 billed_paise: 35500 on the morning page, 35000 in the bills",
        "2026-05 bills: 2 on the morning page, 1 in the bills",
        "due 2026-05-10 bills: 1 on the morning page, 0 in the bills",
        "due 2026-05-10 paise: 500 on the morning page, 0 in the bills",
        f"due {asha} 2026-05-10 bills: 1 on the morning page, 0 in the bills",
        f"due {asha} 2026-05-10 paise: 500 on the morning page, 0 in the bills",
        f"due {asha} in all: 500 on the morning page, 0 in the bills"]
    assert bill_tallies.rebuild(actor=system) == 0
    green()
    db.bills.delete_one({"customer_id": healthy.asha["_id"]})  # a bill gone without moving them
    assert counts()["bill-tallies-off"] == 3  # May's amount and count, April's lines
