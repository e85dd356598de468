"""WhatsApp share buttons of shared links go to the recipient's own number when the app knows who that is."""
import re
from urllib.parse import parse_qs, urlsplit

from tests.links_fixtures import DAY, bills, now, round_  # noqa: F401
from webapp.services import away, customers, links

RAVI_PHONE = "9876500011"


def whatsapp_targets(page):
    """The wa.me addresses of a page's WhatsApp buttons, without their text."""
    return [href.split("?", 1)[0] for href in re.findall(r'href="(https://wa\.me/[^"]*)"', page)]


def whatsapp_texts(page):
    """{wa.me address: the message it pre-fills}."""
    hrefs = [href.replace("&amp;", "&") for href in re.findall(r'href="(https://wa\.me/[^"]*)"', page)]
    return {href.split("?", 1)[0]: parse_qs(urlsplit(href).query)["text"][0] for href in hrefs}


def give_ravi_a_phone(db, round_):
    db.users.update_one({"_id": round_.ravi["_id"]}, {"$set": {"phone": RAVI_PHONE}})


def test_a_bill_link_shared_by_staff_goes_to_the_customers_phone(client, login_as, round_, bills, system, now):
    links.create_bill_link(bills["Anil"]["_id"], actor=system)
    login_as("support")
    page = client.get("/staff/links/").get_data(as_text=True)
    assert whatsapp_targets(page) == [f"https://wa.me/91{round_.anil['phone']}"]


def test_a_round_link_shared_by_staff_goes_to_its_delivery_boys_phone(client, login_as, round_, system, db, now):
    give_ravi_a_phone(db, round_)
    links.create_round_link(round_.ravi["_id"], DAY, actor=system)
    links.create_round_link(round_.gopal["_id"], DAY, actor=system)  # Gopal has no phone: no number
    login_as("admin")
    page = client.get("/staff/links/").get_data(as_text=True)
    assert sorted(whatsapp_targets(page)) == sorted([f"https://wa.me/91{RAVI_PHONE}", "https://wa.me/"])
    texts = whatsapp_texts(page)
    assert texts[f"https://wa.me/91{RAVI_PHONE}"].startswith("Your EarlyBird round on ")  # spoken to Ravi
    assert texts["https://wa.me/"].startswith("EarlyBird delivery round on ")  # for whoever stands in for Gopal


def test_a_delivery_boy_shares_his_round_with_someone_the_app_does_not_know(client, login_as, round_, db, now):
    give_ravi_a_phone(db, round_)
    login_as(round_.ravi)
    assert client.post("/delivery/share", data={"date": DAY.isoformat()}).status_code == 303
    page = client.get("/delivery/share").get_data(as_text=True)
    assert whatsapp_targets(page) == ["https://wa.me/"]


def test_a_customer_sharing_his_own_bill_picks_the_chat_himself(client, login_as, round_, bills, db, now):
    bill = bills["Anil"]
    login_as(db.users.find_one({"customer_id": bill["customer_id"]}))
    page = client.post(f"/me/bills/{bill['_id']}/share").get_data(as_text=True)
    assert "wa.me" in page and whatsapp_targets(page) == ["https://wa.me/"]


# ---------------------------------------------------------------- pages a customer reads speak to him

THIRD_PERSON = re.compile(r"\b(his|him|he|himself|her|she|their)\b", re.IGNORECASE)


def visible_text(page):
    return re.sub(r"\s+", " ", re.sub(r"<(script|style)\b.*?</\1>|<[^>]+>", " ", page, flags=re.DOTALL))


def test_customer_pages_say_your_not_his(client, login_as, round_, bills, system, db, now):
    away.set_away(round_.anil["_id"], "2026-03-20", "2026-03-25", actor=system)
    customers.set_status(round_.anil["_id"], "paused", from_day="2026-03-12", actor=system)
    bill_id = bills["Anil"]["_id"]
    login_as(db.users.find_one({"customer_id": round_.anil["_id"]}))
    paths = ("/me/", "/me/bills/", f"/me/bills/{bill_id}", "/me/orders", "/me/calendar", "/me/profile")
    pages = {path: visible_text(client.get(path).get_data(as_text=True)) for path in paths}
    pages["share"] = visible_text(client.post(f"/me/bills/{bill_id}/share").get_data(as_text=True))
    assert "Deliveries paused by the dairy" in pages["/me/profile"]  # the paused notice is on the page scanned
    assert {path: THIRD_PERSON.findall(text) for path, text in pages.items()} == {path: [] for path in pages}
