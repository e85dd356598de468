"""The delivery boy's, the customer's and the link holder's pages in Hindi and Gujarati.

The catalogues are complete (every message in the code is in both, translated, with the same placeholders and
tags), the language is chosen once and remembered (on the login, or in a cookie for a link holder), and each page
rendered in each language shows no English word except the names its data brings (people, products, places) and
a few names that stay as they are (ALLOWED_WORDS).

To check more pages, add them to PAGES: (who, endpoint, URL arguments from the `world` namespace). The amount in
words on a receipt is English only, and says so (`lang="en"`): text in such an element is not checked.
"""
import io
import re
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import html5lib
import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask import url_for
from pypdf import PdfReader

from tests.conftest import built_once
from tests.html_check import parse_problems
from tests.links_fixtures import DAY, bills, now, round_, round_link, token_of  # noqa: F401  (fixtures)
from webapp import i18n, presentation, template_helpers
from webapp.db import get_db
from webapp.services import Actor, Forbidden, ValidationError, accounts, bill_questions, deliveries, links, orders, \
    payments

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("hi", "gu")
# Names that stay as they are in every language.
ALLOWED_WORDS = {"EarlyBird", "UPI", "WhatsApp", "English", "GSTIN"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
TAG = re.compile(r"</?[a-z]+")
RECORD_ID = re.compile(r"\b[A-Z]{2}-[0-9]{4,}(-[0-9]{4,})?\b")
ASCII_WORD = re.compile(r"[A-Za-z]{2,}")
# What each page shows as text: text nodes, and the attributes a person reads or hears.
SHOWN_ATTRIBUTES = ("placeholder", "aria-label", "title", "alt")

PAGES = [
    ("customer", "customer.home", lambda w: {}),
    ("customer", "customer.calendar", lambda w: {}),
    ("customer", "customer.calendar_day", lambda w: {"day": DAY.isoformat()}),
    ("customer", "customer.orders_list", lambda w: {}),
    ("customer", "customer.order", lambda w: {"order_id": w.anil_sub["_id"]}),
    ("customer", "customer.order", lambda w: {"order_id": w.anil_once["_id"]}),
    ("customer", "customer.new_subscription", lambda w: {}),
    ("customer", "customer.new_one_time_order", lambda w: {}),
    ("customer", "customer.profile", lambda w: {}),
    ("customer", "customer.bills", lambda w: {}),
    ("customer", "customer.statement", lambda w: {}),
    ("customer", "customer.bill", lambda w: {"bill_id": w.anil_bill["_id"]}),
    ("customer", "customer.ask_bill_question", lambda w: {"bill_id": w.anil_bill["_id"], "line": 1}),
    ("customer", "customer.receipt", lambda w: {"payment_id": w.anil_payment["_id"]}),
    ("delivery_boy", "delivery.home", lambda w: {}),
    ("delivery_boy", "delivery.my_route", lambda w: {}),
    ("delivery_boy", "delivery.share_round", lambda w: {}),
    ("delivery_boy", "delivery.round_page", lambda w: {}),
    ("delivery_boy", "delivery.stop_form", lambda w: {"customer_id": w.bina["_id"], "date": DAY.isoformat()}),
    ("link", "links.request_pause", lambda w: {"token": w.token, "customer_id": w.anil["_id"]}),
    ("link", "links.open_page", lambda w: {"token": w.token}),
    ("link", "links.stop_form", lambda w: {"token": w.token, "day": DAY.isoformat(), "customer_id": w.bina["_id"]}),
    ("link", "links.open_page", lambda w: {"token": w.bill_token}),
    ("link", "links.receipt_page", lambda w: {"token": w.receipt_token}),
    ("visitor", "auth.login", lambda w: {}),
    ("visitor", "auth.signup", lambda w: {}),
]


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogues():
    """The .mo files `make setup` compiles (pybabel compile), compiled here too so pytest alone works."""
    i18n.compile_catalogs()


def catalogue(language, domain="messages"):
    with open(i18n.TRANSLATIONS / language / "LC_MESSAGES" / f"{domain}.po", "rb") as file:
        return read_po(file, locale=language)


def source_messages():
    """Every message the code and templates mark for translation (what `pybabel extract -F babel.cfg` finds)."""
    with open(ROOT / "babel.cfg") as file:
        method_map, options_map = parse_mapping_cfg(file)
    keywords = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}
    return {message for _, _, message, _, _ in extract_from_dir(ROOT, method_map, options_map, keywords=keywords)}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_with_the_same_placeholders_and_tags(language):
    problems = []
    for message in catalogue(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append((message.id, "not translated"))
            continue
        for translated in strings:
            if sorted(set(PLACEHOLDER.findall(translated))) != sorted(set(PLACEHOLDER.findall(ids[-1]))):
                problems.append((message.id, "placeholders differ", translated))
            if sorted(TAG.findall(translated)) != sorted(TAG.findall(ids[0])):
                problems.append((message.id, "tags differ", translated))
    assert problems == []


def test_every_message_in_the_code_is_in_both_catalogues():
    wanted = {message if isinstance(message, str) else message[0] for message in source_messages()}
    assert len(wanted) > 100
    for language in LANGUAGES:
        known = {message.id if isinstance(message.id, str) else message.id[0] for message in catalogue(language)}
        assert sorted(wanted - known) == [], language


def test_the_catalogue_check_catches_a_changed_placeholder():
    assert PLACEHOLDER.findall("%(day)s: कुछ नहीं बदला।") != PLACEHOLDER.findall("%(date)s: nothing changed.")


# ---------------------------------------------------------------- the formatters


def test_english_dates_and_money_read_as_before():
    assert presentation.format_day("2026-03-13") == "Fri 13 Mar"
    assert presentation.format_day("2026-01-31", "long") == "31 Jan 2026"
    assert presentation.format_day("2026-01-31", "words") == "31 January 2026"
    assert presentation.format_day("2026-09-30", "long") == "30 Sep 2026"
    assert presentation.format_month("2026-10") == "October 2026"
    assert presentation.format_rupees(10000000) == "₹1,00,000.00"


def test_dates_and_money_follow_the_language():
    assert presentation.format_day("2026-03-13", locale="hi") == "शुक्र 13 मार्च"
    assert presentation.format_day("2026-03-13", "words", locale="gu") == "13 માર્ચ 2026"
    assert presentation.format_month("2026-10", "hi") == "अक्टूबर 2026"
    assert presentation.format_month(date(2026, 10, 5), "gu", style="name") == "ઑક્ટોબર"
    assert presentation.weekday_names("hi")[0] == "सोम"
    assert presentation.format_rupees(10000000, i18n.MONEY_LOCALES["hi"]) == "₹1,00,000.00"
    assert presentation.format_rupees(-12345, i18n.MONEY_LOCALES["gu"]) == "−₹123.45"


def test_a_pattern_reads_in_english_for_the_audit_and_in_the_language_on_a_page(app):
    weekly = {"kind": "weekly", "weekdays": [0, 3]}
    assert presentation.describe_pattern(weekly) == "Weekly: Mon, Thu"
    assert presentation.describe_pattern({"kind": "custom", "dates": ["2026-03-14"] * 3}) == "On 3 chosen dates"
    with app.test_request_context("/?lang=hi"):
        assert template_helpers.describe_pattern(weekly) == "हर हफ़्ते: सोम, गुरु"


# ---------------------------------------------------------------- choosing the language


def test_set_language_keeps_the_choice_on_the_login_and_audits_it(round_):
    ravi = Actor.for_user(round_.ravi)
    accounts.set_language("gu", actor=ravi)
    assert accounts.get_user(round_.ravi["_id"])["language"] == "gu"
    entry = get_db().audit_log.find_one({"action": "user.set_language"})
    assert entry["entity_id"] == round_.ravi["_id"]
    assert entry["changes"] == {"language": {"before": None, "after": "gu"}}


def test_set_language_refuses_an_unknown_language_and_a_link(round_, round_link):
    with pytest.raises(ValidationError) as refused:
        accounts.set_language("fr", actor=Actor.for_user(round_.ravi))
    assert refused.value.errors == {"language": "Choose English, Hindi or Gujarati."}
    with pytest.raises(Forbidden):
        accounts.set_language("hi", actor=Actor.for_link(round_link.record))
    assert "language" not in accounts.get_user(round_.ravi["_id"])


def test_the_delivery_boy_picks_his_language_on_his_home_page(client, login_as, round_):
    login_as(round_.ravi)
    page = client.get("/delivery/")
    assert 'id="language"' in page.text and "Language" in page.text
    response = client.post("/delivery/language", data={"language": "hi"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/delivery/")
    page = client.get("/delivery/")
    assert '<html lang="hi">' in page.text and "आज का राउंड खोलें" in page.text
    assert client.post("/delivery/language", data={"language": "xx"}).status_code == 422
    assert accounts.get_user(round_.ravi["_id"])["language"] == "hi"


def test_the_customer_picks_his_language_on_his_profile(client, login_as, round_):
    login_as(accounts.get_user(round_.anil["user_id"]))
    response = client.post("/me/profile/language", data={"language": "gu"}, htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"].endswith("/me/profile")
    assert "મારી પ્રોફાઇલ" in client.get("/me/profile").text
    refused = client.post("/me/profile/language", data={"language": ""})
    assert refused.status_code == 422 and 'id="language-error"' in refused.text


def test_choosing_a_language_needs_the_form_token_and_the_right_role(client, login_as, round_):
    login_as(round_.ravi)
    assert client.post("/delivery/language", data={"language": "hi"}, csrf=False).status_code == 400
    assert client.post("/me/profile/language", data={"language": "hi"}).status_code == 403
    assert "language" not in accounts.get_user(round_.ravi["_id"])


def test_a_link_holder_switches_on_the_page_and_the_cookie_remembers_it(client, round_link):
    page = client.get(round_link.path)
    assert '<html lang="en">' in page.text and 'name="lang"' in page.text
    switched = client.get(round_link.path + "?lang=gu")
    assert '<html lang="gu">' in switched.text
    assert "lang=gu" in switched.headers["Set-Cookie"]
    assert '<html lang="gu">' in client.get(round_link.path).text
    assert '<html lang="en">' in client.get(round_link.path + "?lang=en").text


def test_a_signed_in_persons_own_choice_beats_the_cookie(client, login_as, round_):
    accounts.set_language("hi", actor=Actor.for_user(round_.ravi))
    client.set_cookie("lang", "gu")
    login_as(accounts.get_user(round_.ravi["_id"]))
    assert '<html lang="hi">' in client.get("/delivery/route").text


def test_a_service_message_and_an_order_message_speak_the_customers_language(client, login_as, world):
    anil = accounts.get_user(world.anil["user_id"])
    accounts.set_language("hi", actor=Actor.for_user(anil))
    login_as(accounts.get_user(anil["_id"]))
    refused = client.post("/me/profile", data={"phone": "12345", "address": "3 Lake Road"})
    assert refused.status_code == 422
    assert "6, 7, 8 या 9 से शुरू होने वाला 10 अंकों का मोबाइल नंबर लिखें।" in refused.text
    cancelled = client.post(f"/me/orders/{world.anil_once['_id']}/cancel", follow_redirects=True)
    assert "बुध 11 मार्च का आपका ऑर्डर रद्द किया — इस महीने ₹45.00 कम" in cancelled.text



@pytest.mark.parametrize("language", LANGUAGES)
def test_wtforms_own_messages_are_translated_with_the_same_placeholders(language):
    problems = []
    for message in catalogue(language, domain="wtforms"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        problems += [(message.id, translated) for translated in strings
                     if not translated or set(PLACEHOLDER.findall(translated)) != set(PLACEHOLDER.findall(ids[-1]))]
    assert problems == []


def test_a_required_field_left_empty_says_so_in_the_customers_language(client, login_as, world):
    anil = accounts.get_user(world.anil["user_id"])
    accounts.set_language("gu", actor=Actor.for_user(anil))
    login_as(accounts.get_user(anil["_id"]))
    refused = client.post("/me/profile", data={"phone": "", "address": "3 Lake Road"})
    assert refused.status_code == 422 and "આ ભરવું જરૂરી છે." in refused.text
    assert "This field is required." not in refused.text


# ---------------------------------------------------------------- every page, in each language


def shown_texts(html):
    """The text a person sees or hears on the page: text nodes (not scripts or styles) and shown attributes, except
    inside an element that says it is English (`lang="en"`)."""
    texts = []

    def visit(element, in_english):
        in_english = element.get("lang") == "en" if element.get("lang") else in_english
        if not in_english:
            if element.tag not in ("script", "style"):
                texts.append(element.text or "")
            texts.extend(element.get(name) or "" for name in SHOWN_ATTRIBUTES)
            if element.tag == "input" and element.get("type") in ("submit", "button"):
                texts.append(element.get("value") or "")
        for child in element:
            if isinstance(child.tag, str):  # not a comment
                visit(child, in_english)
            if not in_english:
                texts.append(child.tail or "")

    visit(html5lib.parse(html, treebuilder="etree", namespaceHTMLElements=False), False)
    return [text.strip() for text in texts if text.strip()]


def data_words(*documents):
    """Words the data brings (names, addresses, products, units, emails, notes): shown as they were typed."""
    words = set()
    for document in documents:
        for key in ("name", "address", "area", "unit", "email", "note"):
            words.update(ASCII_WORD.findall(str(document.get(key) or "")))
    return words


def english_words(html, allowed):
    return sorted({word for text in shown_texts(html) for word in ASCII_WORD.findall(RECORD_ID.sub("", text))
                   if word not in allowed})


def test_the_check_finds_english_left_on_a_page():
    page = ('<!doctype html><html lang="hi"><head><title>मेरा रूट</title></head><body><h1>मेरा रूट</h1>'
            '<p>Anil SU-20260225-0001</p><input placeholder="Qty"><button>Save</button></body></html>')
    assert english_words(page, {"Anil"}) == ["Qty", "Save"]
    said_in_english = page.replace("<p>Anil", '<p lang="en">Fifty rupees only</p><p>Anil')
    assert english_words(said_in_english, {"Anil"}) == ["Qty", "Save"]


@pytest.fixture
def world(app, round_, bills, now, system, monkeypatch):
    """Ravi's round with Anil's stop done (and cash taken at his door), a one-time order of Anil's for the day after,
    Anil's February bill (open for questions, one asked) shared by a link, and a payment of his with its receipt
    shared by a link."""
    monkeypatch.setitem(app.config, "BILL_QUESTION_DAYS", 30)
    return built_once("translations.world", [get_db()], lambda: build_world(round_, bills, system))


def build_world(round_, bills, system):
    anil_once = orders.create_one_time_order(round_.anil["_id"], [{"product_id": round_.curd["_id"], "qty": 1}],
                                             DAY + timedelta(days=1), actor=system)
    anil_bill = bills["Anil"]
    anil_login = Actor.for_user(accounts.get_user(round_.anil["user_id"]))
    question = bill_questions.ask(anil_bill["_id"], 0, "Only one packet came", actor=anil_login)
    anil_payment = payments.record_payment(round_.anil["_id"], 5000, "cash", actor=system)
    deliveries.confirm_stop(round_.anil["_id"], DAY, cash_paise=2000, actor=Actor.for_user(round_.ravi))
    bill_link = links.create_bill_link(anil_bill["_id"], actor=system)
    receipt_link = links.create_receipt_link(anil_payment["_id"], actor=system)
    return SimpleNamespace(**vars(round_), anil_once=anil_once, anil_bill=anil_bill, question=question,
                           anil_payment=anil_payment, token=None, bill_token=links.token_for(bill_link),
                           receipt_token=links.token_for(receipt_link))


def sign_in_as(who, world, login_as, client, language):
    """Each in his own way: a login with his language kept on it, a link holder (and a visitor) by the cookie."""
    if who == "link":
        world.token = token_of(links.issue_round_link(world.ravi["_id"], DAY, actor=Actor.system("test")))
    if who in ("link", "visitor"):
        client.set_cookie("lang", language)
        return
    user = accounts.get_user(world.anil["user_id"]) if who == "customer" else world.ravi
    accounts.set_language(language, actor=Actor.for_user(user))
    login_as(accounts.get_user(user["_id"]))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("who", ["customer", "delivery_boy", "link", "visitor"])
def test_each_page_speaks_the_language_with_no_english_left(client, app, login_as, world, language, who):
    sign_in_as(who, world, login_as, client, language)
    allowed = ALLOWED_WORDS | data_words(world.anil, world.bina, world.chetan, world.ravi, world.milk, world.curd,
                                            world.question)
    problems = []
    for page_who, endpoint, arguments in PAGES:
        if page_who != who:
            continue
        with app.test_request_context():
            path = url_for(endpoint, **arguments(world))
        response = client.get(path)
        assert response.status_code == 200, path
        assert f'<html lang="{language}">' in response.text, path
        assert parse_problems(response.text) == (True, [], [], 1), path  # valid, unique ids, one h1
        left = english_words(response.text, allowed)
        if left:
            problems.append((path, left))
    assert problems == [], "\n".join(map(repr, problems))



@pytest.mark.parametrize("language", LANGUAGES)
def test_error_pages_speak_the_visitors_language(client, login_as, round_, language):
    client.set_cookie("lang", language)
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and f'<html lang="{language}">' in missing.text
    assert english_words(missing.text, ALLOWED_WORDS) == []
    accounts.set_language(language, actor=Actor.for_user(round_.ravi))
    login_as(accounts.get_user(round_.ravi["_id"]))
    forbidden = client.get("/me/")
    assert forbidden.status_code == 403 and english_words(forbidden.text, data_words(round_.ravi) | ALLOWED_WORDS) == []


def test_a_bill_and_a_receipt_as_pdf_speak_the_customers_language(client, login_as, world):
    anil = accounts.get_user(world.anil["user_id"])
    accounts.set_language("gu", actor=Actor.for_user(anil))
    login_as(accounts.get_user(anil["_id"]))
    bill_pdf = client.get(f"/me/bills/{world.anil_bill['_id']}.pdf")
    receipt_pdf = client.get(f"/me/receipts/{world.anil_payment['_id']}.pdf")
    assert bill_pdf.status_code == receipt_pdf.status_code == 200
    # Text extraction splits some conjuncts of the Gujarati script: words that come back whole are compared.
    assert "ફેબ્રુઆરી 2026" in pdf_text(bill_pdf.data) and "કોની પાસેથી મળ્યું" in pdf_text(receipt_pdf.data)


def pdf_text(data):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
