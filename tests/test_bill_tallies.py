"""Bill tallies (services/bill_tallies.py): per month what was billed, how many bills and their lines, and what
issued bills still wait for per due date and per customer, moved in the unit of work of every write that inserts or
deletes bills or changes what they were paid, always equal to what the bills have (`bill_tallies.counted`), and
taken again by `rebuild`; the largest overdue balances read from them."""
from datetime import datetime, timezone

import pytest

from tests.dashboard_fixtures import MAY_12, business  # noqa: F401  (fixture)
from tests.command_capture import listening
from tests.legacy_fixtures import make_legacy_db
from tests.test_legacy_import import import_now, source  # noqa: F401  (fixture)
from webapp import clock, migrate
from webapp.legacy import run
from webapp.services import Conflict, billing, bill_tallies, payments, uow


def kept(db):
    """({month: fields} without the months that are all zero, outstanding) as kept."""
    months = {doc["_id"]: {field: doc.get(field, 0) for field in bill_tallies.MONTH_FIELDS}
              for doc in db[bill_tallies.MONTHS].find()}
    return {month: fields for month, fields in months.items() if any(fields.values())}, bill_tallies.outstanding()


def dues_kept(db):
    """(due dates, customers) as kept, without what is all zero, in the shape `counted` gives them."""
    due_dates = {doc["_id"]: {"paise": doc["paise"], "bills": doc["bills"]} for doc in db[bill_tallies.DUES].find()
                 if doc["paise"] or doc["bills"]}
    customers = {}
    for doc in db[bill_tallies.OWED].find():
        dues = {day: due for day, due in doc["dues"].items() if due["paise"] or due["bills"]}
        assert doc["paise"] == sum(due["paise"] for due in dues.values())
        if dues:
            customers[doc["_id"]] = dues
    return due_dates, customers


def from_the_bills(db):
    """(months, outstanding) as the bills have them; the dues kept are checked against the bills' on the way."""
    months, due_dates, customers = bill_tallies.counted(db)
    assert dues_kept(db) == (due_dates, customers)
    return {month: fields for month, fields in months.items() if any(fields.values())}, \
        sum(due["paise"] for due in due_dates.values())


def month(billed_paise=0, bills=0, lines_paise=0):
    return {"billed_paise": billed_paise, "bills": bills, "lines_paise": lines_paise}


def bill(month_, total, paid, status, issued_at, lines=None, customer_id="CU-1", due_date="2026-04-10"):
    return {"month": month_, "total_paise": total, "lines_paise": total if lines is None else lines,
            "paid_paise": paid, "status": status, "issued_at": issued_at, "customer_id": customer_id,
            "due_date": due_date}


def test_each_helper_moves_the_tallies_in_its_unit_of_work(db, system):
    # 20:00 UTC on 31 March is 01:30 on 1 April in Kolkata: the business month counts.
    late_march = datetime(2026, 3, 31, 20, 0, tzinfo=timezone.utc)
    march_bill = bill("2026-03", 10_000, 4_000, "PARTIAL", late_march)
    credit_bill = bill("2026-03", -2_000, 0, "PAID", late_march, lines=0)
    uow.run(system, lambda u: bill_tallies.bills_added(u, [march_bill, credit_bill]))
    assert kept(db) == ({"2026-03": month(lines_paise=10_000), "2026-04": month(8_000, 2)}, 6_000)
    paid_up = dict(march_bill, paid_paise=10_000, status="PAID")
    uow.run(system, lambda u: bill_tallies.bills_settled(u, [(march_bill, paid_up)]))
    assert kept(db)[1] == 0 and dues_kept(db) == ({}, {})
    uow.run(system, lambda u: bill_tallies.bills_removed(u, [dict(march_bill, paid_paise=10_000, status="PAID")]))
    assert kept(db) == ({"2026-04": month(-2_000, 1)}, 0)
    uow.run(system, lambda u: bill_tallies.bills_removed(u, [credit_bill]))
    assert db[bill_tallies.MONTHS].count_documents({}) == 0  # no month left with anything


def test_a_unit_of_work_that_fails_moves_nothing(db, system):
    def work(u):
        bill_tallies.bills_added(u, [bill("2026-04", 5_000, 0, "PENDING", clock.now())])
        raise Conflict("changed meanwhile")

    with pytest.raises(Conflict):
        uow.run(system, work)
    for name in (bill_tallies.MONTHS, bill_tallies.DUES, bill_tallies.OWED):
        assert db[name].count_documents({}) == 0


def test_rebuild_takes_the_tallies_from_the_bills(db, system):
    db.bills.insert_many([
        {"_id": "BI-1", **bill("2026-04", 170_000, 0, "PENDING", datetime(2026, 5, 1, 1, 30, tzinfo=timezone.utc))},
        {"_id": "BI-2", **bill("2026-04", 100_000, 30_000, "PARTIAL", datetime(2026, 5, 1, 1, 30,
                                                                              tzinfo=timezone.utc))},
        {"_id": "BI-3", **bill("2026-03", 5_000, 5_000, "PAID", datetime(2026, 4, 1, 1, 30, tzinfo=timezone.utc))},
        {"_id": "BI-4", "customer_id": "CU-x"},  # a bill without its figures counts nowhere
    ])
    db[bill_tallies.MONTHS].insert_one({"_id": "2025-01", "bills": 9})  # drifted: goes
    db[bill_tallies.OWED].insert_one({"_id": "CU-9", "paise": 5, "dues": {"2025-01-10": {"paise": 5, "bills": 1}}})
    assert bill_tallies.rebuild(actor=system) == 240_000
    assert kept(db) == ({"2026-03": month(lines_paise=5_000), "2026-04": month(5_000, 1, 270_000),
                         "2026-05": month(270_000, 2)}, 240_000)
    due = {"paise": 240_000, "bills": 2}
    assert dues_kept(db) == ({"2026-04-10": due}, {"CU-1": {"2026-04-10": due}})
    assert db.audit_log.count_documents({"action": "bill_tallies.rebuild"}) == 1


