"""Staff pages of payments and the ledger: a receipt (page, PDF, link), voiding a payment, a customer's statement
as PDF, the ageing of what is overdue (page and CSV)."""
from flask import Response, render_template, request, url_for

from webapp import htmx
from webapp.blueprints.admin import bp
from webapp.forms import apply_service_error
from webapp.forms.payments import ShareReceiptForm, StatementRangeForm, VoidPaymentForm
from webapp.net import current_actor
from webapp.pdf import pdf_response
from webapp.security import allow
from webapp.services import ValidationError, business_profile, bill_queries, ledger, links, payments


def receipt_page(payment_id, *, void_form=None, link=None, status=200):
    return render_template("admin/billing/receipt.html", **payments.receipt(payment_id, actor=current_actor()),
                           void_form=void_form or VoidPaymentForm(), share_form=ShareReceiptForm(),
                           link=link), status


@bp.get("/billing/payments/<payment_id>")
def payment_receipt(payment_id):
    """A payment's receipt, with its PDF, a link to send the customer and (admin, support) the void form."""
    return receipt_page(payment_id)


@bp.get("/billing/payments/<payment_id>.pdf")
def payment_receipt_pdf(payment_id):
    """A payment's receipt as a PDF."""
    receipt = payments.receipt(payment_id, actor=current_actor())
    return pdf_response("bills/receipt_pdf.html", f"{receipt['payment']['receipt_number']}.pdf", **receipt)


@bp.post("/billing/payments/<payment_id>/void")
@allow("admin", "support")
def payment_void(payment_id):
    """Void a payment with a reason: a new ledger entry takes it back and the bills settle again."""
    form = VoidPaymentForm()
    if form.validate():
        try:
            payments.void_payment(payment_id, form.reason.data, actor=current_actor())
            return htmx.redirect_after_post(url_for("admin.payment_receipt", payment_id=payment_id))
        except ValidationError as error:
            apply_service_error(form, error)
    return receipt_page(payment_id, void_form=form, status=422)


@bp.post("/billing/payments/<payment_id>/share")
def payment_share(payment_id):
    """A read-only link to the receipt, to send the customer."""
    form = ShareReceiptForm()
    if not form.validate():
        return receipt_page(payment_id, status=422)
    link = links.create_receipt_link(payment_id, actor=current_actor())
    return receipt_page(payment_id, link=links.link_url(link))


@bp.get("/billing/customers/<customer_id>/statement.pdf")
def billing_statement_pdf(customer_id):
    """A customer's statement over a date range, as a PDF."""
    form = StatementRangeForm(request.args)
    statement = bill_queries.statement(customer_id, form.first_day.data, form.last_day.data, actor=current_actor())
    return pdf_response("bills/statement_pdf.html", f"statement-{customer_id}.pdf", statement=statement,
                        business=business_profile.get())


@bp.get("/billing/ageing")
def billing_ageing():
    """What is overdue, per customer, by days past the due date (0–30, 31–60, 61–90, 90+), with totals."""
    return render_template("admin/billing/ageing.html", report=ledger.ageing(actor=current_actor()))


@bp.get("/billing/ageing.csv")
def billing_ageing_csv():
    """The ageing report as CSV."""
    return Response(ledger.ageing_csv(actor=current_actor()), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="ageing.csv"'})
