"""Issue 18: returnable bottles. A product marked returnable with a deposit; the tap records bottles collected with
the delivery; each customer's count; deposits held on the bill; bottles kept past BOTTLE_RETURN_DAYS charged once per
lot as an adjustment for the next bill; staff see bottles out per round and per customer."""
from datetime import timedelta

import pytest

from tests.delivery_fixtures import NOW, TODAY, day_now, route  # noqa: F401  (fixtures)
from webapp import clock
from webapp.services import Forbidden, ValidationError, bottles, catalog, deliveries

pytestmark = pytest.mark.usefixtures("day_now")
DEPOSIT = 2000


@pytest.fixture
def bottled(route, system):
    """Milk comes in a returnable bottle (₹20.00 deposit): Anil takes 2 a day, Bina 1."""
    catalog.set_returnable(route.milk["_id"], True, DEPOSIT, actor=system)
    return route


def on(days_later):
    """The business clock `days_later` days after TODAY, 06:00."""
    return clock.frozen(NOW + timedelta(days=days_later))


def bottles_out(db, customer):
    return db.customers.find_one({"_id": customer["_id"]}).get("bottles_out", 0)


def test_a_returnable_product_needs_a_deposit(route, system):
    with pytest.raises(ValidationError) as raised:
        catalog.set_returnable(route.milk["_id"], True, None, actor=system)
    assert raised.value.field == "deposit"
    product = catalog.set_returnable(route.milk["_id"], False, None, actor=system)
    assert product["returnable"] is False and product["deposit_paise"] == 0


def test_only_admin_marks_a_product_returnable(route, make_user):
    from webapp.services import Actor
    with pytest.raises(Forbidden):
        catalog.set_returnable(route.milk["_id"], True, DEPOSIT, actor=Actor.for_user(make_user("support")))


def test_a_delivery_gives_bottles_and_the_tap_takes_them_back(bottled, db):
    deliveries.confirm_stop(bottled.anil["_id"], TODAY, actor=bottled.ravi_actor)
    assert bottles_out(db, bottled.anil) == 2
    with on(1):
        stop = deliveries.confirm_stop(bottled.anil["_id"], TODAY + timedelta(days=1), bottles_collected="2",
                                       actor=bottled.ravi_actor)
    assert bottles_out(db, bottled.anil) == 2 and stop["customer"]["bottles_out"] == 2
    assert db.bottle_lots.count_documents({"customer_id": bottled.anil["_id"]}) == 2


def test_a_correction_rewrites_the_lot_instead_of_adding_to_it(bottled, db):
    deliveries.confirm_stop(bottled.anil["_id"], TODAY, actor=bottled.ravi_actor)
    quantities = {bottled.anil_sub["_id"]: {bottled.milk["_id"]: 1, bottled.curd["_id"]: 1}}
    deliveries.confirm_stop(bottled.anil["_id"], TODAY, quantities, actor=bottled.ravi_actor)
    assert bottles_out(db, bottled.anil) == 1
    deliveries.confirm_stop(bottled.anil["_id"], TODAY, quantities, bottles_collected="1", actor=bottled.ravi_actor)
    deliveries.confirm_stop(bottled.anil["_id"], TODAY, quantities, bottles_collected="1", actor=bottled.ravi_actor)
    assert bottles_out(db, bottled.anil) == 0
    assert db.audit_log.count_documents({"action": "bottles.stop"}) == 3


def test_collecting_more_bottles_than_the_customer_holds_is_refused(bottled, db):
    with pytest.raises(ValidationError) as raised:
        deliveries.confirm_stop(bottled.anil["_id"], TODAY, bottles_collected="3", actor=bottled.ravi_actor)
    assert raised.value.field == "bottles"
    assert db.deliveries.count_documents({}) == 0 and bottles_out(db, bottled.anil) == 0


def test_bottles_alone_leave_the_deliveries_as_they_are(bottled, db):
    deliveries.confirm_stop(bottled.anil["_id"], TODAY, {}, reason="door_locked", actor=bottled.ravi_actor)
    with pytest.raises(ValidationError):
        deliveries.confirm_stop(bottled.anil["_id"], TODAY, door_only=True, actor=bottled.ravi_actor)
    deliveries.confirm_stop(bottled.bina["_id"], TODAY, actor=bottled.ravi_actor)
    stop = deliveries.confirm_stop(bottled.bina["_id"], TODAY, bottles_collected="1", door_only=True,
                                   actor=bottled.ravi_actor)
    assert stop["state"] == "DELIVERED" and bottles_out(db, bottled.bina) == 0
    assert db.deliveries.find_one({"customer_id": bottled.anil["_id"]})["status"] == "NOT_DELIVERED"