def test_the_largest_overdue_balances_read_only_the_customers_owing_most(db, system):
    """Ten customers owing 1..10 thousand on bills due 10 April, the one owing most also 50 thousand due 10 May;
    on 12 April the three owing most overdue are read from the top of what they owe in all, equal ones by id."""
    bills = [bill("2026-03", n * 1_000, 0, "PENDING", None, customer_id=f"CU-{n:02d}") for n in range(1, 11)]
    bills.append(bill("2026-04", 50_000, 0, "PENDING", None, customer_id="CU-10", due_date="2026-05-10"))
    bills.append(bill("2026-03", 9_000, 0, "PENDING", None, customer_id="CU-00"))  # equal to CU-09: by id
    uow.run(system, lambda u: bill_tallies.bills_added(u, bills))
    with listening() as commands:
        top = bill_tallies.largest_overdue("2026-04-12", 3)
    assert top == [("CU-10", 10_000, 1), ("CU-00", 9_000, 1), ("CU-09", 9_000, 1)]
    # Bands of what they owe in all, from four times the average (₹1,14,000 over 12 bills) down by quarters; the
    # third band holds the two owing 9,000 overdue, more than any customer below it owes in all.
    assert [command["filter"]["paise"] for _, command in commands.on(bill_tallies.OWED)] == [
        {"$gte": 38_000}, {"$gte": 9_500, "$lt": 38_000}, {"$gte": 2_375, "$lt": 9_500}]
    assert bill_tallies.overdue("2026-04-12") == {"paise": 64_000, "bills": 11}
    assert bill_tallies.overdue("2026-05-11") == {"paise": 114_000, "bills": 12}
    with listening() as commands:
        assert bill_tallies.largest_overdue("2026-04-10", 3) == []  # due that day: not overdue yet
    assert commands.on(bill_tallies.OWED) == []  # nothing overdue: no customer read
    # Fewer overdue than asked for: the reading stops once every overdue bill is found.
    assert bill_tallies.largest_overdue("2026-04-12", 20)[-1] == ("CU-01", 1_000, 1)


# ---------------------------------------------------------------- through the services that write bills

def test_the_tallies_follow_a_billing_run_payments_a_void_and_billing_to_date(db, system, business):
    # April billed on 1 May (Asha ₹1,700, Bala ₹1,000), Bala paid ₹300.
    assert kept(db) == ({"2026-04": month(lines_paise=270_000), "2026-05": month(270_000, 2)}, 240_000)
    assert kept(db) == from_the_bills(db)
    with clock.frozen(MAY_12):
        paid = payments.record_payment(business.asha["_id"], 200_000, "cash", actor=system)  # ₹300 ahead
        assert kept(db)[1] == 70_000
        payments.add_adjustment(business.bala["_id"], -90_000, "Sour milk all week", actor=system)
        payments.void_payment(paid["_id"], "Counted twice", actor=system)
        assert kept(db) == from_the_bills(db) and kept(db)[1] == 240_000
        # Asha leaves: May up to today (11 days' milk and today's paneer).
        to_date = billing.bill_to_date(business.asha["_id"], actor=system)
    assert to_date["total_paise"] == 11 * 5000 + 20000
    assert kept(db) == ({"2026-04": month(lines_paise=270_000), "2026-05": month(345_000, 3, 75_000)},
                        240_000 + 75_000)
    assert kept(db) == from_the_bills(db)


def test_a_credit_bill_settles_through_the_tallies(db, system, business):
    """Bala's credit adjustment larger than what he is billed: a credit bill (negative total) that pays his April
    bill once his bills are settled again."""
    with clock.frozen(MAY_12):
        payments.add_adjustment(business.bala["_id"], -100_000, "Refund of a wrong charge", actor=system)
        payments.record_payment(business.bala["_id"], 1_000, "cash", actor=system)
    assert kept(db) == from_the_bills(db)
    with clock.frozen(datetime(2026, 6, 1, 7, 0)):
        billing.run_month("2026-05", actor=system)  # Bala: no May deliveries, the credit and his balance
        payments.record_payment(business.bala["_id"], 1_000, "cash", actor=system)
    assert kept(db) == from_the_bills(db)


def test_migration_0014_builds_what_the_services_keep(db, business):
    by_services = kept(db)
    {migration.name: migration for migration in migrate.available()}["0014_bill_tallies"].load().up(db)
    assert kept(db) == by_services


def test_the_tallies_follow_a_legacy_import_and_its_undo(db, source, business):  # noqa: F811
    make_legacy_db(source, customers=30, seed=5)
    before = kept(db)
    import_now(source)
    assert db.bills.count_documents({"source": "legacy"}) > 0
    assert kept(db) == from_the_bills(db) != before
    run.undo()
    assert kept(db) == before
