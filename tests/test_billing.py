"""Billing service: every delivered line billed exactly once, by the database."""
import threading
from datetime import date, datetime

import pytest
from pymongo.errors import PyMongoError

from tests.conftest import built_once
from tests.billing_fixtures import AFTER_MONTH, APRIL, MONTH
from tests.faults import assert_all_or_nothing, snapshot
from webapp import clock
from webapp.services import Actor, Conflict, Forbidden, NotFound, ValidationError, bill_builder, billing, \
    billing_jobs, guards, payments

LATER = datetime(2026, 5, 3, 9, 0)



def run(system, month=MONTH, at=AFTER_MONTH):
    with clock.frozen(at):
        return billing.run_month(month, actor=system)


def bills_of(db, customer):
    return list(db.bills.find({"customer_id": customer["_id"]}).sort("_id", 1))


@pytest.fixture
def story(db, make_customer, milk, paneer, subscribe, order_once, deliver):
    """What build_story makes, built once per worker (conftest.built_once)."""
    return built_once("billing.story", [db],
                      lambda: build_story(make_customer, milk, paneer, subscribe, order_once, deliver))


def build_story(make_customer, milk, paneer, subscribe, order_once, deliver):
    """The story that broke the old system: daily milk ₹50 × 30 days plus a ₹200 one-time order, all delivered."""
    customer = make_customer(name="Ravi")
    subscription = subscribe(customer, milk)
    extra = order_once(customer, paneer)
    deliver(subscription, APRIL)
    deliver(extra, [date(2026, 4, 15)])
    return customer, subscription, extra


def test_story_one_bill_with_subscription_and_one_time_order(db, system, story):
    customer, subscription, extra = story
    summary = run(system)
    assert summary["bills_issued"] == 1
    [bill] = bills_of(db, customer)
    assert bill["_id"] == "BI-202604-0001"
    assert bill["kind"] == "regular"
    assert bill["total_paise"] == 170_000
    assert len(bill["lines"]) == 31
    assert {line["order_kind"] for line in bill["lines"]} == {"SUBSCRIPTION", "ONE_TIME"}
    assert bill["summary"]["days_delivered"] == 30
    assert bill["summary"]["extras"] == 1 and bill["summary"]["extras_paise"] == 20_000
    assert bill["status"] == "PENDING" and bill["due_date"] == "2026-05-10"


def test_partial_delivery_billed_at_delivered_quantity(db, system, make_customer, milk, subscribe, deliver):
    customer = make_customer()
    subscription = subscribe(customer, milk, qty=2)
    deliver(subscription, APRIL[:3])
    deliver(subscription, [APRIL[3]], {milk["_id"]: 1})
    deliver(subscription, [APRIL[4]], {milk["_id"]: 0}, reason="door_locked")
    run(system)
    [bill] = bills_of(db, customer)
    assert [line["qty"] for line in bill["lines"]] == [2, 2, 2, 1]
    assert bill["total_paise"] == 7 * 5000
    assert bill["summary"]["short_deliveries"] == 1
    assert bill["summary"]["days_not_delivered"] == 1


def test_custom_price_recorded_on_the_delivery_is_billed(db, system, make_customer, milk, subscribe, deliver):
    customer = make_customer(custom_prices={milk["_id"]: 4500})
    subscription = subscribe(customer, milk)
    deliver(subscription, APRIL[:10])
    run(system)
    [bill] = bills_of(db, customer)
    assert {line["unit_price_paise"] for line in bill["lines"]} == {4500}
    assert bill["total_paise"] == 45_000


def test_no_bill_for_a_customer_with_nothing_to_bill(db, system, make_customer, milk, subscribe, deliver):
    customer = make_customer()
    subscription = subscribe(customer, milk)
    deliver(subscription, APRIL[:2], {milk["_id"]: 0}, reason="door_locked")
    assert run(system)["bills_issued"] == 0
    assert bills_of(db, customer) == []


def test_running_again_issues_nothing_new(db, system, story):
    first = run(system)
    again = run(system, at=LATER)
    assert (first["bills_issued"], again["bills_issued"]) == (1, 0)
    assert again["already_billed"] == 31
    assert db.bills.count_documents({}) == 1