def test_bottles_collected_settle_the_oldest_lots_first():
    lots = [{"_id": "a", "date": "2026-03-01", "out": [{"product_id": "P1", "qty": 2, "deposit_paise": 2000}],
             "returned": 0},
            {"_id": "b", "date": "2026-03-02", "out": [{"product_id": "P1", "qty": 2, "deposit_paise": 2000},
                                                       {"product_id": "P2", "qty": 1, "deposit_paise": 5000}],
             "returned": 3}]
    found = {lot["_id"]: lot for lot in bottles.open_lots(lots)}
    assert found["a"]["remaining"] == 0
    assert found["b"]["remaining"] == 2 and found["b"]["remaining_deposit_paise"] == 2000 + 5000


def test_the_bill_shows_the_deposits_held(bottled, db):
    deliveries.confirm_stop(bottled.anil["_id"], TODAY, actor=bottled.ravi_actor)
    view = bottles.for_customer(bottled.anil["_id"])
    assert view["out"] == 2 and view["deposit_held_paise"] == 2 * DEPOSIT and view["lots"][0]["date"] == "2026-03-10"


def test_bottles_kept_too_long_are_charged_once_per_lot(app, bottled, db, system):
    deliveries.confirm_stop(bottled.anil["_id"], TODAY, actor=bottled.ravi_actor)
    with on(1):
        deliveries.confirm_stop(bottled.anil["_id"], TODAY + timedelta(days=1), bottles_collected="1",
                                actor=bottled.ravi_actor)
    days = app.config["BOTTLE_RETURN_DAYS"]
    with on(days - 1):
        assert bottles.charge_overdue(actor=system) == {"lots": 0, "amount_paise": 0}
    with on(days):
        assert bottles.charge_overdue(actor=system) == {"lots": 1, "amount_paise": DEPOSIT}
        assert bottles.charge_overdue(actor=system) == {"lots": 0, "amount_paise": 0}
    adjustment = db.adjustments.find_one({"customer_id": bottled.anil["_id"]})
    assert adjustment["amount_paise"] == DEPOSIT and adjustment["bill_id"] is None
    assert adjustment["reason"] == "1 bottles not returned from 2026-03-10"
    assert bottles_out(db, bottled.anil) == 2  # the second day's two
    assert bottles.for_customer(bottled.anil["_id"])["out"] == 2
    with on(days + 1):
        assert bottles.charge_overdue(actor=system) == {"lots": 1, "amount_paise": 2 * DEPOSIT}
    assert bottles_out(db, bottled.anil) == 0 and db.adjustments.count_documents({}) == 2


def test_staff_see_bottles_out_per_round_and_customer(bottled, system):
    deliveries.confirm_stop(bottled.anil["_id"], TODAY, actor=bottled.ravi_actor)
    deliveries.confirm_stop(bottled.bina["_id"], TODAY, actor=bottled.ravi_actor)
    view = bottles.outstanding(actor=system)
    assert view["total"] == 3
    assert [(c["name"], c["bottles_out"]) for c in view["rounds"][0]["customers"]] == [("Anil", 2), ("Bina", 1)]


# --- pages ---------------------------------------------------------------------------------------------------


def test_the_round_shows_the_bottles_with_each_customer(client, login_as, bottled):
    deliveries.confirm_stop(bottled.anil["_id"], TODAY, actor=bottled.ravi_actor)
    login_as(bottled.ravi)
    page = client.get("/delivery/round").get_data(as_text=True)
    assert "<strong>2</strong> bottles with the customer" in page and 'data-door-open="' in page
    assert '<template id="door-fields">' in page


def test_the_boy_records_bottles_with_the_tap(client, login_as, bottled, db):
    deliveries.confirm_stop(bottled.anil["_id"], TODAY, actor=bottled.ravi_actor)
    login_as(bottled.ravi)
    url = f"/delivery/round/{bottled.anil['_id']}/{TODAY.isoformat()}/confirm"
    response = client.post(url, data={"outcome": "door", "bottles": "5"}, htmx=True)
    assert response.status_code == 422 and "holds only" in response.get_data(as_text=True)
    response = client.post(url, data={"outcome": "door", "bottles": "2"}, htmx=True)
    assert response.status_code == 200 and bottles_out(db, bottled.anil) == 0


@pytest.mark.parametrize("role,status", [("admin", 200), ("support", 200), ("marketing", 200),
                                         ("delivery_boy", 403), ("customer", 403)])
def test_the_bottles_page_is_for_staff(client, login_as, bottled, role, status):
    login_as(role)
    assert client.get("/staff/bottles").status_code == status


