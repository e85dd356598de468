"""Sending the month's bills on WhatsApp: in delivery-route order, each message with the amount due, the due date
and the bill's signed link, to the customer's own number; ticked off server-side (audited, kept on reload)."""
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import built_once
from tests.billing_fixtures import AFTER_MONTH, APRIL, MONTH
from webapp import clock
from webapp.services import Actor, Forbidden, bill_sending, billing, business_profile, links, payments


@pytest.fixture
def month_billed(db, system, make_user, make_customer, milk, subscribe, deliver):
    """What build_month_billed makes, built once per worker (conftest.built_once)."""
    return built_once("bill_sending.month_billed", [db],
                      lambda: build_month_billed(db, system, make_user, make_customer, milk, subscribe, deliver))


def build_month_billed(db, system, make_user, make_customer, milk, subscribe, deliver):
    """Ravi's route: Bina (stop 1), Anil (stop 2); Gopal's: Chetan (stop 1); Dev on no route. Each billed for
    April (two days of milk, ₹100)."""
    ravi, gopal = make_user("delivery_boy", name="Ravi"), make_user("delivery_boy", name="Gopal")
    people = {"Anil": make_customer(name="Anil", delivery_boy_id=ravi["_id"], stop=1),
              "Bina": make_customer(name="Bina", delivery_boy_id=ravi["_id"], stop=1),
              "Chetan": make_customer(name="Chetan", delivery_boy_id=gopal["_id"], stop=1),
              "Dev": make_customer(name="Dev")}
    for customer in people.values():
        deliver(subscribe(customer, milk), APRIL[:2])
    with clock.frozen(AFTER_MONTH):
        billing.run_month(MONTH, actor=system)
    business_profile.update({"name": "Gokul Dairy", "upi_id": "gokul@okhdfcbank", "payee_name": "Gokul"}, actor=system)
    return {name: {**db.customers.find_one({"_id": c["_id"]}), "bill": db.bills.find_one({"customer_id": c["_id"]})}
            for name, c in people.items()}


def test_the_sheet_lists_the_bills_in_delivery_route_order(month_billed, system):
    with clock.frozen(AFTER_MONTH):
        sheet = bill_sending.month_sheet(MONTH, actor=system)
    # Gopal's route, then Ravi's (Bina was put at stop 1 ahead of Anil), then customers on no route.
    assert [row["customer"]["name"] for row in sheet["rows"]] == ["Chetan", "Bina", "Anil", "Dev"]
    assert sheet["sent_count"] == 0 and all(row["sent"] is None for row in sheet["rows"])


def test_sending_opens_the_customers_chat_with_amount_due_date_and_link(db, month_billed, system):
    anil = month_billed["Anil"]
    with clock.frozen(AFTER_MONTH):
        payments.record_payment(anil["_id"], 2500, "cash", actor=system)
        sent = bill_sending.send(anil["bill"]["_id"], actor=system)
    url = urlsplit(sent["whatsapp_url"])
    assert (url.scheme, url.netloc, url.path) == ("https", "wa.me", f"/91{anil['phone']}")
    text = parse_qs(url.query)["text"][0]
    link = db.shared_links.find_one({"bill_id": anil["bill"]["_id"]})
    assert text == (f"Gokul Dairy: your bill {anil['bill']['_id']} for April 2026. Amount due ₹75.00 by "
                    f"10 May 2026. See it and pay by UPI: {links.link_url(link)}")
    entry = db.audit_log.find_one({"action": "bill.send"})
    assert entry["entity_id"] == anil["bill"]["_id"] and entry["changes"]["link_id"] == link["_id"]


def test_the_tick_is_kept_and_sending_again_reuses_the_live_link(db, month_billed, system):
    bill_id = month_billed["Bina"]["bill"]["_id"]
    with clock.frozen(AFTER_MONTH):
        first = bill_sending.send(bill_id, actor=system)
        again = bill_sending.send(bill_id, actor=system)
        sheet = bill_sending.month_sheet(MONTH, actor=system)
    assert first["whatsapp_url"] == again["whatsapp_url"]
    assert db.shared_links.count_documents({"bill_id": bill_id}) == 1
    row = next(row for row in sheet["rows"] if row["bill"]["_id"] == bill_id)
    assert row["sent"]["sends"] == 2 and sheet["sent_count"] == 1
    assert db.audit_log.count_documents({"action": "bill.send"}) == 2