def test_late_delivery_goes_on_a_supplementary_bill(db, system, make_customer, milk, subscribe, deliver):
    customer = make_customer()
    subscription = subscribe(customer, milk)
    deliver(subscription, APRIL[:29])
    run(system)
    deliver(subscription, [APRIL[29]], at=datetime(2026, 5, 2, 9, 0))
    with clock.frozen(datetime(2026, 5, 2, 10, 0)):
        assert billing.reconcile(MONTH)["unbilled"][0]["why"] == "confirmed after the last run"
    summary = run(system, at=LATER)
    assert summary["bills_issued"] == 1 and summary["supplementary"] == 1
    regular, supplementary = bills_of(db, customer)
    assert (regular["kind"], supplementary["kind"]) == ("regular", "supplementary")
    assert [line["date"] for line in supplementary["lines"]] == ["2026-04-30"]
    assert supplementary["previous_balance_paise"] == 29 * 5000
    assert supplementary["_id"] == "BI-202604-0002"


def test_a_billed_delivery_cannot_be_billed_again_by_the_database(db, system, story):
    run(system)
    [bill] = list(db.bills.find())
    copy = dict(bill, _id="BI-202604-9999", kind="supplementary")
    with pytest.raises(PyMongoError):
        db.bills.insert_one(copy)


def fail_next(db, command):
    db.client.admin.command("configureFailPoint", "failCommand", mode={"times": 1},
                            data={"failCommands": [command], "errorCode": 8, "closeConnection": False})


@pytest.mark.parametrize("batch_size", [1, 2])
@pytest.mark.parametrize("command", ["findAndModify", "insert", "update", "commitTransaction"])
def test_fault_between_steps_then_rerun_bills_exactly_once(db, system, monkeypatch, make_customer, milk, subscribe,
                                                           deliver, command, batch_size):
    customers = [make_customer() for _ in range(4)]
    for customer in customers:
        deliver(subscribe(customer, milk), APRIL[:5])
        payments.add_adjustment(customer["_id"], -1000, "Sour milk on the 2nd", actor=system)
    monkeypatch.setattr(billing, "ISSUE_BATCH", batch_size)
    issue = billing._issue_bills
    calls = []

    def issue_with_fault(bills, guard_counts, **job):
        calls.append(len(bills))
        if len(calls) == 2:  # the second transaction fails at `command`
            fail_next(db, command)
        return issue(bills, guard_counts, **job)

    monkeypatch.setattr(billing, "_issue_bills", issue_with_fault)
    with pytest.raises(PyMongoError):
        run(system)
    assert db.bills.count_documents({}) == batch_size  # the first transaction's bills, no half batch
    assert db.adjustments.count_documents({"bill_id": None}) == 4 - batch_size
    monkeypatch.setattr(billing, "_issue_bills", issue)
    summary = run(system, at=LATER)
    assert summary["bills_issued"] == 4 - batch_size
    bills = list(db.bills.find().sort("_id", 1))
    assert [b["_id"] for b in bills] == [f"BI-202604-{n:04d}" for n in range(1, 5)]  # no gaps
    assert sorted(b["customer_id"] for b in bills) == sorted(c["_id"] for c in customers)
    assert all(b["total_paise"] == 5 * 5000 - 1000 for b in bills)
    assert db.adjustments.count_documents({"bill_id": None}) == 0
    with clock.frozen(LATER):
        assert billing.reconcile(MONTH)["ok"]


@pytest.mark.parametrize("batch_size", [1, 50])
def test_two_concurrent_runs_give_the_result_of_one(app, db, system, monkeypatch, make_customer, milk, subscribe,
                                                    deliver, batch_size):
    monkeypatch.setattr(billing, "ISSUE_BATCH", batch_size)
    customers = [make_customer() for _ in range(6)]
    for customer in customers:
        deliver(subscribe(customer, milk), APRIL[:4])
    results, errors = [], []

    def worker():
        with app.app_context():
            try:
                results.append(billing.run_month(MONTH, actor=system))
            except Exception as error:  # collected so the test reports it
                errors.append(error)

    with clock.frozen(AFTER_MONTH):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert errors == []
    assert sum(r["bills_issued"] for r in results) == 6
    bills = list(db.bills.find().sort("_id", 1))
    assert [b["_id"] for b in bills] == [f"BI-202604-{n:04d}" for n in range(1, 7)]
    assert {b["kind"] for b in bills} == {"regular"}
    assert sum(len(b["lines"]) for b in bills) == 24
    assert billing.reconcile(MONTH)["ok"]


