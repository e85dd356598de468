"""The bill as an invoice: the dairy's details, the month in words, products first then the days, Indian digit
grouping, the amount due now with its UPI code (the QR drawn from exactly that payload), and a PDF whose amounts
are the page's."""
import io
import re

import pytest
import segno

from tests.billing_fixtures import AFTER_MONTH, APRIL, MONTH
from webapp import clock
from webapp.presentation import format_rupees
from webapp.services import bill_queries, billing, business_profile, customers, links, payments, upi

AMOUNT = re.compile(r"−?₹[0-9,]+\.[0-9]{2}")
PROFILE = {"name": "Gokul Dairy", "address": "12 MG Road\nBengaluru 560001", "phone": "9876543210",
           "gstin": "29AAPFU0939F1ZV", "fssai": "11223344556677", "upi_id": "gokul@okhdfcbank",
           "payee_name": "Gokul Dairy Farms", "footer": "Thank you for choosing Gokul."}


@pytest.fixture
def dairy(system):
    return business_profile.update(PROFILE, actor=system)


@pytest.fixture
def invoiced(db, system, make_user, milk, paneer, subscribe, order_once, deliver, dairy):
    """A customer with his own milk rate (₹45 instead of ₹50), milk for 3 days and an extra paneer, billed for
    April: (customer user, customer doc, bill)."""
    owner = make_user("customer")
    customers.set_custom_prices(owner["customer_id"], {milk["_id"]: 4500}, actor=system)
    customer = db.customers.find_one({"_id": owner["customer_id"]})
    deliver(subscribe(customer, milk, qty=2), APRIL[:3])
    deliver(order_once(customer, paneer, qty=1, day=APRIL[1]), [APRIL[1]])
    with clock.frozen(AFTER_MONTH):
        billing.run_month(MONTH, actor=system)
    return owner, customer, db.bills.find_one({"customer_id": customer["_id"]})


def bill_article(html):
    return html[html.index('<article class="card bill"'):html.index("</article>")]


@pytest.mark.parametrize("paise, shown", [(10000000, "₹1,00,000.00"), (123456789, "₹12,34,567.89"), (50, "₹0.50"),
                                          (-250, "−₹2.50"), (0, "₹0.00")])
def test_money_reads_with_indian_digit_grouping(paise, shown):
    assert format_rupees(paise) == shown


def test_the_invoice_shows_the_dairy_the_month_in_words_products_then_days(client, login_as, invoiced):
    owner, customer, bill = invoiced
    login_as(owner)
    with clock.frozen(AFTER_MONTH):
        html = client.get(f"/me/bills/{bill['_id']}").get_data(as_text=True)
    article = bill_article(html)
    for text in ("Gokul Dairy", "12 MG Road\nBengaluru 560001", "GSTIN 29AAPFU0939F1ZV",
                 "FSSAI Lic. No. 11223344556677", "Thank you for choosing Gokul.", "April 2026", f"Bill {bill['_id']}", customer["name"],
                 "01 May 2026", "10 May 2026"):
        assert text in article, text
    assert "2026-04" not in article
    # The product summary comes before the day-by-day detail; milk at his own rate shows the list price.
    products = article[article.index('class="bill-products"'):article.index('class="bill-lines"')]
    assert re.search(r"Milk.*?\(1 litre\).*?>6<.*?₹45\.00.*?your rate; list ₹50\.00.*?₹270\.00", products, re.S)
    assert re.search(r"Paneer.*?>1<.*?₹200\.00.*?₹200\.00", products, re.S)
    assert "your rate" not in products.split("Paneer")[1]
    # Every day-detail row is anchored by the line's index in bill.lines.
    anchors = sorted(int(n) for n in re.findall(r'<tr id="line-([0-9]+)"', article))
    assert anchors == list(range(len(bill["lines"])))
    assert 'class="bill-days"' in article


def test_a_lakh_reads_with_indian_grouping_on_the_bill(client, db, login_as, system, make_product, make_customer,
                                                        subscribe, deliver, dairy):
    cow = make_product("Gir Cow", "whole", 10000000)
    customer = make_customer()
    deliver(subscribe(customer, cow, qty=1), APRIL[:1])
    with clock.frozen(AFTER_MONTH):
        billing.run_month(MONTH, actor=system)
    login_as("admin")
    bill = db.bills.find_one({"customer_id": customer["_id"]})
    with clock.frozen(AFTER_MONTH):
        article = bill_article(client.get(f"/staff/billing/bills/{bill['_id']}").get_data(as_text=True))
    assert '<td class="num bill-total">₹1,00,000.00</td>' in article
    assert "100,000" not in article


