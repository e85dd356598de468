"""Payments: recorded once, settle the oldest bills first, statuses, overdue, balance from the records."""
from datetime import datetime

import pytest

from tests.conftest import built_once
from tests.billing_fixtures import AFTER_MONTH, APRIL, MONTH
from tests.faults import assert_all_or_nothing
from webapp import clock
from webapp.services import Actor, Forbidden, NotFound, ValidationError, bill_queries, billing, payments



@pytest.fixture
def two_bills(db, system, make_customer, milk, subscribe, deliver):
    """What build_two_bills makes, built once per worker (conftest.built_once)."""
    return built_once("payments.two_bills", [db],
                      lambda: build_two_bills(db, system, make_customer, milk, subscribe, deliver))


def build_two_bills(db, system, make_customer, milk, subscribe, deliver):
    """A customer with an April bill of ₹500 and a supplementary one of ₹100 (a late delivery)."""
    customer = make_customer()
    subscription = subscribe(customer, milk)
    deliver(subscription, APRIL[:10])
    with clock.frozen(AFTER_MONTH):
        billing.run_month(MONTH, actor=system)
    deliver(subscription, APRIL[10:12], at=datetime(2026, 5, 2, 8, 0))
    with clock.frozen(datetime(2026, 5, 2, 9, 0)):
        billing.run_month(MONTH, actor=system)
    return customer, list(db.bills.find({"customer_id": customer["_id"]}).sort("_id", 1))


def statuses(db, customer):
    return [(b["paid_paise"], b["status"]) for b in db.bills.find({"customer_id": customer["_id"]}).sort("_id", 1)]


def test_payments_settle_the_oldest_bill_first(db, system, two_bills):
    customer, (first, second) = two_bills
    assert (first["total_paise"], second["total_paise"]) == (50_000, 10_000)
    with clock.frozen(datetime(2026, 5, 5, 9, 0)):
        billing.record_payment(customer["_id"], 30_000, "cash", actor=system)
        assert statuses(db, customer) == [(30_000, "PARTIAL"), (0, "PENDING")]
        billing.record_payment(customer["_id"], 25_000, "upi", reference="UPI123", actor=system)
        assert statuses(db, customer) == [(50_000, "PAID"), (5_000, "PARTIAL")]
        billing.record_payment(customer["_id"], 5_000, "bank", reference="NEFT9", actor=system)
        assert statuses(db, customer) == [(50_000, "PAID"), (10_000, "PAID")]
        assert payments.customer_balance(customer["_id"]) == 0


def test_a_double_submitted_form_records_one_payment(db, system, two_bills):
    customer, _ = two_bills
    with clock.frozen(datetime(2026, 5, 5, 9, 0)):
        first = billing.record_payment(customer["_id"], 10_000, "cash", submission_id="form-1", actor=system)
        again = billing.record_payment(customer["_id"], 10_000, "cash", submission_id="form-1", actor=system)
    assert first["_id"] == again["_id"]
    assert db.payments.count_documents({}) == 1
    assert payments.customer_balance(customer["_id"]) == 50_000


def test_a_repeated_reference_records_one_payment(db, system, two_bills):
    customer, _ = two_bills
    with clock.frozen(datetime(2026, 5, 5, 9, 0)):
        billing.record_payment(customer["_id"], 10_000, "upi", reference="UPI-77", actor=system)
        billing.record_payment(customer["_id"], 10_000, "upi", reference="UPI-77", actor=system)
    assert db.payments.count_documents({}) == 1


def test_overdue_after_the_due_date_until_paid(db, system, two_bills):
    customer, (first, second) = two_bills
    assert first["due_date"] == "2026-05-10"
    with clock.frozen(datetime(2026, 5, 10, 20, 0)):
        assert bill_queries.get_bill(first["_id"], actor=system)["status"] == "PENDING"
    with clock.frozen(datetime(2026, 5, 11, 8, 0)):
        assert bill_queries.get_bill(first["_id"], actor=system)["status"] == "OVERDUE"
        overdue = bill_queries.list_bills(MONTH, status="OVERDUE", actor=system)
        assert [b["_id"] for b in overdue] == [first["_id"], second["_id"]]
        billing.record_payment(customer["_id"], 50_000, "cash", actor=system)
        assert bill_queries.get_bill(first["_id"], actor=system)["status"] == "PAID"
        assert [b["_id"] for b in bill_queries.list_bills(MONTH, status="OVERDUE", actor=system)] == [second["_id"]]
        assert [b["_id"] for b in bill_queries.list_bills(MONTH, status="PAID", actor=system)] == [first["_id"]]