def test_adjustment_lands_once_on_the_next_bill(db, system, make_customer, milk, subscribe, deliver):
    customer = make_customer()
    deliver(subscribe(customer, milk), APRIL[:10])
    run(system)
    with clock.frozen(datetime(2026, 5, 2, 9, 0)):
        payments.add_adjustment(customer["_id"], -2500, "Two spoilt packets", actor=system)
    summary = run(system, at=LATER)
    assert summary["bills_issued"] == 1
    first, second = bills_of(db, customer)
    assert first["adjustments"] == []
    assert second["kind"] == "supplementary" and second["lines"] == []
    assert [a["amount_paise"] for a in second["adjustments"]] == [-2500]
    assert second["total_paise"] == -2500 and second["amount_due_paise"] == 50_000 - 2500
    assert run(system, at=LATER)["bills_issued"] == 0


def test_adjustment_needs_staff_a_reason_and_an_amount(system, make_customer, make_user):
    customer = make_customer()
    with pytest.raises(ValidationError) as error:
        payments.add_adjustment(customer["_id"], 0, " ", actor=system)
    assert set(error.value.errors) == {"amount", "reason"}
    with pytest.raises(Forbidden):
        payments.add_adjustment(customer["_id"], 100, "x", actor=Actor.for_user(make_user("marketing")))


def test_balance_is_carried_and_a_balance_only_bill_is_issued_once(db, system, make_customer, milk, subscribe,
                                                                   deliver):
    customer = make_customer()
    deliver(subscribe(customer, milk, end=APRIL[-1]), APRIL[:2])
    run(system)
    billing.record_payment(customer["_id"], 4000, "cash", actor=system)
    with clock.frozen(datetime(2026, 6, 1, 7, 0)):
        may = billing.run_month("2026-05", actor=system)
        again = billing.run_month("2026-05", actor=system)
    assert (may["bills_issued"], again["bills_issued"]) == (1, 0)
    [may_bill] = list(db.bills.find({"month": "2026-05"}))
    assert may_bill["lines"] == [] and may_bill["total_paise"] == 0
    assert may_bill["previous_balance_paise"] == 6000 and may_bill["amount_due_paise"] == 6000
    assert may_bill["summary"]["change_paise"] == -10_000


def test_summary_explains_pauses_price_changes_and_change_from_last_month(db, system, make_customer, milk,
                                                                          subscribe, deliver):
    from webapp.services import orders

    customer = make_customer()
    subscription = subscribe(customer, milk, start=date(2026, 3, 26))
    with clock.frozen(datetime(2026, 3, 25, 8, 0)):
        orders.pause(subscription["_id"], date(2026, 4, 10), date(2026, 4, 12), actor=system)
    deliver(subscription, [date(2026, 3, 30), date(2026, 3, 31)], at=datetime(2026, 4, 1, 7, 0))
    run(system, month="2026-03", at=datetime(2026, 4, 1, 7, 0))
    deliver(subscription, APRIL[:5])
    db.customers.update_one({"_id": customer["_id"]}, {"$set": {"custom_prices": {milk["_id"]: 5500}}})
    deliver(subscription, APRIL[5:8])
    run(system)
    april = db.bills.find_one({"month": MONTH})
    summary = april["summary"]
    assert summary["days_paused"] == 3
    assert summary["price_changes"] == [{"product_id": milk["_id"], "prices": [
        {"from": "2026-04-01", "unit_price_paise": 5000}, {"from": "2026-04-06", "unit_price_paise": 5500}]}]
    assert summary["previous_month_total_paise"] == 10_000
    assert summary["change_paise"] == april["total_paise"] - 10_000 == 5 * 5000 + 3 * 5500 - 10_000


def test_only_admin_runs_billing(system, make_user):
    for role in ("marketing", "support", "customer", "delivery_boy"):
        with pytest.raises(Forbidden):
            billing.run_month(MONTH, actor=Actor.for_user(make_user(role)))
    with pytest.raises(ValidationError):
        billing.run_month("2026-13", actor=system)


