"""The customer's receipts (page, PDF, a link to send) and his statement over a date range (page and PDF)."""
from flask import render_template, request
from flask_login import current_user

from webapp.blueprints.customer import bp
from webapp.forms import apply_service_error
from webapp.forms.payments import ShareReceiptForm, StatementRangeForm
from webapp.net import current_actor
from webapp.pdf import pdf_response
from webapp.services import ValidationError, bill_queries, business_profile, links, payments


def receipt_page(payment_id, *, link=None, status=200):
    return render_template("customer/receipts/receipt.html", **payments.receipt(payment_id, actor=current_actor()),
                           share_form=ShareReceiptForm(), link=link), status


@bp.get("/receipts/<payment_id>")
def receipt(payment_id):
    """One of my receipts (another customer's answers 404)."""
    return receipt_page(payment_id)


@bp.get("/receipts/<payment_id>.pdf")
def receipt_pdf(payment_id):
    """One of my receipts as a PDF."""
    receipt = payments.receipt(payment_id, actor=current_actor())
    return pdf_response("bills/receipt_pdf.html", f"{receipt['payment']['receipt_number']}.pdf", **receipt)


@bp.post("/receipts/<payment_id>/share")
def share_receipt(payment_id):
    """A read-only link to one of my receipts, to send on."""
    if not ShareReceiptForm().validate():
        return receipt_page(payment_id, status=422)
    link = links.create_receipt_link(payment_id, actor=current_actor())
    return receipt_page(payment_id, link=links.link_url(link))


@bp.get("/statement")
def statement():
    """My statement over the dates I choose: opening balance, bills, payments, closing balance."""
    form = StatementRangeForm(request.args)
    status = 200
    try:
        statement = bill_queries.statement(current_user.customer_id, form.first_day.data, form.last_day.data,
                                           actor=current_actor())
    except ValidationError as error:
        apply_service_error(form, error)
        statement, status = bill_queries.statement(current_user.customer_id, actor=current_actor()), 422
    return render_template("customer/receipts/statement.html", statement=statement, range_form=form), status


@bp.get("/statement.pdf")
def statement_pdf():
    """My statement over the chosen dates as a PDF."""
    form = StatementRangeForm(request.args)
    statement = bill_queries.statement(current_user.customer_id, form.first_day.data, form.last_day.data,
                                       actor=current_actor())
    return pdf_response("bills/statement_pdf.html", "statement.pdf", statement=statement,
                        business=business_profile.get())
