"""Reports: every figure against a small hand-built data set, the pages and their CSVs, admin only."""
import csv
import io
from datetime import datetime

import pytest

from webapp import clock
from webapp.services import Actor, Forbidden, ValidationError, purchases, reports

NOW = datetime(2026, 5, 10, 9, 0)


def delivery(_id, day, customer_id, lines, status="DELIVERED"):
    """A delivery document as deliveries.confirm writes it: lines are (product_id, delivered, unit price)."""
    lines = [{"product_id": p, "ordered_qty": max(q, 1), "delivered_qty": q, "unit_price_paise": price,
              "amount_paise": q * price} for p, q, price in lines]
    return {"_id": _id, "order_id": "OR-" + _id, "order_kind": "ONE_TIME", "customer_id": customer_id, "date": day,
            "month": day[:7], "status": status, "lines": lines, "amount_paise": sum(l["amount_paise"] for l in lines)}


@pytest.fixture
def admin(make_user):
    return Actor.for_user(make_user("admin"))


@pytest.fixture
def sales_data(db):
    """Two areas, two products, April and May:
    Apr 1: Anil (Indiranagar) 2 milk @50 + 1 paneer @200; Bina (Koramangala) 1 milk @45
    Apr 2: Anil 1 milk @50; Bina nothing delivered (door locked)
    May 1: Bina 3 milk @45."""
    db.products.insert_many([
        {"_id": "PR-0001", "name": "Milk", "name_key": "milk", "unit": "1 litre", "status": "active"},
        {"_id": "PR-0002", "name": "Paneer", "name_key": "paneer", "unit": "200 g", "status": "active"}])
    db.customers.insert_many([{"_id": "CU-A", "name": "Anil", "phone": "9800000001", "area": "Indiranagar"},
                              {"_id": "CU-B", "name": "Bina", "phone": "9800000002", "area": "Koramangala"}])
    db.deliveries.insert_many([
        delivery("DL-1", "2026-04-01", "CU-A", [("PR-0001", 2, 5000), ("PR-0002", 1, 20000)]),
        delivery("DL-2", "2026-04-01", "CU-B", [("PR-0001", 1, 4500)]),
        delivery("DL-3", "2026-04-02", "CU-A", [("PR-0001", 1, 5000)]),
        delivery("DL-4", "2026-04-02", "CU-B", [("PR-0001", 0, 4500)], status="NOT_DELIVERED"),
        delivery("DL-5", "2026-05-01", "CU-B", [("PR-0001", 3, 4500)]),
    ])


def test_sales_by_product_and_area_per_day(sales_data, admin):
    with clock.frozen(NOW):
        data = reports.sales("2026-04-01", "2026-04-30", "day", actor=admin)
    assert [(r["period"], r["product"], r["qty"], r["amount_paise"]) for r in data["by_product"]] == [
        ("2026-04-01", "Milk", 3, 14500), ("2026-04-01", "Paneer", 1, 20000), ("2026-04-02", "Milk", 1, 5000)]
    assert [(r["period"], r["area"], r["deliveries"], r["amount_paise"]) for r in data["by_area"]] == [
        ("2026-04-01", "Indiranagar", 1, 30000), ("2026-04-01", "Koramangala", 1, 4500),
        ("2026-04-02", "Indiranagar", 1, 5000)]
    assert data["total_paise"] == 39500


def test_sales_per_month_over_two_months(sales_data, admin):
    with clock.frozen(NOW):
        data = reports.sales("2026-04-01", "2026-05-10", "month", actor=admin)
    assert [(r["period"], r["product"], r["qty"], r["amount_paise"]) for r in data["by_product"]] == [
        ("2026-04", "Milk", 4, 19500), ("2026-04", "Paneer", 1, 20000), ("2026-05", "Milk", 3, 13500)]
    assert [(r["period"], r["area"], r["deliveries"], r["amount_paise"]) for r in data["by_area"]] == [
        ("2026-04", "Indiranagar", 2, 35000), ("2026-04", "Koramangala", 1, 4500),
        ("2026-05", "Koramangala", 1, 13500)]


