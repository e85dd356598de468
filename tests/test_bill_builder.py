"""Building a bill is pure: lines, totals, summary, status and due date from data passed in; no database."""
from datetime import date, datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webapp.services import bill_builder

ISSUED_AT = datetime(2026, 5, 1, 1, 30, tzinfo=timezone.utc)
DUE = date(2026, 5, 10)


@pytest.fixture(autouse=True)
def db():
    """These tests need no database: this replaces the suite's database fixture."""
    yield None


def delivery(n, day, *lines, kind="SUBSCRIPTION"):
    return {"_id": f"DL-{n}", "order_id": f"SU-{n}", "order_kind": kind, "customer_id": "CU-1", "date": day,
            "lines": [{"product_id": product, "ordered_qty": ordered, "delivered_qty": delivered,
                       "unit_price_paise": price} for product, ordered, delivered, price in lines]}


def test_months_roll_over_the_year():
    assert bill_builder.next_month("2026-12") == "2027-01"
    assert bill_builder.next_month("2026-04") == "2026-05"
    assert bill_builder.previous_month("2026-01") == "2025-12"
    assert bill_builder.previous_month("2026-05") == "2026-04"


def test_due_date_is_the_due_day_of_next_month_or_that_many_days_after_a_late_issue():
    assert bill_builder.due_date_for("2026-04", date(2026, 5, 1), 10) == date(2026, 5, 10)
    assert bill_builder.due_date_for("2026-04", date(2026, 5, 1), 5) == date(2026, 5, 5)
    assert bill_builder.due_date_for("2026-04", date(2026, 5, 20), 5) == date(2026, 5, 25)
    assert bill_builder.due_date_for("2026-12", date(2027, 1, 2), 10) == date(2027, 1, 10)


def test_paid_status_and_overdue_on_read():
    assert [bill_builder.paid_status(total, paid) for total, paid in [(100, 0), (100, 40), (100, 100), (0, 0),
                                                                       (-50, 0)]] == [
        "PENDING", "PARTIAL", "PAID", "PAID", "PAID"]
    bill = {"status": "PARTIAL", "due_date": "2026-05-10"}
    assert bill_builder.effective_status(bill, date(2026, 5, 10)) == "PARTIAL"
    assert bill_builder.effective_status(bill, date(2026, 5, 11)) == "OVERDUE"
    assert bill_builder.effective_status(dict(bill, status="PAID"), date(2026, 6, 1)) == "PAID"


def test_lines_bill_only_what_was_delivered_in_date_order():
    deliveries = [delivery(2, "2026-04-02", ("PR-1", 2, 1, 5000), ("PR-2", 1, 0, 2000)),
                  delivery(1, "2026-04-01", ("PR-1", 2, 2, 5000)),
                  delivery(3, "2026-04-03", ("PR-1", 2, 0, 5000))]
    lines = bill_builder.bill_lines(deliveries)
    assert [(line["delivery_id"], line["product_id"], line["qty"], line["amount_paise"]) for line in lines] == [
        ("DL-1", "PR-1", 2, 10_000), ("DL-2", "PR-1", 1, 5000)]
    assert lines[1]["ordered_qty"] == 2


def test_a_bill_explains_itself():
    deliveries = [delivery(1, "2026-04-01", ("PR-1", 1, 1, 5000)),
                  delivery(2, "2026-04-02", ("PR-1", 2, 1, 5500)),
                  delivery(3, "2026-04-03", ("PR-9", 1, 1, 20_000), kind="ONE_TIME")]
    bill = bill_builder.assemble_bill("CU-1", "2026-04", "regular", deliveries, issued_at=ISSUED_AT, due_date=DUE,
                                      adjustments=[{"_id": "AD-1", "reason": "Sour milk", "amount_paise": -1000}],
                                      previous_balance=3000, credit=0, run_id="RN-1",
                                      not_delivered_days=["2026-04-04", "2026-04-01"], paused_days=2,
                                      previous_total=25_000)
    assert (bill["lines_paise"], bill["total_paise"], bill["amount_due_paise"]) == (30_500, 29_500, 32_500)
    assert (bill["status"], bill["paid_paise"], bill["due_date"], bill["issued_at"]) == (
        "PENDING", 0, "2026-05-10", ISSUED_AT)
    assert bill["adjustments"] == [{"adjustment_id": "AD-1", "reason": "Sour milk", "amount_paise": -1000}]
    summary = bill["summary"]
    assert (summary["days_delivered"], summary["days_not_delivered"], summary["days_paused"]) == (3, 1, 2)
    assert (summary["extras"], summary["extras_paise"]) == (1, 20_000)
    assert (summary["short_deliveries"], summary["short_days"]) == (1, ["2026-04-02"])
    assert summary["price_changes"] == [{"product_id": "PR-1", "prices": [
        {"from": "2026-04-01", "unit_price_paise": 5000}, {"from": "2026-04-02", "unit_price_paise": 5500}]}]
    assert summary["change_paise"] == 29_500 - 25_000


def test_credit_pays_the_bill_first():
    deliveries = [delivery(1, "2026-04-01", ("PR-1", 1, 1, 5000))]
    paid = bill_builder.assemble_bill("CU-1", "2026-04", "regular", deliveries, issued_at=ISSUED_AT, due_date=DUE,
                                      previous_balance=-8000, credit=8000)
    part = bill_builder.assemble_bill("CU-1", "2026-04", "regular", deliveries, issued_at=ISSUED_AT, due_date=DUE,
                                      previous_balance=-2000, credit=2000)
    assert (paid["paid_paise"], paid["status"], paid["amount_due_paise"]) == (5000, "PAID", -3000)
    assert (part["paid_paise"], part["status"]) == (2000, "PARTIAL")


line_strategy = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(1, 100_000)), max_size=12)


@given(line_strategy, st.lists(st.integers(-100_000, 100_000), max_size=3), st.integers(-10**7, 10**7))
def test_bill_totals_are_the_sums_of_their_lines(raw_lines, adjustments, balance):
    deliveries = [delivery(n, f"2026-04-{n % 28 + 1:02d}", ("PR-1", max(o, d), d, p))
                  for n, (o, d, p) in enumerate(raw_lines)]
    adjustment_docs = [{"_id": f"AD-{n}", "reason": "r", "amount_paise": a} for n, a in enumerate(adjustments)]
    bill = bill_builder.assemble_bill("CU-1", "2026-04", "regular", deliveries, issued_at=ISSUED_AT, due_date=DUE,
                                      adjustments=adjustment_docs, previous_balance=balance, credit=-balance)
    assert all(line["qty"] > 0 for line in bill["lines"])
    assert bill["lines_paise"] == sum(line["amount_paise"] for line in bill["lines"])
    assert bill["total_paise"] == bill["lines_paise"] + sum(adjustments)
    assert bill["amount_due_paise"] == balance + bill["total_paise"]
    assert 0 <= bill["paid_paise"] <= max(0, bill["total_paise"])