def test_reconcile_catches_a_tampered_bill_and_a_tampered_delivery(db, system, story):
    run(system)
    report = billing.reconcile(MONTH)
    assert report["ok"] and report["delivered_paise"] == report["billed_paise"] == 170_000
    bill = db.bills.find_one()
    db.bills.update_one({"_id": bill["_id"]}, {"$set": {"lines.0.delivery_id": "DL-20260401-9999"}})
    report = billing.reconcile(MONTH)
    assert not report["ok"]
    assert [line["why"] for line in report["billed_without_delivery"]] == ["no such delivered line"]
    assert len(report["unbilled"]) == 1
    db.bills.update_one({"_id": bill["_id"]}, {"$set": {"lines.0.delivery_id": bill["lines"][0]["delivery_id"]}})
    db.deliveries.update_one({"_id": bill["lines"][1]["delivery_id"]},
                             {"$set": {"lines.0.delivered_qty": 3, "lines.0.amount_paise": 15_000,
                                       "amount_paise": 15_000}})
    report = billing.reconcile(MONTH)
    assert [line["why"] for line in report["billed_without_delivery"]] == [
        "delivery record differs from the billed line"]
    assert not report["ok"]


def test_reconcile_says_why_before_any_run(system, story):
    report = billing.reconcile(MONTH)
    assert not report["ok"] and len(report["unbilled"]) == 31
    assert {line["why"] for line in report["unbilled"]} == {"the month has not been billed yet"}


def test_cli_bill_month_and_reconcile(runner, db, story):
    with clock.frozen(AFTER_MONTH):
        before = runner.invoke(args=["reconcile", MONTH])
        assert before.exit_code == 1 and "MISMATCH" in before.output
        result = runner.invoke(args=["bill-month", MONTH])
        assert result.exit_code == 0, result.output
        assert "1 bills issued" in result.output
        after = runner.invoke(args=["reconcile", MONTH])
        assert after.exit_code == 0 and "OK" in after.output
        assert runner.invoke(args=["bill-month", "2026-13"]).exit_code != 0


def test_a_delivery_on_an_issued_bill_cannot_be_changed(system, story):
    from webapp.services import Conflict, deliveries

    customer, subscription, extra = story
    run(system)
    with clock.frozen(LATER), pytest.raises(Conflict):
        deliveries.confirm(subscription["_id"], APRIL[0], {subscription["items"][0]["product_id"]: 0},
                           reason="door_locked", actor=system)


def test_demo_step_bills_last_month_and_records_payments(db, system, story):
    from webapp import demo

    context = {}
    with clock.frozen(datetime(2026, 5, 2, 9, 0)):
        demo.seed_bills(system, context)
    [bill] = context["bills"]
    assert bill["month"] == MONTH
    assert db.payments.count_documents({}) == 1
    assert db.bills.find_one()["status"] == "PAID"


def test_a_correction_made_during_the_run_is_billed_as_corrected(db, system, make_customer, milk, subscribe,
                                                                deliver, monkeypatch):
    """The run reads the month first and issues bills later: a correction in between must not be billed stale."""
    customer = make_customer()
    subscription = subscribe(customer, milk, qty=2)
    deliver(subscription, APRIL[:3])
    issue = billing._issue_bills

    def correct_then_issue(bills, guard_counts, **job):
        monkeypatch.setattr(billing, "_issue_bills", issue)  # once
        deliver(subscription, [APRIL[0]], {milk["_id"]: 1})  # staff correct day 1 after the read pass
        return issue(bills, guard_counts, **job)

    monkeypatch.setattr(billing, "_issue_bills", correct_then_issue)
    run(system)
    [bill] = bills_of(db, customer)
    assert [line["qty"] for line in bill["lines"]] == [1, 2, 2]
    assert bill["total_paise"] == 5 * 5000
    assert bill["_id"] == "BI-202604-0001"  # the stale attempt consumed no number
    with clock.frozen(AFTER_MONTH):
        assert billing.reconcile(MONTH)["ok"]


def test_a_guard_created_after_the_run_noted_none_makes_the_bill_rebuilt(db, system, make_customer, milk, subscribe,
                                                                         deliver, monkeypatch):
    """Deliveries an import wrote have no guard; the run inserts one as it bills them. A confirmation that creates the
    guard after the run noted none makes that insert fail, and the bill is rebuilt from the corrected delivery."""
    customer = make_customer()
    subscription = subscribe(customer, milk, qty=2)
    deliver(subscription, APRIL[:3])
    db.billing_guards.delete_many({})
    issue = billing._issue_bills

    def correct_then_issue(bills, guard_counts, **job):
        monkeypatch.setattr(billing, "_issue_bills", issue)  # once
        assert customer["_id"] not in guard_counts
        deliver(subscription, [APRIL[0]], {milk["_id"]: 1})  # creates the guard, counting one write
        return issue(bills, guard_counts, **job)

    monkeypatch.setattr(billing, "_issue_bills", correct_then_issue)
    run(system)
    [bill] = bills_of(db, customer)
    assert [line["qty"] for line in bill["lines"]] == [1, 2, 2]
    assert bill["_id"] == "BI-202604-0001"  # the failed attempt consumed no number
    guard = db.billing_guards.find_one({"_id": f"{customer['_id']}:{MONTH}"})
    assert guard["writes"] == 1 and guard["billed_at"]