def test_collections_per_delivery_boy_else_office_and_per_method(db, admin, make_user):
    boy = make_user("delivery_boy", name="Ravi")
    db.payments.insert_many([
        {"_id": "PA-1", "customer_id": "CU-A", "amount_paise": 10000, "method": "cash", "received_on": "2026-04-03",
         "collected_by": boy["_id"]},
        {"_id": "PA-2", "customer_id": "CU-B", "amount_paise": 2500, "method": "cash", "received_on": "2026-04-04",
         "collected_by": boy["_id"]},
        {"_id": "PA-3", "customer_id": "CU-B", "amount_paise": 7000, "method": "upi", "received_on": "2026-04-05",
         "collected_by": None},
        {"_id": "PA-4", "customer_id": "CU-A", "amount_paise": 3000, "method": "cash", "received_on": "2026-04-06"},
        {"_id": "PA-5", "customer_id": "CU-A", "amount_paise": 99900, "method": "bank", "received_on": "2026-05-02"},
    ])
    with clock.frozen(NOW):
        data = reports.collections("2026-04-01", "2026-04-30", actor=admin)
    assert [(r["collector"], r["method"], r["payments"], r["amount_paise"]) for r in data["rows"]] == [
        ("Ravi", "cash", 2, 12500), ("Office", "cash", 1, 3000), ("Office", "upi", 1, 7000)]
    assert {r["collector"]: r["amount_paise"] for r in data["by_collector"]} == {"Ravi": 12500, "Office": 10000}
    assert {r["method"]: r["amount_paise"] for r in data["by_method"]} == {"cash": 15500, "upi": 7000}
    assert data["total_paise"] == 22500


def test_customers_gained_and_lost_per_month_with_reasons(make_user, system, admin):
    from webapp.services import customers

    with clock.frozen(datetime(2026, 4, 3, 10, 0)):
        first = make_user("customer")
        second = make_user("customer")
        customers.set_status(first["customer_id"], "stopped", reason="moved to Pune", actor=system)
    with clock.frozen(datetime(2026, 5, 2, 10, 0)):
        customers.set_status(second["customer_id"], "stopped", actor=system)
        customers.set_status(first["customer_id"], "active", actor=system)
        make_user("customer")
    with clock.frozen(NOW):
        data = reports.customer_movements("2026-04-01", "2026-05-31", actor=admin)
    assert data["months"] == [
        {"month": "2026-04", "gained": 2, "lost": 1, "gained_reasons": {"Added by staff": 2},
         "lost_reasons": {"moved to Pune": 1}},
        {"month": "2026-05", "gained": 2, "lost": 1, "gained_reasons": {"Came back": 1, "Added by staff": 1},
         "lost_reasons": {reports.NO_REASON: 1}},
    ]
    assert [e["customer_id"] for e in data["events"] if e["kind"] == "lost"] == [first["customer_id"],
                                                                               second["customer_id"]]


def test_wastage_sets_purchases_against_deliveries_per_product_and_month(sales_data, db, make_user):
    supplier = Actor.for_user(make_user("supplier"))
    admin = Actor.for_user(make_user("admin"))
    with clock.frozen(NOW):
        purchases.record_purchase("2026-04-01", "PR-0001", 4, actor=supplier)
        purchases.record_purchase("2026-04-02", "PR-0001", 3, actor=supplier)
        purchases.record_purchase("2026-04-02", "PR-0001", 2, actor=admin)  # corrected: 2 came that day
        purchases.record_purchase("2026-05-01", "PR-0002", 5, actor=admin)
        rows = reports.wastage("2026-04-01", "2026-05-10", actor=admin)["rows"]
    assert [(r["month"], r["product"], r["purchased"], r["delivered"], r["wasted"], r["wasted_percent"])
            for r in rows] == [
        ("2026-04", "Milk", 6, 4, 2, 33.3),
        ("2026-04", "Paneer", 0, 1, -1, None),
        ("2026-05", "Milk", 0, 3, -3, None),
        ("2026-05", "Paneer", 5, 0, 5, 100.0),
    ]


