"""The customer's bills: each an invoice to pay by UPI, with lines by product and by day, totals, payments and
balance; printable and as a PDF."""
from flask import render_template
from flask_babel import gettext
from flask_login import current_user

from webapp import htmx
from webapp.blueprints.customer import bp
from webapp.forms.links import ShareBillForm
from webapp.net import current_actor
from webapp.pdf import pdf_response
from webapp.services import bill_queries, bill_questions, links


@bp.get("/bills/")
def bills():
    """My bills, payments and balance."""
    statement = bill_queries.statement(current_user.customer_id, actor=current_actor())
    return render_template("customer/bills/index.html", statement=statement)


def bill_page(bill_id):
    """What my bill's page shows: the invoice and the questions I asked about it."""
    actor = current_actor()
    return {**bill_queries.bill_view(bill_id, actor=actor), **bill_questions.for_bill(bill_id, actor=actor)}


@bp.get("/bills/<bill_id>")
def bill(bill_id):
    """One of my bills as an invoice, with its UPI code (another customer's answers 404)."""
    return render_template("customer/bills/bill.html", share_form=ShareBillForm(), **bill_page(bill_id))


@bp.get("/bills/<bill_id>.pdf")
def bill_pdf(bill_id):
    """One of my bills as a PDF (another customer's answers 404)."""
    return pdf_response("bills/pdf.html", f"{bill_id}.pdf", **bill_queries.bill_view(bill_id, actor=current_actor()))


@bp.post("/bills/<bill_id>/share")
def share_bill(bill_id):
    """A read-only link to one of my bills, to send on WhatsApp (another customer's bill answers 404)."""
    form = ShareBillForm()
    if not form.validate_on_submit():
        return htmx.render("customer/bills/bill.html", "customer/bills/_share.html", status=422,
                           share_form=form, **bill_page(bill_id))
    link = links.create_bill_link(bill_id, actor=current_actor())
    link["url"] = links.link_url(link)
    context = bill_page(bill_id)
    return htmx.render("customer/bills/bill.html", "customer/bills/_share.html", link=link,
                       share_form=form, share_text=gettext("EarlyBird bill %(id)s:", id=bill_id), **context)
