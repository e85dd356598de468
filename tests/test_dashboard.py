"""The owner's morning page: today's rounds, this month's money, the page and who may see it; each figure against
a hand-built business (tests/dashboard_fixtures.py)."""
from datetime import date, datetime

import pytest

from webapp import clock
from webapp.services import Actor, Forbidden, customers, dashboard
from tests.command_capture import listening
from tests.dashboard_fixtures import MAY_12, TODAY, business  # noqa: F401  (fixtures)
from tests.html_check import parse_problems


def test_money_this_month_so_far(business):
    with clock.frozen(MAY_12):
        money = dashboard.money(TODAY)
    assert money["month"] == "2026-05"
    # Up to yesterday: today's paneer is for the rounds section.
    assert money["delivered"] == {"subscription": 11 * 5000, "one_time": 0, "total": 55000}
    assert (money["billed"], money["bills"]) == (170000 + 100000, 2)
    assert (money["collected"], money["payments"]) == (30000, 1)
    assert money["outstanding"] == 170000 + 70000
    assert money["unbilled"] == 55000 and money["unbilled_since"] == date(2026, 2, 1)  # April is billed, May not
    assert [(row["name"], row["owed_paise"]) for row in money["overdue"]] == [("Asha", 170000), ("Bala", 70000)]
    assert money["overdue_total"] == 240000


def test_staff_summary_counts_from_the_tallies_and_the_day_plan(business, system, deliver):
    with clock.frozen(MAY_12):
        customers.set_status(business.bala["_id"], "stopped", actor=system)
        summary = dashboard.staff_summary(actor=system)
    assert summary["customers"] == 1  # Asha; Bala stopped
    assert summary["confirmed_today"] == 1  # today's paneer
    deliver(business.asha_milk, [TODAY], at=datetime(2026, 5, 12, 8, 30))
    with clock.frozen(datetime(2026, 5, 12, 8, 45)):
        assert dashboard.staff_summary(actor=system)["confirmed_today"] == 2


def test_the_morning_page_walks_no_customers_and_sums_no_bills(business, system):
    """Every customer figure from a kept tally: the commands on customers are the indexed count of those without a
    route and the names of the top overdue by _id; nothing groups the audit log. Every bill figure from the bill
    tallies, the largest overdue balances too: no bill is read."""
    with clock.frozen(MAY_12):
        dashboard.staff_home(actor=system)  # the closed days' totals taken, the day's plan and statuses kept
        with listening() as commands:
            home = dashboard.staff_home(actor=system)
    on_customers = commands.on("customers")
    assert [command["pipeline"][0] for name, command in on_customers if name == "aggregate"] == [
        {"$match": {"status": {"$ne": "stopped"}, "delivery_boy_id": None}}]
    assert [(command["filter"], command["projection"]) for name, command in on_customers if name != "aggregate"] == [
        ({"_id": {"$in": [business.asha["_id"], business.bala["_id"]]}}, {"name": 1})]
    assert commands.on("audit_log") == []
    assert commands.on("bills") == []
    assert home["summary"]["customers"] == 2 and sum(week["new"] for week in home["trends"]["weeks"]) == 2


def test_overdue_waits_for_the_due_date(business):
    with clock.frozen(datetime(2026, 5, 10, 8, 0)):
        money = dashboard.money(date(2026, 5, 10))
    assert money["overdue"] == [] and money["overdue_total"] == 0


def test_today_rounds_load_late_changes_and_skips(business, db, system):
    db.area_skips.insert_one({"_id": "SK-1", "date": TODAY.isoformat(), "area": "Koramangala", "reason": "Rain",
                              "undone_at": None})
    db.change_requests.insert_one({"_id": "CR-1", "order_id": business.bala_milk["_id"],
                                   "customer_id": business.bala["_id"], "date": TODAY.isoformat(),
                                   "change": "quantity", "payload": {}, "note": "Only one packet", "status": "OPEN",
                                   "created_at": MAY_12})
    with clock.frozen(MAY_12):
        today = dashboard.today_view(actor=system)
    (ravi,) = today["rounds"]
    # Asha's stop is confirmed (milk was not, but her paneer was … only today's paneer is recorded): her stop
    # still waits for today's milk, Bala's waits for everything.
    assert ravi["boy"]["name"] == "Ravi" and ravi["progress"]["total"] == 2 and ravi["progress"]["todo"] == 2
    assert {(line["name"], line["qty"]) for line in today["load"]} == {("Milk", 3), ("Paneer", 1)}
    assert [(c["customer_name"], c["note"]) for c in today["late_changes"]] == [("Bala", "Only one packet")]
    assert [s["reason"] for s in today["area_skips"]] == ["Rain"]


def test_owner_page_shows_every_section(business, client, login_as):
    login_as("admin")
    with clock.frozen(MAY_12):
        page = client.get("/staff/").get_data(as_text=True)
    assert 'id="today"' in page and 'id="money"' in page and 'id="trends"' in page and 'id="health-summary"' in page
    assert "₹550.00" in page and "₹2,700.00" in page  # delivered in May to yesterday; billed (₹1,700 + ₹1,000)
    assert page.count('class="chart"') == 8 and "<rect" in page
    assert "style=" not in page and "<script>" not in page
    assert parse_problems(page) == (True, [], [], 1)


@pytest.mark.parametrize("role", ["marketing", "support"])
def test_other_staff_get_the_plain_home(business, client, login_as, role):
    login_as(role)
    with clock.frozen(MAY_12):
        page = client.get("/staff/").get_data(as_text=True)
    assert "overdue bills" in page and 'id="money"' not in page and 'id="trends"' not in page


def test_today_polls_as_a_partial(business, client, login_as):
    login_as("admin")
    with clock.frozen(MAY_12):
        partial = client.get("/staff/today", headers={"HX-Request": "true"})
        page = client.get("/staff/today")
    assert partial.status_code == 200 and "<html" not in partial.get_data(as_text=True)
    assert 'hx-trigger="refresh-today"' in partial.get_data(as_text=True)
    assert page.status_code == 200 and "dashboard.js" in page.get_data(as_text=True)
    assert parse_problems(page.get_data(as_text=True)) == (True, [], [], 1)
    assert parse_problems(partial.get_data(as_text=True)) == (False, [], [], 0)


@pytest.mark.parametrize("role", ["delivery_boy", "customer", "supplier"])
def test_others_may_not_see_the_morning_page(client, login_as, role):
    login_as(role)
    assert client.get("/staff/").status_code == 403
    assert client.get("/staff/today").status_code == 403


def test_only_staff_may_read_today(make_user):
    with pytest.raises(Forbidden):
        dashboard.today_view(actor=Actor.for_user(make_user("delivery_boy")))


def test_the_owner_sections_are_for_the_admin(business, make_user):
    with clock.frozen(MAY_12):
        home = dashboard.staff_home(actor=Actor.for_user(make_user("support")))
    assert home["owner"] is False and "money" not in home