def test_the_upi_payload_of_a_part_paid_bill_asks_for_what_is_due_now(client, login_as, invoiced, system):
    owner, customer, bill = invoiced
    assert bill["total_paise"] == 6 * 4500 + 20000
    with clock.frozen(AFTER_MONTH):
        payments.record_payment(customer["_id"], 10050, "cash", actor=system)
        view = bill_queries.bill_view(bill["_id"], actor=system)
    assert view["bill"]["paid_paise"] == 10050 and view["due_now_paise"] == 47000 - 10050
    expected = (f"upi://pay?pa=gokul@okhdfcbank&pn=Gokul%20Dairy%20Farms&am=369.50&cu=INR&tn={bill['_id']}")
    assert view["upi"]["uri"] == expected
    # The QR code on the page is segno's drawing of exactly that payload.
    assert view["upi"]["svg"] == upi.qr_svg(expected, title=f"UPI QR code to pay bill {bill['_id']}")
    svg_path = re.search(r' d="([^"]+)"', view["upi"]["svg"]).group(1)
    buffer = io.BytesIO()
    segno.make(expected, error="m").save(buffer, kind="svg", border=upi.QR_BORDER)
    assert svg_path == re.search(r' d="([^"]+)"', buffer.getvalue().decode()).group(1)
    login_as(owner)
    with clock.frozen(AFTER_MONTH):
        article = bill_article(client.get(f"/me/bills/{bill['_id']}").get_data(as_text=True))
    assert f'href="{expected.replace("&", "&amp;")}"' in article and "Pay with UPI app" in article
    assert view["upi"]["svg"] in article
    assert '<strong class="bill-amount-due">₹369.50</strong>' in article
    assert '<td class="num bill-paid">₹100.50</td>' in article


def test_a_paid_bill_has_no_upi_code_and_its_list_shows_nothing_due(client, login_as, invoiced, system):
    owner, customer, bill = invoiced
    with clock.frozen(AFTER_MONTH):
        payments.record_payment(customer["_id"], bill["total_paise"], "upi", reference="UTR1", actor=system)
        view = bill_queries.bill_view(bill["_id"], actor=system)
        listed = bill_queries.list_bills(MONTH, actor=system)
    assert view["upi"] is None and view["due_now_paise"] == 0
    assert [(b["_id"], b["due_now_paise"]) for b in listed] == [(bill["_id"], 0)]
    login_as(owner)
    with clock.frozen(AFTER_MONTH):
        article = bill_article(client.get(f"/me/bills/{bill['_id']}").get_data(as_text=True))
    assert "upi://" not in article and "Paid in full" in article


def test_no_upi_code_until_the_dairy_has_a_upi_id(client, login_as, db, system, milk, subscribe, deliver):
    customer = db.customers.find_one({"_id": login_as("customer")["customer_id"]})
    deliver(subscribe(customer, milk), APRIL[:2])
    with clock.frozen(AFTER_MONTH):
        billing.run_month(MONTH, actor=system)
        bill = db.bills.find_one()
        article = bill_article(client.get(f"/me/bills/{bill['_id']}").get_data(as_text=True))
    assert "upi://" not in article and "EarlyBird" in article and "₹100.00" in article


def pdf_text(response):
    from pypdf import PdfReader

    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)


def test_the_pdf_is_searchable_and_its_amounts_are_the_pages(client, login_as, invoiced, system):
    owner, customer, bill = invoiced
    with clock.frozen(AFTER_MONTH):
        payments.record_payment(customer["_id"], 10050, "cash", actor=system)
    login_as(owner)
    with clock.frozen(AFTER_MONTH):
        article = bill_article(client.get(f"/me/bills/{bill['_id']}").get_data(as_text=True))
        text = pdf_text(client.get(f"/me/bills/{bill['_id']}.pdf"))
    assert bill["_id"] in text and "Gokul Dairy" in text and "April 2026" in text
    page_amounts = AMOUNT.findall(re.sub(r"<[^>]+>", " ", article))
    assert "₹369.50" in page_amounts and "₹1,00,000.00" not in page_amounts
    assert sorted(AMOUNT.findall(text)) == sorted(page_amounts)


def test_each_audience_gets_the_pdf_of_what_it_may_see(client, db, login_as, invoiced, system, make_user, now_links):
    owner, customer, bill = invoiced
    login_as("support")
    with clock.frozen(AFTER_MONTH):
        assert bill["_id"] in pdf_text(client.get(f"/staff/billing/bills/{bill['_id']}.pdf"))
        link = links.create_bill_link(bill["_id"], actor=system)
    path = "/l/" + links.token_for(link)
    login_as("customer")  # another customer: his own bills only
    with clock.frozen(AFTER_MONTH):
        assert client.get(f"/me/bills/{bill['_id']}.pdf").status_code == 404
        assert "Gokul Dairy" in pdf_text(client.get(f"{path}/bill.pdf"))
        assert "Download PDF" in client.get(path).get_data(as_text=True)


@pytest.fixture
def now_links():
    """Shared links are opened in the month after the bill, while they are live."""
    with clock.frozen(AFTER_MONTH):
        yield


def test_a_round_link_has_no_bill_pdf(client, db, system, make_user, now_links):
    ravi = make_user("delivery_boy")
    with clock.frozen(AFTER_MONTH):
        link = links.create_round_link(ravi["_id"], AFTER_MONTH.date(), actor=system)
        assert client.get(f"/l/{links.token_for(link)}/bill.pdf").status_code == 404
    assert db.audit_log.count_documents({"action": "link.out_of_scope"}) + db.audit_log.count_documents(
        {"action": "link.refused"}) == 1


@pytest.mark.parametrize("role, status", [("admin", 200), ("marketing", 200), ("support", 200),
                                          ("customer", 403), ("delivery_boy", 403), ("supplier", 403)])
def test_the_staff_bill_page_and_pdf_per_role(client, login_as, invoiced, role, status):
    bill = invoiced[2]
    login_as(role)
    with clock.frozen(AFTER_MONTH):
        assert client.get(f"/staff/billing/bills/{bill['_id']}").status_code == status
        assert client.get(f"/staff/billing/bills/{bill['_id']}.pdf").status_code == status
