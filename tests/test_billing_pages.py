"""Billing pages per role: staff run, lists, CSV, statement, payments; a customer's own bills only."""
import csv
import io
import re
import time
from datetime import datetime, timedelta

import pytest

from tests.conftest import built_once
from tests.billing_fixtures import AFTER_MONTH, APRIL, MONTH
from webapp import clock
from webapp.services import billing, billing_jobs



@pytest.fixture
def billed(db, system, make_user, milk, subscribe, deliver):
    """What build_billed makes, built once per worker (conftest.built_once)."""
    return built_once("billing_pages.billed", [db],
                      lambda: build_billed(db, system, make_user, milk, subscribe, deliver))


def build_billed(db, system, make_user, milk, subscribe, deliver):
    """Two customers billed for April: (customer user, customer doc, bill) for the first, and the other bill."""
    owner = make_user("customer")
    customer = db.customers.find_one({"_id": owner["customer_id"]})
    other = make_user("customer")
    for who in (customer, db.customers.find_one({"_id": other["customer_id"]})):
        deliver(subscribe(who, milk), APRIL[:3])
    with clock.frozen(AFTER_MONTH):
        billing.run_month(MONTH, actor=system)
    bill = db.bills.find_one({"customer_id": customer["_id"]})
    other_bill = db.bills.find_one({"customer_id": other["customer_id"]})
    return owner, customer, bill, other_bill


