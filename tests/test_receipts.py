"""Receipts: a gap-free numbered series taken inside the payment's unit of work (even under concurrent payments),
one receipt per payment, seen by staff, the customer himself or a receipt link; a page and a PDF."""
import io
import threading

import pytest
from pypdf import PdfReader

from tests.faults import InjectedFault, failing_after
from tests.payments_fixtures import MAY_5, billed_customer  # noqa: F401  (fixture)
from webapp import clock
from webapp.services import Actor, NotFound, links, payments


def pdf_text(response):
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


def test_receipt_numbers_have_no_gaps_under_concurrent_payments(app, db, system, make_customer):
    customers = [make_customer() for _ in range(4)]
    errors = []

    def pay(customer):
        with app.app_context():
            try:
                for _ in range(5):
                    payments.record_payment(customer["_id"], 1_000, "cash", actor=system)
            except Exception as error:  # reported below: a thread's exception would otherwise vanish
                errors.append(error)

    threads = [threading.Thread(target=pay, args=(customer,)) for customer in customers]
    with clock.frozen(MAY_5):  # once for every thread: the frozen time is global
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    numbers = sorted(p["receipt_number"] for p in db.payments.find())
    assert numbers == [f"RC-202605-{n:04d}" for n in range(1, 21)]


def test_a_payment_that_fails_takes_no_receipt_number(db, system, billed_customer):
    _, customer, _ = billed_customer
    with clock.frozen(MAY_5):
        payments.record_payment(customer["_id"], 1_000, "cash", actor=system)
        with failing_after(3), pytest.raises(InjectedFault):  # after the number, the payment and the settlement
            payments.record_payment(customer["_id"], 2_000, "cash", actor=system)
        second = payments.record_payment(customer["_id"], 3_000, "cash", actor=system)
    assert second["receipt_number"] == "RC-202605-0002"
    assert db.payments.count_documents({}) == 2


def test_numbers_start_again_each_month(db, system, billed_customer):
    _, customer, _ = billed_customer
    with clock.frozen(MAY_5):
        payments.record_payment(customer["_id"], 1_000, "cash", actor=system)
    with clock.frozen(MAY_5.replace(month=6)):
        june = payments.record_payment(customer["_id"], 1_000, "cash", actor=system)
    assert june["receipt_number"] == "RC-202606-0001"


def test_who_sees_a_receipt(db, system, billed_customer, make_user):
    user, customer, _ = billed_customer
    with clock.frozen(MAY_5):
        payment = payments.record_payment(customer["_id"], 12_000_050, "bank", reference="NEFT-1", actor=system)
        void = payments.void_payment(payment["_id"], "Entered for the wrong customer", actor=system)
    for actor in (system, Actor.for_user(make_user("marketing")), Actor.for_user(user)):
        assert payments.receipt(payment["_id"], actor=actor)["void"]["_id"] == void["_id"]
    for hidden in (void["_id"], "PA-nope", None):
        with pytest.raises(NotFound):
            payments.receipt(hidden, actor=system)
    with pytest.raises(NotFound):
        payments.receipt(payment["_id"], actor=Actor.for_user(make_user("customer")))
    assert [p["_id"] for p in payments.customer_receipts(customer["_id"], actor=Actor.for_user(user))] == [
        payment["_id"]]


def test_receipt_pages_and_pdf_per_role(client, db, system, login_as, billed_customer, make_user):
    user, customer, _ = billed_customer
    with clock.frozen(MAY_5):
        payment = payments.record_payment(customer["_id"], 12_000_050, "cash", actor=system)
    staff_url = f"/staff/billing/payments/{payment['_id']}"
    for role in ("admin", "support", "marketing"):
        login_as(role)
        page = client.get(staff_url).get_data(as_text=True)
        assert "RC-202605-0001" in page and "One lakh twenty thousand rupees and fifty paise only" in page
        assert ('id="void-form"' in page) == (role != "marketing")
    for role in ("delivery_boy", "supplier"):
        login_as(role)
        assert client.get(staff_url).status_code == 403
    login_as(user)
    page = client.get(f"/me/receipts/{payment['_id']}")
    assert page.status_code == 200 and "Asha Rao" in page.get_data(as_text=True)
    text = pdf_text(client.get(f"/me/receipts/{payment['_id']}.pdf"))
    assert "RC-202605-0001" in text and "₹1,20,000.50" in text and "One lakh twenty thousand" in text
    login_as("customer")
    assert client.get(f"/me/receipts/{payment['_id']}").status_code == 404
    assert client.get(f"/me/receipts/{payment['_id']}.pdf").status_code == 404


def test_a_receipt_link_opens_the_receipt_and_its_pdf_only(client, db, system, login_as, billed_customer):
    user, customer, bill = billed_customer
    with clock.frozen(MAY_5):
        payment = payments.record_payment(customer["_id"], 20_000, "upi", reference="UPI-8", actor=system)
        login_as(user)
        shared = client.post(f"/me/receipts/{payment['_id']}/share")
        assert shared.status_code == 200
        link = db.shared_links.find_one({"scope": "receipt"})
        assert (link["payment_id"], link["customer_id"]) == (payment["_id"], customer["_id"])
        url = links.link_url(link)
        assert url in shared.get_data(as_text=True)
        page = client.get(url.replace("http://localhost", ""))
        assert page.status_code == 200 and "RC-202605-0001" in page.get_data(as_text=True)
        assert "₹200.00" in pdf_text(client.get(url.replace("http://localhost", "") + ".pdf"))
        assert db.shared_links.find_one({"_id": link["_id"]})["uses"] == 2
        bill_link = links.create_bill_link(bill["_id"], actor=system)
        assert client.get(f"/l/{links.token_for(bill_link)}/receipt").status_code == 404
        assert client.get(f"/l/{links.token_for(link)}x/receipt").status_code == 404


def test_staff_share_a_receipt_link(client, db, system, login_as, billed_customer):
    _, customer, _ = billed_customer
    with clock.frozen(MAY_5):
        payment = payments.record_payment(customer["_id"], 20_000, "cash", actor=system)
    login_as("support")
    response = client.post(f"/staff/billing/payments/{payment['_id']}/share")
    assert response.status_code == 200 and "/receipt" in response.get_data(as_text=True)
    assert db.audit_log.count_documents({"action": "link.issue"}) == 1
    [live] = links.live_links(actor=system)
    assert live["label"] == f"Receipt for {payment['_id']} (Asha Rao)" and live["url"].endswith("/receipt")
    assert client.get(f"/staff/billing/payments/{payment['_id']}.pdf").status_code == 200
