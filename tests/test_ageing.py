"""Ageing: what is unpaid past each bill's due date, by customer, in 0–30, 31–60, 61–90 and 90+ days, with totals;
a page and a CSV for staff."""
import csv
import io
from datetime import datetime, timezone

import pytest

from webapp import clock
from webapp.services import Actor, Forbidden, ledger

TODAY = datetime(2026, 6, 30, 9, 0)


def bill(customer_id, number, due_date, total, paid=0, **extra):
    return {"_id": f"BI-{number}", "customer_id": customer_id, "month": "2026-01", "kind": "supplementary",
            "issued_at": datetime(2026, 1, 1, tzinfo=timezone.utc), "total_paise": total, "paid_paise": paid,
            "status": "PAID" if paid >= total else ("PARTIAL" if paid else "PENDING"), "due_date": due_date, **extra}


@pytest.fixture
def overdue(db, make_customer):
    """Hand-built bills on 30 June: Ravi owes 1, 30, 31, 60, 61, 90 and 91 days overdue (one part paid), and one bill
    not due yet; Meena one bill 200 days overdue, one paid, one questioned."""
    ravi, meena = make_customer(name="Ravi Iyer"), make_customer(name="Meena Shah")
    db.bills.insert_many([
        bill(ravi["_id"], 1, "2026-06-29", 10_000),  # 1 day
        bill(ravi["_id"], 2, "2026-05-31", 20_000, paid=5_000),  # 30 days, ₹150 unpaid
        bill(ravi["_id"], 3, "2026-05-30", 30_000),  # 31 days
        bill(ravi["_id"], 4, "2026-05-01", 40_000),  # 60 days
        bill(ravi["_id"], 5, "2026-04-30", 50_000),  # 61 days
        bill(ravi["_id"], 6, "2026-04-01", 60_000),  # 90 days
        bill(ravi["_id"], 7, "2026-03-31", 70_000),  # 91 days
        bill(ravi["_id"], 8, "2026-06-30", 80_000),  # due today: not overdue
        bill(meena["_id"], 9, "2025-12-12", 90_000),  # 200 days
        bill(meena["_id"], 10, "2026-01-10", 5_000, paid=5_000),
        bill(meena["_id"], 11, "2026-01-10", 7_000, open_questions=1),  # questioned: not final, not overdue
    ])
    return ravi, meena


def test_buckets_by_days_past_the_due_date(system, overdue):
    ravi, meena = overdue
    with clock.frozen(TODAY):
        report = ledger.ageing(actor=system)
    rows = {row["name"]: row for row in report["rows"]}
    assert rows["Ravi Iyer"]["buckets"] == {"0–30": 25_000, "31–60": 70_000, "61–90": 110_000, "90+": 70_000}
    assert rows["Ravi Iyer"]["total_paise"] == 275_000
    assert rows["Meena Shah"]["buckets"] == {"0–30": 0, "31–60": 0, "61–90": 0, "90+": 90_000}
    assert [row["name"] for row in report["rows"]] == ["Meena Shah", "Ravi Iyer"]  # the oldest debt first
    assert report["totals"] == {"0–30": 25_000, "31–60": 70_000, "61–90": 110_000, "90+": 160_000}
    assert report["total_paise"] == 365_000


def test_ageing_is_for_staff(overdue, make_user):
    for role in ("admin", "support", "marketing"):
        assert ledger.ageing(actor=Actor.for_user(make_user(role)))["rows"]
    for role in ("customer", "delivery_boy", "supplier"):
        with pytest.raises(Forbidden):
            ledger.ageing(actor=Actor.for_user(make_user(role)))


def test_ageing_page_and_csv(client, login_as, overdue):
    login_as("support")
    with clock.frozen(TODAY):
        page = client.get("/staff/billing/ageing")
        export = client.get("/staff/billing/ageing.csv")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Ravi Iyer" in text and "₹3,65,000.00" not in text and "₹3,650.00" in text
    assert export.status_code == 200 and export.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True))))
    assert rows[0][-5:] == ["0–30 days", "31–60 days", "61–90 days", "90+ days", "total"]
    assert rows[-1][1] == "Total" and rows[-1][-5:] == ["250.00", "700.00", "1100.00", "1600.00", "3650.00"]


@pytest.mark.parametrize("role", ["customer", "delivery_boy", "supplier"])
def test_ageing_pages_refuse_other_roles(client, login_as, role):
    login_as(role)
    assert client.get("/staff/billing/ageing").status_code == 403
    assert client.get("/staff/billing/ageing.csv").status_code == 403


def test_a_name_that_looks_like_a_formula_is_neutralised(client, db, login_as, make_customer):
    customer = make_customer(name="=HYPERLINK(1)")
    db.bills.insert_one(bill(customer["_id"], 1, "2026-06-01", 1_000))
    login_as("admin")
    with clock.frozen(TODAY):
        rows = list(csv.reader(io.StringIO(client.get("/staff/billing/ageing.csv").get_data(as_text=True))))
    assert rows[1][1] == "'=HYPERLINK(1)"