def test_a_correction_after_the_bill_is_refused_under_the_guard(db, system, make_customer, milk, subscribe, deliver):
    customer = make_customer()
    subscription = subscribe(customer, milk)
    deliver(subscription, APRIL[:2])
    run(system)
    with pytest.raises(Conflict, match="already on bill BI-202604-0001"):
        deliver(subscription, [APRIL[0]], {milk["_id"]: 0}, reason="door_locked")
    guard = db.billing_guards.find_one({"_id": f"{customer['_id']}:{MONTH}"})
    assert guard["writes"] == 2 and guard["billed_at"]  # two confirmations; the refused one left no trace


def test_a_bill_batch_is_all_or_nothing(db, system, make_customer, milk, subscribe, deliver):
    """A fault after any write of a batch (guards, bills, adjustments, job progress, audit entry) leaves
    nothing behind: no bill, no guard, no adjustment taken, no number consumed."""
    customers = [make_customer() for _ in range(2)]
    for customer in customers:
        deliver(subscribe(customer, milk), APRIL[:3])
    with clock.frozen(AFTER_MONTH):
        payments.add_adjustment(customers[0]["_id"], -1000, "Sour milk on the 2nd", actor=system)
        job, _ = billing_jobs.start_month_job(MONTH, actor=system)
        bills = [bill_builder.assemble_bill(
            customer["_id"], MONTH, "regular", list(db.deliveries.find({"customer_id": customer["_id"]})),
            issued_at=clock.now(), due_date=date(2026, 5, 10), run_id=job["_id"],
            adjustments=list(db.adjustments.find({"customer_id": customer["_id"]}))) for customer in customers]
    guard_counts = guards.counts(MONTH)
    tally = {"customers_total": 2, "customers_done": 2, "bills_issued": 0, "amount_paise": 0, "lines": 0,
             "supplementary": 0}

    def bill_counter():
        counter = db.counters.find_one({"_id": "BI-202604"})
        return counter["seq"] if counter else 0

    def issue():
        assert bill_counter() == 0  # counters are not in the snapshot: no failed attempt took a number
        return billing._issue_bills(bills, guard_counts, actor=system, job_id=job["_id"], tally=tally)

    with clock.frozen(AFTER_MONTH):
        issued, writes = assert_all_or_nothing(db, issue)
    assert writes == 5  # guards, bills, the adjustment, the job's progress, the audit entry
    assert bill_counter() == 2
    assert [bill["_id"] for bill in issued] == ["BI-202604-0001", "BI-202604-0002"]
    assert db.bills.count_documents({}) == 2
    assert db.adjustments.find_one()["bill_id"] == "BI-202604-0001"
    assert all(guard["billed_at"] for guard in db.billing_guards.find())
    assert db.jobs.find_one()["progress"] == {"customers_total": 2, "customers_done": 2, "bills_issued": 2,
                                              "amount_paise": 2 * 3 * 5000 - 1000}
    entry = db.audit_log.find_one({"action": "billing.issue"})
    assert entry["changes"]["bills"] == ["BI-202604-0001", "BI-202604-0002"] and entry["actor"]["id"] == "test"
    assert "BI-202604-0001 to BI-202604-0002" in entry["summary"]


def test_a_run_records_what_it_issued(db, system, story):
    run(system)
    actions = [entry["action"] for entry in db.audit_log.find({"entity": "month"}).sort("_id", 1)]
    assert actions == ["billing.issue", "billing.run"]


# ---------------------------------------------------------------- closed months only

MID_APRIL = datetime(2026, 4, 20, 19, 0)


def test_with_nothing_delivered_there_is_no_month_to_bill(db, system):
    with clock.frozen(AFTER_MONTH), pytest.raises(ValidationError, match="Nothing has been delivered yet") as error:
        billing.run_month("2026-03", actor=system)
    assert error.value.field == "month"


