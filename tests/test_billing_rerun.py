"""Running a billed month again: decided from the guard counts and the month's mark, without reading its deliveries
again, and still finding whatever arrived since."""
from datetime import date, datetime

import pytest

from tests.billing_fixtures import AFTER_MONTH, APRIL, MONTH
from tests.command_capture import listening
from webapp import clock
from webapp.services import billing, payments

LATER = datetime(2026, 5, 3, 9, 0)


def run(system, at=AFTER_MONTH):
    with clock.frozen(at):
        return billing.run_month(MONTH, actor=system)


def test_a_run_leaves_the_months_mark(db, system, make_customer, milk, subscribe, deliver):
    subscription = subscribe(make_customer(), milk)
    deliver(subscription, APRIL[:10])
    deliver(subscription, [APRIL[10]], {milk["_id"]: 0}, reason="door_locked")
    summary = run(system)
    mark = db.billing_marks.find_one({"_id": MONTH})
    assert (mark["writes"], mark["import_id"], mark["deliveries"], mark["billed"], mark["run_id"]) == (
        11, None, 11, 10, summary["run_id"])
    assert (mark["bills"], mark["payments"]) == (1, 0)  # this run's bill counted: running again finds it unchanged


def test_running_again_reads_none_of_the_months_deliveries(db, system, make_customer, milk, subscribe, deliver):
    for name in ("Asha", "Bala"):
        deliver(subscribe(make_customer(name=name), milk), APRIL)
    first = run(system)
    with listening() as commands:
        again = run(system, at=LATER)
    assert (first["bills_issued"], again["bills_issued"], again["already_billed"]) == (2, 0, 60)
    assert commands.on("deliveries") == []
    assert not any(name == "find" and "lines.delivery_id" in command.get("projection", {})
                   for name, command in commands.on("bills"))  # nor the billed lines
    assert db.bills.count_documents({}) == 2
    assert db.audit_log.count_documents({"action": "billing.run"}) == 2


def test_a_late_delivery_after_the_run_is_found_by_the_next(db, system, make_customer, milk, subscribe, deliver):
    customer = make_customer()
    subscription = subscribe(customer, milk)
    deliver(subscription, APRIL[:29])
    run(system)
    deliver(subscription, [APRIL[29]], at=datetime(2026, 5, 2, 9, 0))
    with listening() as commands:
        again = run(system, at=LATER)
    assert any(name == "find" for name, _ in commands.on("deliveries"))
    assert (again["bills_issued"], again["already_billed"], again["lines"]) == (1, 29, 1)
    late = db.bills.find_one({"kind": "supplementary"})
    assert [line["date"] for line in late["lines"]] == ["2026-04-30"]
    assert db.billing_marks.find_one({"_id": MONTH})["billed"] == 30
    assert run(system, at=datetime(2026, 5, 4, 9, 0))["bills_issued"] == 0


def test_deliveries_of_a_later_import_are_still_found(db, system, make_customer, milk, subscribe, deliver):
    """An import writes deliveries but no guard counts: its report, newer than the mark, tells the run."""
    subscription = subscribe(make_customer(), milk)
    [first, *_] = deliver(subscription, APRIL[:20])
    run(system)
    db.deliveries.insert_one(dict(first, _id="DL-20260425-9999", date="2026-04-25", source="legacy"))
    assert run(system, at=LATER)["bills_issued"] == 0  # written without a count or a report: not seen
    db.import_reports.insert_one({"_id": "IM-20260503-0001", "started_at": LATER, "dry_run": False})
    again = run(system, at=datetime(2026, 5, 4, 9, 0))
    assert (again["bills_issued"], again["lines"]) == (1, 1)
    assert db.bills.find_one({"kind": "supplementary"})["lines"][0]["delivery_id"] == "DL-20260425-9999"


def test_an_adjustment_after_the_run_is_billed_by_the_next(db, system, make_customer, milk, subscribe, deliver):
    customer = make_customer()
    deliver(subscribe(customer, milk), APRIL[:5])
    run(system)
    with clock.frozen(datetime(2026, 5, 2, 9, 0)):
        payments.add_adjustment(customer["_id"], -1000, "Sour milk on the 2nd", actor=system)
    again = run(system, at=LATER)
    assert (again["bills_issued"], again["supplementary"], again["amount_paise"]) == (1, 1, -1000)


def test_a_balance_for_a_customer_without_a_bill_is_carried_by_the_next_run(db, system, make_customer, milk,
                                                                          subscribe, deliver):
    billed, paying = make_customer(name="Asha"), make_customer(name="Bala")
    deliver(subscribe(billed, milk), APRIL[:5])
    run(system)
    with clock.frozen(datetime(2026, 5, 2, 9, 0)):
        payments.record_payment(paying["_id"], 3000, "cash", actor=system)  # paid in advance: a credit
    again = run(system, at=LATER)
    [bill] = db.bills.find({"customer_id": paying["_id"]})
    assert (again["bills_issued"], bill["kind"], bill["previous_balance_paise"]) == (1, "regular", -3000)


def test_a_run_that_fails_leaves_the_mark_as_it_was(db, system, make_customer, milk, subscribe, deliver,
                                                     monkeypatch):
    subscription = subscribe(make_customer(), milk)
    deliver(subscription, APRIL[:5])
    run(system)
    deliver(subscription, [APRIL[5]], at=datetime(2026, 5, 2, 9, 0))

    def fail(*args, **kwargs):
        raise RuntimeError("the process stopped")

    monkeypatch.setattr(billing, "_issue_bills", fail)
    with pytest.raises(RuntimeError):
        run(system, at=LATER)
    assert db.billing_marks.find_one({"_id": MONTH})["billed"] == 5
    monkeypatch.undo()
    assert run(system, at=datetime(2026, 5, 4, 9, 0))["lines"] == 1
    assert date.fromisoformat(db.bills.find_one({"kind": "supplementary"})["lines"][0]["date"]) == APRIL[5]
