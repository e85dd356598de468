"""The statement: a customer's ledger over any date range, opening and closing balances, bills with their
adjustments, payments, voids; on screen and as PDF, for staff and for the customer himself."""
import io
from datetime import date, datetime, timezone

import pytest
from pypdf import PdfReader

from tests.payments_fixtures import MAY_5, billed_customer  # noqa: F401  (fixture)
from webapp import clock
from webapp.blueprints.customer import receipts  # noqa: F401  (until the customer blueprint imports it)
from webapp.services import Actor, NotFound, ValidationError, ledger, payments


def bill(customer_id, number, issued, total, adjustments=()):
    return {"_id": f"BI-{number}", "customer_id": customer_id, "month": issued[:7], "kind": "regular",
            "issued_at": datetime.fromisoformat(issued + "T01:00:00").replace(tzinfo=timezone.utc),
            "total_paise": total, "paid_paise": 0, "status": "PENDING", "due_date": issued[:8] + "28",
            "adjustments": [{"adjustment_id": f"AD-{n}", "reason": reason, "amount_paise": amount}
                            for n, (reason, amount) in enumerate(adjustments)]}


def payment(customer_id, number, received_on, amount, **extra):
    return {"_id": f"PA-{number}", "customer_id": customer_id, "amount_paise": amount, "method": "cash",
            "reference": None, "received_on": received_on, "receipt_number": f"RC-{number}",
            "created_at": datetime.fromisoformat(received_on + "T06:00:00").replace(tzinfo=timezone.utc), **extra}


@pytest.fixture
def ledger_of(db, make_customer):
    """A hand-built ledger: bills of ₹1,000 (1 Feb), ₹1,200 (1 Mar, with a ₹50 credit), ₹900 (1 Apr); payments of
    ₹1,000 (5 Feb), ₹700 (10 Mar, voided 12 Mar), ₹500 (15 Mar)."""
    customer = make_customer(name="Ravi Iyer")
    cid = customer["_id"]
    db.bills.insert_many([bill(cid, 1, "2026-02-01", 100_000), bill(cid, 2, "2026-03-01", 120_000,
                                                                      [("Spoilt packet", -5_000)]),
                          bill(cid, 3, "2026-04-01", 90_000)])
    db.payments.insert_many([
        payment(cid, 1, "2026-02-05", 100_000), payment(cid, 2, "2026-03-10", 70_000, voided_by="PA-4"),
        payment(cid, 3, "2026-03-15", 50_000),
        {**payment(cid, 4, "2026-03-12", -70_000, kind="void", voids="PA-2", reason="Counterfeit note"),
         "receipt_number": None}])
    return customer


def test_statement_over_a_range_has_its_opening_and_closing_balance(system, ledger_of):
    with clock.frozen(datetime(2026, 5, 1, 9, 0)):
        march = ledger.statement(ledger_of["_id"], "2026-03-01", "2026-03-31", actor=system)
        everything = ledger.statement(ledger_of["_id"], actor=system)
    assert march["opening_paise"] == 0  # ₹1,000 billed, ₹1,000 paid before March
    assert [(e["kind"], e["amount_paise"], e["balance_paise"]) for e in march["entries"]] == [
        ("bill", 120_000, 120_000), ("payment", -70_000, 50_000), ("void", 70_000, 120_000),
        ("payment", -50_000, 70_000)]
    assert march["closing_paise"] == 70_000
    assert march["entries"][0]["adjustments"][0]["reason"] == "Spoilt packet"
    assert (everything["opening_paise"], everything["closing_paise"]) == (0, 160_000)
    assert everything["closing_paise"] == everything["balance_paise"] == payments.customer_balance(ledger_of["_id"])


def test_a_range_after_everything_opens_and_closes_on_the_balance(system, ledger_of):
    with clock.frozen(datetime(2026, 5, 1, 9, 0)):
        may = ledger.statement(ledger_of["_id"], date(2026, 4, 2), date(2026, 4, 30), actor=system)
    assert may["entries"] == [] and may["opening_paise"] == may["closing_paise"] == 160_000


@pytest.mark.parametrize("first, last, field", [
    ("2026-04-10", "2026-04-01", "last_day"), ("2026-13-01", None, "first_day"), (None, "yesterday", "last_day")])
def test_a_wrong_range_is_refused_by_its_field(system, ledger_of, first, last, field):
    with pytest.raises(ValidationError) as error:
        ledger.statement(ledger_of["_id"], first, last, actor=system)
    assert field in error.value.errors


def test_a_customer_sees_only_his_own_statement(system, billed_customer, make_user):
    user, customer, _ = billed_customer
    assert ledger.statement(customer["_id"], actor=Actor.for_user(user))["customer"]["_id"] == customer["_id"]
    for actor in (Actor.for_user(make_user("customer")), Actor.for_user(make_user("delivery_boy"))):
        with pytest.raises(NotFound):
            ledger.statement(customer["_id"], actor=actor)


def test_staff_statement_page_and_pdf_over_a_range(client, login_as, ledger_of):
    url = f"/staff/billing/customers/{ledger_of['_id']}"
    with clock.frozen(datetime(2026, 5, 1, 9, 0)):
        for role in ("admin", "support", "marketing"):
            login_as(role)
            page = client.get(url, query_string={"first_day": "2026-03-01", "last_day": "2026-03-31"})
            text = page.get_data(as_text=True)
            assert page.status_code == 200 and "Opening balance" in text and "Counterfeit note" in text
            assert "BI-1<" not in text.split('id="statement"')[1].split("</section>")[0]  # before the range
        wrong = client.get(url, query_string={"first_day": "2026-04-10", "last_day": "2026-04-01"})
        assert wrong.status_code == 422 and "To must not be before From." in wrong.get_data(as_text=True)
        pdf = client.get(f"{url}/statement.pdf", query_string={"first_day": "2026-03-01", "last_day": "2026-03-31"})
        login_as("delivery_boy")
        assert client.get(url).status_code == 403
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Ravi Iyer" in text and "Closing balance" in text and "₹700.00" in text and "Counterfeit note" in text


def test_customer_statement_page_and_pdf(client, system, login_as, billed_customer):
    user, customer, _ = billed_customer
    with clock.frozen(MAY_5):
        paid = payments.record_payment(customer["_id"], 20_000, "cash", actor=system)
        login_as(user)
        page = client.get("/me/statement", query_string={"first_day": "2026-05-01", "last_day": "2026-05-05"})
        text = page.get_data(as_text=True)
        assert page.status_code == 200 and "₹500.00" in text and f"/me/receipts/{paid['_id']}" in text
        assert client.get("/me/statement", query_string={"first_day": "nonsense"}).status_code == 422
        pdf = client.get("/me/statement.pdf")
        assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
        login_as("admin")
        assert client.get("/me/statement").status_code == 403