@pytest.mark.parametrize("month, message", [
    ("2026-04", "2026-04 is not over yet: only closed months are billed, the latest is 2026-03"),
    ("2026-05", "not over yet"),
    ("9999-12", ""),  # refused as a month already, or as not over: a message either way, never a crash
    ("2026-02", "Nothing was delivered before 2026-03: bill 2026-03 or a later month"),
    ("0000-01", ""),
    ("2026-13", "Month must look like 2026-01"),
    ("26-04", "Month must look like 2026-01"),
])
def test_only_closed_months_from_the_first_delivery_on_are_billed(db, system, make_customer, milk, subscribe,
                                                                  deliver, month, message):
    subscription = subscribe(make_customer(), milk, start=date(2026, 3, 30))
    deliver(subscription, [date(2026, 3, 31)] + APRIL[:19], at=MID_APRIL)
    before = snapshot(db)
    with clock.frozen(MID_APRIL):
        for attempt in (billing.run_month, billing.start_month_run):
            with pytest.raises(ValidationError, match=message or None) as error:
                attempt(month, actor=system)
            assert error.value.field == "month"
    assert snapshot(db) == before  # no bill, no job, no audit entry


def test_deliveries_without_guards_as_an_import_writes_them_still_open_their_month(db, system, make_customer, milk,
                                                                                   subscribe, deliver):
    """The guards answer "was anything delivered by then?" cheaply; deliveries only an import wrote have none, and
    the deliveries themselves answer."""
    subscription = subscribe(make_customer(), milk, start=date(2026, 3, 30))
    deliver(subscription, [date(2026, 3, 31)] + APRIL[:19], at=MID_APRIL)
    db.billing_guards.delete_many({})
    with clock.frozen(MID_APRIL):
        with pytest.raises(ValidationError, match="Nothing was delivered before 2026-03"):
            billing.run_month("2026-02", actor=system)
        assert billing.run_month("2026-03", actor=system)["bills_issued"] == 1


def test_a_month_closes_at_midnight_business_time(db, system, make_customer, milk, subscribe, deliver):
    deliver(subscribe(make_customer(), milk), APRIL[:3], at=MID_APRIL)
    with clock.frozen(datetime(2026, 4, 30, 23, 59)), pytest.raises(ValidationError, match="not over yet"):
        billing.run_month(MONTH, actor=system)
    with clock.frozen(datetime(2026, 5, 1, 0, 1)):  # 30 April, 18:31 UTC: already May in Kolkata
        assert billing.run_month(MONTH + "\n", actor=system)["bills_issued"] == 1


# ---------------------------------------------------------------- a customer leaving mid-month

LEAVING_DAY = datetime(2026, 4, 10, 19, 0)


def test_a_customer_leaving_mid_month_is_billed_up_to_today_once_and_the_month_run_bills_the_rest(
        db, system, make_customer, milk, subscribe, deliver):
    leaving, staying = make_customer(name="Leela"), make_customer()
    subscription = subscribe(leaving, milk)
    deliver(subscription, APRIL[:10], at=LEAVING_DAY)
    deliver(subscribe(staying, milk), APRIL[:10], at=LEAVING_DAY)
    with clock.frozen(LEAVING_DAY):
        payments.add_adjustment(leaving["_id"], -1000, "Sour milk on the 2nd", actor=system)
        bill = billing.bill_to_date(leaving["_id"], actor=system)
        with pytest.raises(Conflict, match="Nothing delivered to Leela up to today is left to bill"):
            billing.bill_to_date(leaving["_id"], actor=system)
        report = billing.reconcile(MONTH)
    assert (bill["_id"], bill["month"], bill["kind"], bill["up_to"]) == ("BI-202604-0001", MONTH, "regular",
                                                                          "2026-04-10")
    assert len(bill["lines"]) == 10 and bill["total_paise"] == 10 * 5000 - 1000
    assert bill["due_date"] == "2026-05-10" and bill["summary"]["last_day"] == "2026-04-10"
    assert db.bills.count_documents({}) == 1 and db.adjustments.find_one()["bill_id"] == bill["_id"]
    [entry] = db.audit_log.find({"action": "billing.to_date"})
    assert entry["entity_id"] == leaving["_id"] and entry["changes"]["bill_id"] == bill["_id"]
    # Only the other customer's lines are unbilled, and no run of the month has happened yet.
    assert {(line["customer_id"], line["why"]) for line in report["unbilled"]} == {
        (staying["_id"], "the month has not been billed yet")}

    deliver(subscription, APRIL[10:13])  # he was delivered three more days after all
    summary = run(system)
    assert (summary["bills_issued"], summary["already_billed"]) == (2, 10)
    first, rest = bills_of(db, leaving)
    assert (rest["kind"], len(rest["lines"])) == ("supplementary", 3)
    assert sorted(b["_id"] for b in db.bills.find()) == [f"BI-202604-{n:04d}" for n in (1, 2, 3)]
    assert {line["date"] for line in rest["lines"]} == {"2026-04-11", "2026-04-12", "2026-04-13"}
    assert rest["previous_balance_paise"] == 49_000 and "up_to" not in rest
    assert len(bills_of(db, staying)[0]["lines"]) == 10
    with clock.frozen(AFTER_MONTH):
        assert billing.reconcile(MONTH)["ok"]
    assert run(system, at=LATER)["bills_issued"] == 0