def test_due_day_is_configurable(app, db, system, monkeypatch, make_customer, milk, subscribe, deliver):
    monkeypatch.setitem(app.config, "BILL_DUE_DAY", 5)
    deliver(subscribe(make_customer(), milk), APRIL[:2])
    with clock.frozen(datetime(2026, 5, 20, 9, 0)):  # issued after the 5th: five days from issue
        billing.run_month(MONTH, actor=system)
    assert db.bills.find_one()["due_date"] == "2026-05-25"


def test_an_overpayment_is_credit_on_the_next_bill(db, system, make_customer, milk, subscribe, deliver):
    customer = make_customer()
    subscription = subscribe(customer, milk)
    with clock.frozen(datetime(2026, 4, 1, 9, 0)):
        billing.record_payment(customer["_id"], 60_000, "cash", actor=system)
    deliver(subscription, APRIL[:10])
    with clock.frozen(AFTER_MONTH):
        billing.run_month(MONTH, actor=system)
    bill = db.bills.find_one()
    assert (bill["previous_balance_paise"], bill["paid_paise"], bill["status"]) == (-60_000, 50_000, "PAID")
    assert payments.customer_balance(customer["_id"]) == -10_000


def test_balance_is_billed_minus_paid_from_the_records(db, system, two_bills):
    customer, _ = two_bills
    with clock.frozen(datetime(2026, 5, 5, 9, 0)):
        billing.record_payment(customer["_id"], 12_345, "cash", actor=system)
        statement = bill_queries.statement(customer["_id"], actor=system)
    billed = sum(b["total_paise"] for b in db.bills.find({"customer_id": customer["_id"]}))
    paid = sum(p["amount_paise"] for p in db.payments.find({"customer_id": customer["_id"]}))
    assert payments.customer_balance(customer["_id"]) == statement["balance_paise"] == billed - paid == 47_655
    assert [e["kind"] for e in statement["entries"]] == ["bill", "bill", "payment"]


def test_payment_input_is_checked(system, make_customer):
    customer = make_customer()
    with clock.frozen(datetime(2026, 5, 5, 9, 0)):
        with pytest.raises(ValidationError) as error:
            billing.record_payment(customer["_id"], -5, "cheque", received_on="2026-13-45", actor=system)
        assert set(error.value.errors) == {"amount", "method", "received_on"}
        with pytest.raises(ValidationError):
            billing.record_payment(customer["_id"], 10**12, "cash", actor=system)
        with pytest.raises(ValidationError):
            billing.record_payment(customer["_id"], 100, "cash", received_on="2026-05-06", actor=system)
        with pytest.raises(NotFound):
            billing.record_payment("CU-nope", 100, "cash", actor=system)


def test_only_admin_and_support_record_payments(system, make_customer, make_user):
    customer = make_customer()
    for role in ("marketing", "customer", "delivery_boy", "supplier"):
        with pytest.raises(Forbidden):
            billing.record_payment(customer["_id"], 100, "cash", actor=Actor.for_user(make_user(role)))
    payment = billing.record_payment(customer["_id"], 100, "cash", actor=Actor.for_user(make_user("support")))
    assert payment["recorded_by"]["role"] == "support"


def test_a_customer_sees_only_his_own_bills(db, system, two_bills, make_user):
    customer, (first, _) = two_bills
    owner = Actor.for_user(db.users.find_one({"customer_id": customer["_id"]}))
    stranger = Actor.for_user(make_user("customer"))
    assert bill_queries.get_bill(first["_id"], actor=owner)["_id"] == first["_id"]
    with pytest.raises(NotFound):
        bill_queries.get_bill(first["_id"], actor=stranger)
    with pytest.raises(NotFound):
        bill_queries.statement(customer["_id"], actor=stranger)


def test_recording_a_payment_and_settling_is_all_or_nothing(db, system, two_bills):
    customer, _ = two_bills
    with clock.frozen(datetime(2026, 5, 5, 9, 0)):
        payment, writes = assert_all_or_nothing(db, lambda: billing.record_payment(
            customer["_id"], 55_000, "upi", reference="UPI-9", actor=system))
    assert writes == 5  # the receipt number, the payment, both bills settled, the audit entry
    assert db.payments.find_one()["_id"] == payment["_id"]
    assert statuses(db, customer) == [(50_000, "PAID"), (5_000, "PARTIAL")]
    entry = db.audit_log.find_one({"action": "payment.record"})
    assert (entry["entity_id"], entry["actor"]["id"]) == (payment["_id"], "test")


def test_an_adjustment_comes_with_its_audit_entry(db, system, make_customer):
    customer = make_customer()
    adjustment, writes = assert_all_or_nothing(db, lambda: payments.add_adjustment(
        customer["_id"], -2500, "Two spoilt packets", actor=system))
    assert writes == 2
    assert db.adjustments.find_one()["_id"] == adjustment["_id"]
    assert db.audit_log.find_one({"action": "billing.adjust"})["changes"]["adjustment_id"] == adjustment["_id"]