def test_a_revoked_link_is_replaced_when_the_bill_is_sent_again(db, month_billed, system):
    bill_id = month_billed["Bina"]["bill"]["_id"]
    with clock.frozen(AFTER_MONTH):
        bill_sending.send(bill_id, actor=system)
        links.revoke(db.shared_links.find_one({"bill_id": bill_id})["_id"], actor=system)
        bill_sending.send(bill_id, actor=system)
    live = db.shared_links.find_one({"bill_id": bill_id, "revoked_at": None})
    assert db.shared_links.count_documents({"bill_id": bill_id}) == 2
    assert db.bill_sends.find_one({"_id": bill_id})["link_id"] == live["_id"]


def test_a_paid_bill_says_so(month_billed, system):
    dev = month_billed["Dev"]
    with clock.frozen(AFTER_MONTH):
        payments.record_payment(dev["_id"], dev["bill"]["total_paise"], "cash", actor=system)
        sent = bill_sending.send(dev["bill"]["_id"], actor=system)
    text = parse_qs(urlsplit(sent["whatsapp_url"]).query)["text"][0]
    assert "It is paid in full, thank you. See it: http" in text


def test_only_staff_send_bills(month_billed, make_user):
    for role in ("customer", "delivery_boy", "supplier"):
        with pytest.raises(Forbidden):
            bill_sending.send(month_billed["Anil"]["bill"]["_id"], actor=Actor.for_user(make_user(role)))
        with pytest.raises(Forbidden):
            bill_sending.month_sheet(MONTH, actor=Actor.for_user(make_user(role)))


@pytest.mark.parametrize("role, status", [("admin", 200), ("marketing", 200), ("support", 200),
                                          ("customer", 403), ("delivery_boy", 403), ("supplier", 403)])
def test_the_send_page_per_role(client, login_as, month_billed, role, status):
    login_as(role)
    with clock.frozen(AFTER_MONTH):
        assert client.get(f"/staff/billing/send?month={MONTH}").status_code == status
        assert client.post(f"/staff/billing/bills/{month_billed['Anil']['bill']['_id']}/send").status_code == (
            303 if status == 200 else 403)


def test_the_page_sends_a_bill_and_shows_it_ticked_after_a_reload(client, login_as, month_billed):
    login_as("support")
    bill_id = month_billed["Chetan"]["bill"]["_id"]
    with clock.frozen(AFTER_MONTH):
        page = client.get(f"/staff/billing/send?month={MONTH}").get_data(as_text=True)
        assert "0 of 4 bills sent" in page and page.index("Chetan") < page.index("Bina") < page.index("Anil")
        response = client.post(f"/staff/billing/bills/{bill_id}/send")
        assert response.status_code == 303
        assert response.headers["Location"].startswith(f"https://wa.me/91{month_billed['Chetan']['phone']}?text=")
        page = client.get(f"/staff/billing/send?month={MONTH}").get_data(as_text=True)
    assert "1 of 4 bills sent" in page
    row = page[page.index(f'id="send-{bill_id}"'):]
    assert row[:row.index("</tr>")].count("Sent") == 1 and "Send again" in row[:row.index("</tr>")]


def test_the_send_page_refuses_a_bad_month_by_its_field(client, login_as):
    login_as("admin")
    response = client.get("/staff/billing/send?month=2026-13")
    assert response.status_code == 422 and "Month must look like 2026-01." in response.get_data(as_text=True)


def test_the_staff_bill_page_has_the_whatsapp_button(client, login_as, month_billed):
    login_as("admin")
    bill_id = month_billed["Anil"]["bill"]["_id"]
    with clock.frozen(AFTER_MONTH):
        page = client.get(f"/staff/billing/bills/{bill_id}").get_data(as_text=True)
    assert f'action="/staff/billing/bills/{bill_id}/send"' in page
    assert f"Send on WhatsApp to {month_billed['Anil']['phone']}" in page


def test_a_bill_of_a_deactivated_login_cannot_be_sent(client, db, login_as, month_billed):
    anil = month_billed["Anil"]
    db.users.update_one({"customer_id": anil["_id"]}, {"$set": {"active": False}})
    login_as("admin")
    with clock.frozen(AFTER_MONTH):
        response = client.post(f"/staff/billing/bills/{anil['bill']['_id']}/send")
    assert response.status_code == 422 and "deactivated" in response.get_data(as_text=True)
    assert db.bill_sends.count_documents({}) == 0