def test_billing_up_to_today_is_for_admins_and_known_customers(db, system, make_customer, make_user, milk,
                                                               subscribe, deliver):
    customer = make_customer()
    deliver(subscribe(customer, milk), APRIL[:2], at=LEAVING_DAY)
    with clock.frozen(LEAVING_DAY):
        for role in ("marketing", "support", "customer", "delivery_boy"):
            with pytest.raises(Forbidden):
                billing.bill_to_date(customer["_id"], actor=Actor.for_user(make_user(role)))
        with pytest.raises(NotFound):
            billing.bill_to_date("CU-nobody", actor=system)
    assert db.bills.count_documents({}) == 0


def test_days_away_and_an_open_ended_pause_count_as_paused_in_the_summary(db, system, make_customer, milk,
                                                                         subscribe, deliver):
    from webapp.services import away, orders

    customer = make_customer()
    subscription = subscribe(customer, milk, start=date(2026, 3, 26))
    with clock.frozen(datetime(2026, 3, 25, 8, 0)):
        away.set_away(customer["_id"], date(2026, 4, 10), date(2026, 4, 13), actor=system)  # 10th-12th away
        orders.pause(subscription["_id"], date(2026, 4, 28), None, actor=system)  # until further notice
    deliver(subscription, APRIL[:5])
    run(system)
    assert db.bills.find_one({"month": MONTH})["summary"]["days_paused"] == 3 + 3  # 10-12, 28-30


def test_the_run_issues_each_batch_as_its_read_pass_reaches_it(db, system, monkeypatch, make_customer, milk,
                                                               subscribe, deliver):
    """Issue 17: the month's deliveries are not held for all customers before the first bill; each batch is issued
    once the pass has read its customers, before it reads the next ones. A customer with only an adjustment (no
    delivery) is billed in his place in customer order."""
    asha, bala, chitra, dev = (make_customer(name=name) for name in ("Asha", "Bala", "Chitra", "Dev"))
    for customer in (asha, chitra, dev):
        deliver(subscribe(customer, milk), APRIL[:3])
    with clock.frozen(AFTER_MONTH):
        payments.add_adjustment(bala["_id"], 700, "Bottle not returned", actor=system)
    events = []
    reading, issuing = billing.groupby, billing._issue_bills

    def read(cursor, key):
        for customer_id, group in reading(cursor, key):
            events.append(("read", customer_id))
            yield customer_id, group

    def issue(bills, guard_counts, **job):
        events.append(("issue", [bill["customer_id"] for bill in bills]))
        return issuing(bills, guard_counts, **job)

    monkeypatch.setattr(billing, "ISSUE_BATCH", 2)
    monkeypatch.setattr(billing, "groupby", read)
    monkeypatch.setattr(billing, "_issue_bills", issue)
    summary = run(system)
    assert events == [("read", asha["_id"]), ("read", chitra["_id"]), ("issue", [asha["_id"], bala["_id"]]),
                      ("read", dev["_id"]), ("issue", [chitra["_id"], dev["_id"]])]
    assert (summary["customers_total"], summary["customers_done"], summary["bills_issued"]) == (4, 4, 4)
    assert [bill["customer_id"] for bill in db.bills.find().sort("_id", 1)] == [
        asha["_id"], bala["_id"], chitra["_id"], dev["_id"]]
    assert bills_of(db, bala)[0]["total_paise"] == 700 and bills_of(db, asha)[0]["total_paise"] == 3 * 5000
    assert db.billing_marks.find_one({"_id": MONTH})["billed"] == 9