def test_a_customers_bottles_page(client, login_as, bottled):
    deliveries.confirm_stop(bottled.anil["_id"], TODAY, actor=bottled.ravi_actor)
    login_as("marketing")
    page = client.get(f"/staff/customers/{bottled.anil['_id']}/bottles").get_data(as_text=True)
    assert "<strong>2</strong> bottles with you" in page and "₹40.00" in page
    assert client.get("/staff/customers/CU-nobody/bottles").status_code == 404


@pytest.mark.parametrize("role,status", [("admin", 303), ("support", 403), ("marketing", 403)])
def test_the_deposit_form_is_the_admins(client, login_as, route, db, role, status):
    login_as(role)
    response = client.post(f"/staff/products/{route.milk['_id']}/bottles", data={"returnable": "y",
                                                                                  "deposit": "20.00"})
    assert response.status_code == status
    assert db.products.find_one({"_id": route.milk["_id"]}).get("returnable", False) is (status == 303)


def test_a_returnable_product_without_deposit_is_told_by_the_field(client, login_as, route):
    login_as("admin")
    response = client.post(f"/staff/products/{route.milk['_id']}/bottles", data={"returnable": "y"})
    assert response.status_code == 422 and "needs a deposit" in response.get_data(as_text=True)


def test_charging_from_the_page(client, login_as, bottled, db):
    deliveries.confirm_stop(bottled.anil["_id"], TODAY, actor=bottled.ravi_actor)
    login_as("support")
    with on(30):
        page = client.post("/staff/bottles/charge").get_data(as_text=True)
    assert "Charged 1 bottle lot" in page and db.adjustments.count_documents({}) == 1


def test_the_new_pages_and_fragments_are_valid_html_with_unique_ids(client, login_as, bottled, make_user):
    """The round with bottles and cash (page, a stop's fetched form, a stop refused), the staff pages."""
    from tests.html_check import parse_problems
    deliveries.confirm_stop(bottled.anil["_id"], TODAY, cash_paise=1000, actor=bottled.ravi_actor)
    login_as(bottled.ravi)
    stop_url = f"/delivery/round/{bottled.bina['_id']}/{TODAY.isoformat()}/confirm"
    pages = {"/delivery/round": client.get("/delivery/round"),
             "fetched form": client.get(stop_url, htmx=True),
             "stop page": client.get(stop_url),
             "refused": client.post(stop_url, data={"outcome": "door", "bottles": "9", "cash": "x"}, htmx=True)}
    login_as("admin")
    for path in ("/staff/collections", "/staff/bottles", f"/staff/customers/{bottled.anil['_id']}/bottles",
                 f"/staff/products/{bottled.milk['_id']}/edit", f"/staff/day/{bottled.ravi['_id']}",
                 "/staff/products"):
        pages[path] = client.get(path)
    for name, response in pages.items():
        assert response.status_code in (200, 422), name
        full_page, errors, duplicates, h1s = parse_problems(response.get_data(as_text=True))
        assert (errors, duplicates) == ([], []), name
        assert h1s == (1 if full_page else 0), name
    refused = pages["refused"].get_data(as_text=True)
    assert f'id="cash-{bottled.bina["_id"]}"' in refused and 'value="9"' in refused
    assert f'id="cash-{bottled.bina["_id"]}"' not in pages["fetched form"].get_data(as_text=True)  # a bottle stop


def test_the_nightly_command_charges_bottles_kept_too_long_once(app, bottled, db, runner):
    deliveries.confirm_stop(bottled.anil["_id"], TODAY, actor=bottled.ravi_actor)
    with on(app.config["BOTTLE_RETURN_DAYS"]):
        first = runner.invoke(args=["charge-bottles"])
        again = runner.invoke(args=["charge-bottles"])
    assert first.exit_code == 0 and first.output.startswith("1 bottle lots charged")
    assert again.exit_code == 0 and again.output.startswith("0 bottle lots charged")
    assert db.adjustments.count_documents({"customer_id": bottled.anil["_id"]}) == 1


def test_the_invoice_shows_the_bottles_with_the_customer_and_the_deposit_held(app, bottled, db, system):
    from webapp.presentation import format_rupees
    from webapp.services import bill_queries, billing

    deliveries.confirm_stop(bottled.anil["_id"], TODAY, actor=bottled.ravi_actor)
    with clock.frozen(NOW.replace(month=4, day=2)):
        billing.run_month("2026-03", actor=system)
        bill = db.bills.find_one({"customer_id": bottled.anil["_id"]})
        view = bill_queries.bill_view(bill["_id"], actor=system)
    assert view["bottles"]["out"] == 2 and view["bottles"]["deposit_held_paise"] == 2 * DEPOSIT
    from flask import render_template
    with app.test_request_context():
        page = render_template("bills/_bill.html", **view)
    assert "bottles with you" in page and format_rupees(2 * DEPOSIT) in page
