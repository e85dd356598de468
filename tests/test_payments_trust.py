"""Payments the office can trust: checked before saving (name, amount due, amount in words), a second confirmation
above what is due, voids that are new ledger entries and settle the bills again, a payment inside another unit."""
import threading

import pytest

from tests.payments_fixtures import MAY_5, billed_customer  # noqa: F401  (fixture)
from webapp import clock
from webapp.amount_words import rupees_in_words
from webapp.services import Actor, Conflict, Forbidden, NotFound, ValidationError, payments, uow


@pytest.mark.parametrize("paise, words", [
    (12_000_050, "One lakh twenty thousand rupees and fifty paise"),
    (100, "One rupee"),
    (50, "Fifty paise"),
    (1, "One paisa"),
    (2_101, "Twenty-one rupees and one paisa"),
    (123_456_789, "Twelve lakh thirty-four thousand five hundred sixty-seven rupees and eighty-nine paise"),
    (1_000_000_000, "One crore rupees"),
    (1_234_567_800_000, "One thousand two hundred thirty-four crore fifty-six lakh seventy-eight thousand rupees"),
    (0, "Zero rupees"),
    (-550, "Minus five rupees and fifty paise"),
])
def test_amount_in_words_the_indian_way(paise, words):
    assert rupees_in_words(paise) == words


def statuses(db, customer):
    return [(b["paid_paise"], b["status"]) for b in db.bills.find({"customer_id": customer["_id"]})]


def test_add_payment_joins_a_unit_of_work_that_has_already_read(db, system, billed_customer):
    _, customer, bill = billed_customer
    collector = "US-20260505-0001"

    def work(u):
        u.db.customers.find_one({"_id": customer["_id"]})  # the transaction's snapshot is taken here
        return payments.add_payment(u, customer["_id"], 20_000, "cash", collected_by=collector)

    with clock.frozen(MAY_5):
        payment = uow.run(system, work)
    assert payment["receipt_number"] == "RC-202605-0001"
    stored = db.payments.find_one({"_id": payment["_id"]})
    assert (stored["collected_by"], stored["received_on"]) == (collector, "2026-05-05")
    assert statuses(db, customer) == [(20_000, "PARTIAL")]
    assert db.audit_log.count_documents({"action": "payment.record", "entity_id": payment["_id"]}) == 1


def test_a_void_is_a_new_entry_that_settles_the_bills_again(db, system, billed_customer):
    _, customer, bill = billed_customer
    with clock.frozen(MAY_5):
        kept = payments.record_payment(customer["_id"], 20_000, "cash", actor=system)
        wrong = payments.record_payment(customer["_id"], 30_000, "upi", reference="UPI-1", actor=system)
        assert statuses(db, customer) == [(50_000, "PAID")]
        void = payments.void_payment(wrong["_id"], "Bounced: UPI reversed", actor=system)
    assert statuses(db, customer) == [(20_000, "PARTIAL")]
    assert payments.customer_balance(customer["_id"]) == 30_000
    assert db.payments.count_documents({}) == 3  # nothing deleted: the void is an entry of its own
    assert (void["kind"], void["voids"], void["amount_paise"]) == ("void", wrong["_id"], -30_000)
    assert db.payments.find_one({"_id": wrong["_id"]})["voided_by"] == void["_id"]
    assert db.payments.find_one({"_id": kept["_id"]}).get("voided_by") is None
    entry = db.audit_log.find_one({"action": "payment.void"})
    assert entry["entity_id"] == wrong["_id"] and "Bounced" in entry["summary"]


def test_a_payment_is_voided_once_with_a_reason_by_admin_or_support(db, system, billed_customer, make_user):
    _, customer, _ = billed_customer
    with clock.frozen(MAY_5):
        payment = payments.record_payment(customer["_id"], 10_000, "cash", actor=system)
        with pytest.raises(ValidationError) as error:
            payments.void_payment(payment["_id"], "  ", actor=system)
        assert error.value.field == "reason"
        for role in ("marketing", "delivery_boy", "customer"):
            with pytest.raises(Forbidden):
                payments.void_payment(payment["_id"], "Mistake", actor=Actor.for_user(make_user(role)))
        void = payments.void_payment(payment["_id"], "Typed twice", actor=Actor.for_user(make_user("support")))
        with pytest.raises(Conflict):
            payments.void_payment(payment["_id"], "Again", actor=system)
        with pytest.raises(Conflict):
            payments.void_payment(void["_id"], "A void of a void", actor=system)
        with pytest.raises(NotFound):
            payments.void_payment("PA-nope", "Mistake", actor=system)
    assert db.payments.count_documents({"kind": "void"}) == 1
    assert payments.customer_balance(customer["_id"]) == 50_000