def wait_for_job(db, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = db.jobs.find_one()
        if job and job["status"] != "running":
            return job
        time.sleep(0.05)
    raise AssertionError("the billing run did not finish")


@pytest.mark.parametrize("role, status", [("admin", 200), ("marketing", 200), ("support", 200),
                                          ("customer", 403), ("delivery_boy", 403), ("supplier", 403)])
def test_billing_pages_per_role(client, login_as, role, status):
    login_as(role)
    for url in ("/staff/billing/", f"/staff/billing/bills?month={MONTH}", f"/staff/billing/reconcile?month={MONTH}",
                "/staff/billing/bills", "/staff/billing/reconcile", "/staff/billing/bills?status=PAID"):
        assert client.get(url).status_code == status, url


def test_anonymous_is_sent_to_login(client):
    response = client.get("/staff/billing/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["marketing", "support", "customer"])
def test_only_admin_starts_a_run(client, db, login_as, role):
    login_as(role)
    assert client.post("/staff/billing/run", data={"month": MONTH}).status_code == 403
    assert db.jobs.count_documents({}) == 0


def test_admin_runs_a_month_and_watches_its_progress(client, db, login_as, make_customer, milk, subscribe, deliver):
    for _ in range(3):
        deliver(subscribe(make_customer(), milk), APRIL[:2])
    login_as("admin")
    with clock.frozen(AFTER_MONTH):
        response = client.post("/staff/billing/run", data={"month": MONTH})
        assert response.status_code == 303
        job = wait_for_job(db)
    assert job["status"] == "done"
    assert response.headers["Location"].endswith(f"/staff/billing/runs/{job['_id']}")
    assert job["progress"] == {"customers_total": 3, "customers_done": 3, "bills_issued": 3, "amount_paise": 30_000}
    assert set(job) == {"_id", "kind", "month", "status", "progress", "summary", "error", "started_at", "updated_at"}
    assert [entry["action"] for entry in db.audit_log.find({"entity": "job"}).sort("_id", 1)] == [
        "billing.start", "billing.finish"]
    partial = client.get(f"/staff/billing/runs/{job['_id']}", htmx=True)
    assert partial.status_code == 200 and b"<html" not in partial.data
    assert b'data-status="done"' in partial.data and b"hx-trigger" not in partial.data
    page = client.get(f"/staff/billing/runs/{job['_id']}").get_data(as_text=True)
    assert "<html" in page and "3 bills issued" in page and "₹300.00" in page


def test_a_running_job_is_not_started_twice(client, db, system, login_as, make_customer, milk, subscribe, deliver):
    deliver(subscribe(make_customer(), milk), APRIL[:1])
    with clock.frozen(AFTER_MONTH):
        job, started = billing_jobs.start_month_job(MONTH, actor=system)
        again, started_again = billing_jobs.start_month_job(MONTH, actor=system)
        assert (started, started_again, again["_id"]) == (True, False, job["_id"])
        login_as("admin")
        response = client.post("/staff/billing/run", data={"month": MONTH})
        running = client.get(f"/staff/billing/runs/{job['_id']}", htmx=True).get_data(as_text=True)
    assert response.headers["Location"].endswith(job["_id"])
    assert db.jobs.count_documents({}) == 1
    assert 'hx-trigger="every 1s"' in running


def test_a_job_whose_process_died_is_released_when_the_month_is_run_again(db, system):
    with clock.frozen(AFTER_MONTH):
        dead, _ = billing_jobs.start_month_job(MONTH, actor=system)
    with clock.frozen(AFTER_MONTH + timedelta(seconds=59)):
        assert billing_jobs.start_month_job(MONTH, actor=system) == (dead, False)
    with clock.frozen(AFTER_MONTH + timedelta(seconds=61)):
        job, started = billing_jobs.start_month_job(MONTH, actor=system)
    assert started and job["_id"] != dead["_id"]
    stored = db.jobs.find_one({"_id": dead["_id"]})
    assert (stored["status"], stored["error"]) == ("failed", "the process stopped; run again")
    assert "running_key" not in stored
    [entry] = db.audit_log.find({"action": "billing.stalled"})
    assert entry["entity_id"] == dead["_id"] and entry["actor"]["id"] == system.id  # who asked to run it again


def test_a_silent_run_is_marked_failed_when_the_runs_are_shown_and_can_be_run_again(
        client, db, system, login_as, make_customer, milk, subscribe, deliver):
    for _ in range(2):
        deliver(subscribe(make_customer(), milk), APRIL[:2])
    with clock.frozen(AFTER_MONTH):
        dead, _ = billing_jobs.start_month_job(MONTH, actor=system)  # its process dies before any batch
    login_as("marketing")
    with clock.frozen(AFTER_MONTH + timedelta(seconds=50)):
        assert "failed" not in client.get("/staff/billing/").get_data(as_text=True)
    assert db.jobs.find_one()["status"] == "running"
    with clock.frozen(AFTER_MONTH + timedelta(seconds=61)):
        listed = client.get("/staff/billing/").get_data(as_text=True)
        shown = client.get(f"/staff/billing/runs/{dead['_id']}", htmx=True).get_data(as_text=True)
    assert "failed</span> <span class=\"muted\">— the process stopped; run again" in listed
    assert "Failed — the process stopped; run again" in shown and "hx-trigger" not in shown
    assert db.jobs.find_one()["status"] == "failed"
    assert db.audit_log.count_documents({"action": "billing.stalled"}) == 1
    login_as("admin")
    with clock.frozen(AFTER_MONTH + timedelta(minutes=2)):
        response = client.post("/staff/billing/run", data={"month": MONTH})
        again = response.headers["Location"].rsplit("/", 1)[1]
        deadline = time.monotonic() + 30
        while db.jobs.find_one({"_id": again})["status"] == "running" and time.monotonic() < deadline:
            time.sleep(0.05)
    assert again != dead["_id"] and db.jobs.find_one({"_id": again})["status"] == "done"
    assert db.bills.count_documents({}) == 2


def test_a_run_beats_while_it_reads_and_with_every_batch(db, system, monkeypatch, make_customer, milk, subscribe,
                                                         deliver):
    for _ in range(3):
        deliver(subscribe(make_customer(), milk), APRIL[:2])
    monkeypatch.setattr(billing, "BEAT_EVERY", 0)
    monkeypatch.setattr(billing, "ISSUE_BATCH", 2)
    beats = []
    beat = billing_jobs.beat
    monkeypatch.setattr(billing_jobs, "beat", lambda u, job_id, changes=None: (beats.append(changes),
                                                                               beat(u, job_id, changes))[1])
    with clock.frozen(AFTER_MONTH):
        job, _ = billing_jobs.start_month_job(MONTH, actor=system)
        billing.run_month(MONTH, actor=system, job_id=job["_id"])
    reading = [changes for changes in beats if changes is None]
    assert len(reading) >= 3  # one per customer read (BEAT_EVERY 0): the pass issues as it reads
    assert len(beats) - len(reading) == 2  # each batch's progress


def test_the_heartbeat_timeout_is_configured(app, db, system, monkeypatch):
    monkeypatch.setitem(app.config, "BILLING_HEARTBEAT_SECONDS", 300)
    with clock.frozen(AFTER_MONTH):
        job, _ = billing_jobs.start_month_job(MONTH, actor=system)
    with clock.frozen(AFTER_MONTH + timedelta(seconds=299)):
        billing_jobs.release_stalled()
        assert db.jobs.find_one()["status"] == "running"
    with clock.frozen(AFTER_MONTH + timedelta(seconds=301)):
        billing_jobs.release_stalled()
        assert db.jobs.find_one()["status"] == "failed"


def test_a_run_whose_job_was_marked_failed_stops_before_its_next_batch(db, system, make_customer, milk, subscribe,
                                                                       deliver):
    deliver(subscribe(make_customer(), milk), APRIL[:2])
    with clock.frozen(AFTER_MONTH):
        job, _ = billing_jobs.start_month_job(MONTH, actor=system)
    with clock.frozen(AFTER_MONTH + timedelta(minutes=2)):
        billing_jobs.release_stalled()  # the run was only slow, but taken for dead: it must not go on
        with pytest.raises(billing_jobs.JobReleased):
            billing.run_month(MONTH, actor=system, job_id=job["_id"])
    assert db.bills.count_documents({}) == 0
    assert db.jobs.find_one()["error"] == "the process stopped; run again"


@pytest.mark.parametrize("month, message", [
    ("2026-04", "2026-04 is not over yet"),
    ("9999-12", "Choose a month"),
    ("0000-01", "Choose a month"),
    ("2026-03", "Nothing was delivered before 2026-04"),
    ("2026-10\n", "Month must look like 2026-01."),
    ("\uff12\uff10\uff12\uff16-03", "Month must look like 2026-01."),
])
def test_run_form_takes_only_closed_months_from_the_first_delivery_on(client, db, login_as, make_customer, milk,
                                                                      subscribe, deliver, month, message):
    deliver(subscribe(make_customer(), milk), APRIL[:2], at=datetime(2026, 4, 20, 9, 0))
    login_as("admin")
    with clock.frozen(datetime(2026, 4, 20, 9, 0)):
        response = client.post("/staff/billing/run", data={"month": month})
    assert response.status_code == 422
    error = re.search(r'<p class="error" id="month-error">([^<]*)</p>', response.get_data(as_text=True))
    assert error and message in error.group(1)  # next to the month field
    assert db.jobs.count_documents({}) == 0 and db.bills.count_documents({}) == 0


@pytest.mark.parametrize("month", ["0000-01", "9999-12", "2026-10\n", "\uff12\uff10\uff12\uff16-03"])
def test_odd_months_in_the_billing_pages_never_fail(client, login_as, month):
    login_as("admin")
    for page in ("bills", "bills.csv", "lines.csv", "reconcile"):
        assert client.get(f"/staff/billing/{page}", query_string={"month": month}).status_code < 500, page


def test_admin_bills_a_leaving_customer_up_to_today_from_his_statement(client, db, login_as, make_customer, milk,
                                                                        subscribe, deliver):
    customer = make_customer()
    deliver(subscribe(customer, milk), APRIL[:5], at=datetime(2026, 4, 5, 19, 0))
    url = f"/staff/billing/customers/{customer['_id']}/bill-to-date"
    with clock.frozen(datetime(2026, 4, 5, 19, 30)):
        statement = f"/staff/billing/customers/{customer['_id']}"
        login_as("support")
        assert "Bill up to today" not in client.get(statement).get_data(as_text=True)
        assert client.post(url).status_code == 403
        login_as("admin")
        assert "Bill up to today" in client.get(statement).get_data(as_text=True)
        response = client.post(url)
        assert response.status_code == 303
        assert response.headers["Location"].endswith("/staff/billing/bills/BI-202604-0001")
        again = client.post(url)
        assert client.post(url, csrf=False).status_code == 400
    assert again.status_code == 409 and "up to today is left to bill" in again.get_data(as_text=True)
    [bill] = list(db.bills.find())
    assert bill["up_to"] == "2026-04-05" and len(bill["lines"]) == 5
    assert "Billed up to 05 Apr 2026" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_run_form_rejects_a_bad_month(client, login_as, db):
    login_as("admin")
    response = client.post("/staff/billing/run", data={"month": "2026-13"})
    assert response.status_code == 422 and "Month must look like" in response.get_data(as_text=True)
    assert client.post("/staff/billing/run", data={"month": MONTH}, csrf=False).status_code == 400
    assert db.jobs.count_documents({}) == 0


def test_unknown_job_and_bill_are_404(client, login_as):
    login_as("admin")
    assert client.get("/staff/billing/runs/JB-nope").status_code == 404
    assert client.get("/staff/billing/bills/BI-nope").status_code == 404
    assert client.get("/staff/billing/customers/CU-nope").status_code == 404


def test_bills_list_filters_and_htmx_partial(client, db, login_as, billed):
    owner, customer, bill, other_bill = billed
    db.customers.update_one({"_id": customer["_id"]}, {"$set": {"area": "Jayanagar"}})
    login_as("support")
    with clock.frozen(AFTER_MONTH):
        page = client.get(f"/staff/billing/bills?month={MONTH}").get_data(as_text=True)
        assert bill["_id"] in page and other_bill["_id"] in page
        partial = client.get(f"/staff/billing/bills?month={MONTH}&area=Jayanagar", htmx=True)
        text = partial.get_data(as_text=True)
        assert "<html" not in text and bill["_id"] in text and other_bill["_id"] not in text
        assert other_bill["_id"] not in client.get(f"/staff/billing/bills?month={MONTH}&status=PAID").get_data(
            as_text=True)
        assert client.get("/staff/billing/bills?month=2026-13-45").status_code == 422
        assert client.get("/staff/billing/bills?month=2026-04&status=BOGUS").status_code == 422


def test_csv_exports_of_bills_and_lines(client, login_as, billed):
    owner, customer, bill, other_bill = billed
    login_as("admin")
    with clock.frozen(AFTER_MONTH):
        bills = client.get(f"/staff/billing/bills.csv?month={MONTH}")
        lines = client.get(f"/staff/billing/lines.csv?month={MONTH}")
    assert bills.mimetype == "text/csv" and "attachment" in bills.headers["Content-Disposition"]
    rows = bills.get_data(as_text=True).strip().splitlines()
    assert len(rows) == 3 and rows[0].startswith("bill,customer_id")
    assert f"{bill['_id']},{customer['_id']}" in bills.get_data(as_text=True) and ",150.00," in rows[1]
    assert len(lines.get_data(as_text=True).strip().splitlines()) == 1 + 6
    assert client.get("/staff/billing/lines.csv?month=bad").status_code == 422


def test_bills_csv_neutralises_a_customer_name_a_spreadsheet_would_run(client, db, login_as, billed):
    owner, customer, bill, other_bill = billed
    db.customers.update_one({"_id": customer["_id"]}, {"$set": {"name": '=HYPERLINK("x")', "area": "-Area"}})
    login_as("admin")
    with clock.frozen(AFTER_MONTH):
        text = client.get(f"/staff/billing/bills.csv?month={MONTH}").get_data(as_text=True)
    row = next(r for r in csv.reader(io.StringIO(text)) if r[0] == bill["_id"])
    assert row[2:4] == ["'=HYPERLINK(\"x\")", "'-Area"]
    assert row[6] == "150.00"  # amounts stay numbers, no apostrophe


def test_staff_bill_page_statement_and_customer_detail_section(client, login_as, billed):
    owner, customer, bill, other_bill = billed
    login_as("marketing")
    with clock.frozen(AFTER_MONTH):
        page = client.get(f"/staff/billing/bills/{bill['_id']}").get_data(as_text=True)
        assert "Delivered on 3 days" in page and "₹150.00" in page and customer["name"] in page
        statement = client.get(f"/staff/billing/customers/{customer['_id']}").get_data(as_text=True)
        assert bill["_id"] in statement and "Record a payment" not in statement  # marketing cannot record
        section = client.get(f"/staff/billing/customers/{customer['_id']}/bills", htmx=True)
        detail = client.get(f"/staff/customers/{customer['_id']}").get_data(as_text=True)
    assert f'hx-get="/staff/billing/customers/{customer["_id"]}/bills"' in detail
    assert section.status_code == 200 and b"<html" not in section.data and bill["_id"].encode() in section.data


def test_record_a_payment_once_even_when_submitted_twice(client, db, login_as, billed):
    owner, customer, bill, other_bill = billed
    login_as("support")
    url = f"/staff/billing/customers/{customer['_id']}/payments"
    with clock.frozen(AFTER_MONTH):
        form = {"amount": "100.00", "method": "upi", "reference": "", "received_on": "", "submission_id": "abc123",
                "confirmed": "yes"}  # the second step: checked by the office
        first = client.post(url, data=form)
        second = client.post(url, data=form, htmx=True)
    assert first.status_code == 303 and second.status_code == 204 and "HX-Redirect" in second.headers
    assert db.payments.count_documents({}) == 1
    assert db.bills.find_one({"_id": bill["_id"]})["status"] == "PARTIAL"


@pytest.mark.parametrize("form, field_error", [
    ({"amount": "abc", "method": "cash"}, "Enter an amount"),
    ({"amount": "10", "method": "cheque"}, "Not a valid choice"),
    ({"amount": "10", "method": "cash", "received_on": "2026-13-45"}, "Date received must be a date"),
    ({"amount": "99999999999", "method": "cash"}, "too large"),
])
def test_payment_form_errors_are_shown_by_the_field(client, db, login_as, billed, form, field_error):
    owner, customer, bill, other_bill = billed
    login_as("admin")
    with clock.frozen(AFTER_MONTH):
        response = client.post(f"/staff/billing/customers/{customer['_id']}/payments", data=form)
    assert response.status_code == 422 and field_error in response.get_data(as_text=True)
    assert db.payments.count_documents({}) == 0


@pytest.mark.parametrize("role", ["marketing", "customer"])
def test_adjustments_and_payments_need_admin_or_support(client, db, login_as, billed, role):
    owner, customer, bill, other_bill = billed
    login_as(role)
    base = f"/staff/billing/customers/{customer['_id']}"
    assert client.post(f"{base}/adjustments", data={"direction": "credit", "amount": "10", "reason": "x"}
                       ).status_code == 403
    assert client.post(f"{base}/payments", data={"amount": "10", "method": "cash"}).status_code == 403
    assert db.adjustments.count_documents({}) == 0 and db.payments.count_documents({}) == 0


def test_adjustment_form(client, db, login_as, billed):
    owner, customer, bill, other_bill = billed
    url = f"/staff/billing/customers/{customer['_id']}/adjustments"
    login_as("admin")
    assert client.post(url, data={"direction": "credit", "amount": "10", "reason": ""}).status_code == 422
    assert client.post(url, data={"direction": "credit", "amount": "12.50", "reason": "Torn packet"}).status_code == 303
    assert [a["amount_paise"] for a in db.adjustments.find()] == [-1250]


def test_reconcile_page(client, login_as, billed):
    login_as("admin")
    page = client.get(f"/staff/billing/reconcile?month={MONTH}").get_data(as_text=True)
    assert 'data-ok="yes"' in page and "₹300.00" in page
    assert client.get("/staff/billing/reconcile?month=13-2026").status_code == 422


def test_a_customer_sees_his_bills_and_not_anothers(client, login_as, billed):
    owner, customer, bill, other_bill = billed
    login_as(owner)
    with clock.frozen(AFTER_MONTH):
        listing = client.get("/me/bills/").get_data(as_text=True)
        assert bill["_id"] in listing and other_bill["_id"] not in listing
        page = client.get(f"/me/bills/{bill['_id']}").get_data(as_text=True)
        assert "₹150.00" in page and "data-print" in page
        assert client.get(f"/me/bills/{other_bill['_id']}").status_code == 404
        assert client.get("/me/bills/BI-%00-nope").status_code == 404
        assert client.get("/staff/billing/").status_code == 403


def test_a_customer_shares_his_bill_by_link_and_not_anothers(client, app, db, login_as, billed):
    owner, customer, bill, other_bill = billed
    login_as(owner)
    with clock.frozen(AFTER_MONTH):
        shared = client.post(f"/me/bills/{bill['_id']}/share", htmx=True)
        assert shared.status_code == 200 and "<html" not in shared.get_data(as_text=True)
        url = db.shared_links.find_one({"bill_id": bill["_id"]})
        assert url["created_by"]["role"] == "customer"
        token_url = re.search(r'value="(http[^"]+/l/[^"]+)"', shared.get_data(as_text=True)).group(1)
        anonymous = app.test_client().get(token_url.replace("http://localhost", ""))
        assert anonymous.status_code == 200 and "₹150.00" in anonymous.get_data(as_text=True)
        assert client.post(f"/me/bills/{other_bill['_id']}/share").status_code == 404
    assert db.shared_links.count_documents({}) == 1


def test_every_bill_page_has_one_h1_naming_the_bill_and_links_its_phone_styles(client, db, login_as, billed, system):
    from tests.html_check import parse_problems
    from webapp.services import links

    owner, customer, bill, other_bill = billed
    with clock.frozen(AFTER_MONTH):
        bill_link = links.create_bill_link(bill["_id"], actor=system)
        pages = {"link": client.get(f"/l/{links.token_for(bill_link)}").text}
        login_as(owner)
        pages["customer"] = client.get(f"/me/bills/{bill['_id']}").text
        login_as("support")
        pages["staff"] = client.get(f"/staff/billing/bills/{bill['_id']}").text
    for who, page in pages.items():
        full_page, errors, duplicates, h1s = parse_problems(page)
        assert (full_page, errors, duplicates, h1s) == (True, [], [], 1), who
        assert f'<h1 class="bill-number">Bill {bill["_id"]}</h1>' in page, who
        assert "/static/bills.css?v=" in page, who