@pytest.mark.parametrize("first, last, field", [("2026-04-30", "2026-04-01", "last_day"),
                                                ("2026-04-01", "2027-04-02", "last_day"),
                                                ("yesterday", "2026-04-01", "first_day")])
def test_a_wrong_range_is_a_field_error(admin, first, last, field):
    with clock.frozen(NOW), pytest.raises(ValidationError) as error:
        reports.sales(first, last, actor=admin)
    assert field in error.value.errors


@pytest.mark.parametrize("role", ["support", "marketing", "delivery_boy", "customer", "supplier"])
def test_only_an_admin_reads_reports(make_user, role):
    actor = Actor.for_user(make_user(role))
    for name in reports.REPORTS:
        with pytest.raises(Forbidden):
            reports.run_report(name, "2026-04-01", "2026-04-30", actor=actor)


def test_report_pages_and_csv_for_the_admin(client, login_as, sales_data):
    login_as("admin")
    with clock.frozen(NOW):
        for name in reports.REPORTS:
            page = client.get(f"/staff/reports/{name}?first_day=2026-04-01&last_day=2026-04-30&per=day")
            assert page.status_code == 200, name
        page = client.get("/staff/reports/sales?first_day=2026-04-01&last_day=2026-04-30&per=day")
        assert "₹395.00" in page.get_data(as_text=True)
        partial = client.get("/staff/reports/sales?first_day=2026-04-01&last_day=2026-04-30", htmx=True)
        assert partial.status_code == 200 and "<html" not in partial.get_data(as_text=True)
        download = client.get("/staff/reports/sales.csv?first_day=2026-04-01&last_day=2026-04-30&per=month")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert rows[0] == ["section", "period", "product_or_area", "qty_or_deliveries", "amount"]
    assert ["product", "2026-04", "Milk", "4", "195.00"] in rows


def test_a_wrong_range_on_the_page_is_a_422_with_the_message(client, login_as):
    login_as("admin")
    with clock.frozen(NOW):
        page = client.get("/staff/reports/wastage?first_day=2026-04-30&last_day=2026-04-01", htmx=True)
    assert page.status_code == 422
    assert "To must not be before From." in page.get_data(as_text=True)


@pytest.mark.parametrize("role, expected", [("admin", 200), ("support", 403), ("marketing", 403),
                                            ("customer", 403), ("delivery_boy", 403), ("supplier", 403)])
def test_report_page_access(client, login_as, role, expected):
    login_as(role)
    assert client.get("/staff/reports/sales").status_code == expected
    assert client.get("/staff/reports/collections.csv").status_code == expected


def test_report_purchase_export_and_audit_pages_are_valid_html(client, login_as, sales_data):
    from tests.html_check import parse_problems

    login_as("admin")
    problems = []
    with clock.frozen(NOW):
        purchases.record_purchase("2026-04-01", "PR-0001", 4, actor=Actor.for_user(login_as("supplier")))
        login_as("admin")
        for path in ["/staff/reports", "/staff/exports", "/staff/audit", "/staff/purchases?month=2026-04",
                     *(f"/staff/reports/{name}?first_day=2026-04-01&last_day=2026-05-10&per=month"
                       for name in reports.REPORTS),
                     "/staff/reports/sales?first_day=2026-05-10&last_day=2026-04-01"]:
            response = client.get(path)
            full_page, errors, duplicates, h1s = parse_problems(response.text)
            if errors or duplicates or not full_page or h1s != 1:
                problems.append((path, errors[:3], duplicates, h1s))
    assert problems == []