def test_two_voids_at_once_take_the_payment_back_once(app, db, system, billed_customer):
    """The unique index on `voids`, not a check: both read "not voided", one commits."""
    _, customer, _ = billed_customer
    with clock.frozen(MAY_5):
        payment = payments.record_payment(customer["_id"], 10_000, "cash", actor=system)
    results = []

    def void():
        with app.app_context():
            try:
                results.append(payments.void_payment(payment["_id"], "Mistake", actor=system)["_id"])
            except Conflict:
                results.append("conflict")

    threads = [threading.Thread(target=void) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results).count("conflict") == 3
    assert db.payments.count_documents({"kind": "void"}) == 1
    assert payments.customer_balance(customer["_id"]) == 50_000


def test_the_preview_shows_what_is_due_and_what_would_be_credit(system, billed_customer):
    _, customer, _ = billed_customer
    with clock.frozen(MAY_5):
        preview = payments.payment_preview(customer["_id"], 60_000, "cash", actor=system)
        assert (preview["customer"]["name"], preview["due_paise"], preview["credit_paise"]) == ("Asha Rao", 50_000,
                                                                                                 10_000)
        assert payments.payment_preview(customer["_id"], 50_000, "cash", actor=system)["credit_paise"] == 0
        with pytest.raises(ValidationError) as error:
            payments.payment_preview(customer["_id"], 0, "cheque", actor=system)
        assert set(error.value.errors) == {"amount", "method"}


def test_above_what_is_due_needs_a_second_confirmation(db, system, billed_customer):
    _, customer, _ = billed_customer
    with clock.frozen(MAY_5):
        with pytest.raises(ValidationError) as error:
            payments.record_payment(customer["_id"], 50_001, "cash", credit_confirmed=False, actor=system)
        assert error.value.field == "confirm_credit" and "₹0.01 more than is due (₹500.00)" in error.value.message
        assert db.payments.count_documents({}) == 0
        payments.record_payment(customer["_id"], 50_000, "cash", credit_confirmed=False, actor=system)
        payments.record_payment(customer["_id"], 1_000, "cash", credit_confirmed=True, actor=system)
    assert payments.customer_balance(customer["_id"]) == -1_000


def test_the_office_checks_a_payment_before_it_is_saved(client, db, login_as, billed_customer):
    _, customer, bill = billed_customer
    login_as("support")
    url = f"/staff/billing/customers/{customer['_id']}/payments"
    form = {"amount": "1,20,000.50", "method": "cash", "reference": "", "received_on": "", "submission_id": "s1"}
    with clock.frozen(MAY_5):
        check = client.post(url, data=form)
        page = check.get_data(as_text=True)
        assert check.status_code == 200 and db.payments.count_documents({}) == 0
        assert "Asha Rao" in page and "₹500.00" in page and "₹1,20,000.50" in page
        assert "One lakh twenty thousand rupees and fifty paise" in page
        assert "₹1,19,500.50 more than is due" in page and 'name="confirm_credit"' in page
        unconfirmed = client.post(url, data={**form, "confirmed": "yes"})
        assert unconfirmed.status_code == 422 and "confirm it becomes credit" in unconfirmed.get_data(as_text=True)
        assert db.payments.count_documents({}) == 0
        saved = client.post(url, data={**form, "confirmed": "yes", "confirm_credit": "y"})
    assert saved.status_code == 303
    assert db.payments.find_one()["amount_paise"] == 12_000_050
    assert db.bills.find_one({"_id": bill["_id"]})["status"] == "PAID"


def test_a_payment_within_what_is_due_needs_no_credit_confirmation(client, db, login_as, billed_customer):
    _, customer, _ = billed_customer
    login_as("admin")
    url = f"/staff/billing/customers/{customer['_id']}/payments"
    form = {"amount": "200", "method": "upi", "reference": "UPI-55", "submission_id": "s2"}
    with clock.frozen(MAY_5):
        check = client.post(url, data=form, htmx=True)
        assert check.status_code == 200 and 'name="confirm_credit"' not in check.get_data(as_text=True)
        assert "Two hundred rupees" in check.get_data(as_text=True)
        assert client.post(url, data={**form, "confirmed": "yes"}, htmx=True).status_code == 204
    assert db.payments.find_one()["reference"] == "UPI-55"


def test_void_from_the_receipt_page(client, db, system, login_as, billed_customer):
    _, customer, bill = billed_customer
    with clock.frozen(MAY_5):
        payment = payments.record_payment(customer["_id"], 50_000, "cash", actor=system)
    url = f"/staff/billing/payments/{payment['_id']}/void"
    login_as("marketing")
    assert client.post(url, data={"reason": "Mistake"}).status_code == 403
    login_as("admin")
    assert client.post(url, data={"reason": ""}).status_code == 422
    response = client.post(url, data={"reason": "Counted twice"})
    assert response.status_code == 303
    page = client.get(f"/staff/billing/payments/{payment['_id']}").get_data(as_text=True)
    assert "Voided" in page and "Counted twice" in page and 'id="void-form"' not in page
    assert db.bills.find_one({"_id": bill["_id"]})["status"] == "PENDING"
    assert client.post(url, data={"reason": "Again"}).status_code == 409
