"""The legacy import's report in the app: the latest import as a page and a CSV, for admins only."""
import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from webapp.services import Actor, Forbidden, import_reports

STARTED = datetime(2026, 3, 1, 4, 30, tzinfo=timezone.utc)


def report_doc(_id="IM-20260301-0001", started_at=STARTED, **overrides):
    return {
        "_id": _id, "started_at": started_at, "finished_at": started_at + timedelta(minutes=3),
        "source_db": "dairy_legacy", "as_of": "2026-02-28", "dry_run": False,
        "collections": {"orders": {"read": 120, "imported": 118, "merged": 0, "skipped": 2},
                        "customers_v2": {"read": 40, "imported": 31, "merged": 9, "skipped": 0}},
        "skipped": [{"collection": "orders", "legacy_id": "o-17", "reason": "no customer with this id"},
                    {"collection": "orders", "legacy_id": "o-18", "reason": '=HYPERLINK("x") was its product'}],
        "unmatched_deliveries": 2,
        "checks": [{"name": "every old order accounted for", "expected": 120, "actual": 120, "ok": True},
                   {"name": "every subscription accounted for", "expected": 7, "actual": 6, "ok": False}],
        "rounding": [{"collection": "orders", "legacy_id": "o-3", "field": "items.0.price",
                      "legacy_value": 49.99999, "paise": 5000}],
        "capped": [{"legacy_id": "d-5", "product_id": "PR-0001", "legacy_qty": 5, "due_qty": 2}],
        "recovered_paise": 12345678, "unaccounted": 1, "ok": False,
        **overrides,
    }


@pytest.fixture
def saved_report(db):
    """An older report and the latest one, with the latest one's unmatched deliveries (and another's)."""
    db.import_reports.insert_many([
        report_doc("IM-20260201-0001", STARTED - timedelta(days=28), source_db="older_run", recovered_paise=1),
        report_doc(),
    ])
    db.unmatched_legacy_deliveries.insert_many([
        {"_id": "UL-20260301-0003", "import_id": "IM-20260301-0001", "legacy_id": None, "customer_legacy_id": None,
         "date": None, "status": None, "reason": "no customer and no date", "record": {}},
        {"_id": "UL-20260301-0002", "import_id": "IM-20260301-0001", "legacy_id": "d-9", "customer_legacy_id": "c-4",
         "date": "2026-01-20", "status": "Delivered", "reason": "no order due for this customer that day",
         "record": {"_id": "d-9"}},
        {"_id": "UL-20260301-0001", "import_id": "IM-20260301-0001", "legacy_id": "d-2", "customer_legacy_id": None,
         "date": "2026-01-05", "status": "partial", "reason": "no customer with this id", "record": {"_id": "d-2"}},
        {"_id": "UL-20260201-0001", "import_id": "IM-20260201-0001", "legacy_id": "d-old",
         "customer_legacy_id": "c-1", "date": "2026-01-01", "status": "delivered", "reason": "older run",
         "record": {}},
    ])
    return db.import_reports.find_one({"_id": "IM-20260301-0001"})


def test_latest_report_is_the_newest_with_its_unmatched_deliveries_by_date(saved_report, make_user):
    admin = Actor.for_user(make_user("admin"))
    report = import_reports.latest_report(actor=admin)
    assert report["_id"] == "IM-20260301-0001"
    assert [item["legacy_id"] for item in report["unmatched"]] == [None, "d-2", "d-9"]
    with pytest.raises(Forbidden):
        import_reports.latest_report(actor=Actor.for_user(make_user("support")))


def test_no_report_before_the_first_import(make_user):
    assert import_reports.latest_report(actor=Actor.for_user(make_user("admin"))) is None


def test_admin_sees_counts_skips_unmatched_rounding_checks_and_the_recovered_amount(client, login_as, saved_report):
    login_as("admin")
    response = client.get("/staff/imports/latest")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count("<h1") == 1 and "IM-20260301-0001" in page and "older_run" not in page
    for text in ("customers_v2", "118", "o-17", "no customer with this id", "d-9", "no order due for this customer",
                 "items.0.price", "49.99999", "₹50.00", "₹1,23,456.78", "every subscription accounted for",
                 "badge bad", "badge ok", "d-5", "PR-0001", "/staff/imports/latest.csv"):
        assert text in page, text
    assert "d-old" not in page and ">None<" not in page
    assert "=HYPERLINK(&#34;x&#34;)" in page or "=HYPERLINK(&quot;x&quot;)" in page  # escaped, not markup


def test_csv_download_has_every_section_neutralised(client, login_as, saved_report):
    login_as("admin")
    response = client.get("/staff/imports/latest.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="import-IM-20260301-0001.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == import_reports.CSV_HEADER
    by_section = {}
    for row in rows[1:]:
        by_section.setdefault(row[0], []).append(row)
    assert ["count", "orders", "", "", "", "skipped", "2", ""] in by_section["count"]
    assert len(by_section["count"]) == 2 * 4
    assert [row[2] for row in by_section["skipped"]] == ["o-17", "o-18"]
    assert by_section["skipped"][1][7] == "'=HYPERLINK(\"x\") was its product"
    assert [row[2:5] for row in by_section["unmatched delivery"]] == [["", "", ""], ["d-2", "", "2026-01-05"],
                                                                     ["d-9", "c-4", "2026-01-20"]]
    assert by_section["rounding"] == [["rounding", "orders", "o-3", "", "", "items.0.price", "49.99999",
                                       "taken as 5000 paise"]]
    assert by_section["capped"] == [["capped", "delivery_statuses", "d-5", "", "", "PR-0001", "5", "capped at 2 due"]]
    assert by_section["check"][1][5:] == ["every subscription accounted for", "6", "expected 7"]
    assert by_section["recovered"][0][6] == "123456.78"
    assert by_section["unaccounted"][0][6] == "1"


def test_before_any_import_the_page_says_so_and_the_csv_is_a_header(client, login_as):
    login_as("admin")
    assert "No import has been run yet" in client.get("/staff/imports/latest").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(client.get("/staff/imports/latest.csv").get_data(as_text=True))))
    assert rows == [import_reports.CSV_HEADER]


@pytest.mark.parametrize("role", ["marketing", "support", "delivery_boy", "customer", "supplier"])
def test_only_admin_sees_the_report(client, login_as, saved_report, role):
    login_as(role)
    assert client.get("/staff/imports/latest").status_code == 403
    assert client.get("/staff/imports/latest.csv").status_code == 403


def test_anonymous_is_sent_to_login(client, saved_report):
    for url in ("/staff/imports/latest", "/staff/imports/latest.csv"):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role, linked", [("admin", True), ("marketing", False), ("support", False)])
def test_home_links_the_report_for_admins_only(client, login_as, role, linked):
    login_as(role)
    assert ("/staff/imports/latest" in client.get("/staff/").get_data(as_text=True)) is linked
