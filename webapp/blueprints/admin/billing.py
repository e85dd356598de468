"""Staff billing pages: the month's run with its progress, bills (page, PDF, sent on WhatsApp), statements,
payments, reconciliation, and the business profile printed on every bill."""
from flask import Response, redirect, render_template, request, url_for

from webapp import clock, htmx
from webapp.blueprints.admin import bp
from webapp.forms import apply_service_error
from webapp.forms.billing import AdjustmentForm, BillFilterForm, BillToDateForm, MonthForm, PaymentForm
from webapp.forms.payments import StatementRangeForm
from webapp.forms.business import BusinessProfileForm, LogoForm, RemoveLogoForm, SendBillForm, SendMonthForm
from webapp.net import current_actor
from webapp.pdf import pdf_response
from webapp.security import PUBLIC, allow
from webapp.services import Conflict, ValidationError, bill_builder, bill_queries, bill_questions, \
    bill_sending, billing, billing_jobs, business_profile, payments, reconciliation


def default_month():
    """Last month: the one a run at the start of a month bills."""
    return bill_builder.previous_month(clock.month_of(clock.today()))


def run_page(form, status=200):
    return render_template("admin/billing/index.html", form=form,
                           jobs=billing_jobs.recent_jobs(actor=current_actor())), status


@bp.get("/billing/")
def billing_home():
    """Start a month's run and see the recent runs."""
    return run_page(MonthForm(data={"month": default_month()}))


@bp.post("/billing/run")
@allow("admin")
def billing_run():
    """Start (or rejoin) the month's run in the background and show its progress."""
    form = MonthForm()
    if not form.validate():
        return run_page(form, 422)
    try:
        job, _ = billing.start_month_run(form.month.data, actor=current_actor())
    except ValidationError as error:
        apply_service_error(form, error)
        return run_page(form, 422)
    return htmx.redirect_after_post(url_for("admin.billing_job", job_id=job["_id"]))


@bp.get("/billing/runs/<job_id>")
def billing_job(job_id):
    """A run's progress bar (polled by htmx while it runs) and its summary at the end."""
    job = billing_jobs.get_job(job_id, actor=current_actor())
    return htmx.render("admin/billing/job.html", "admin/billing/_job.html", job=job)


def filtered_form():
    form = BillFilterForm(request.args, data={"month": default_month()} if "month" not in request.args else None)
    form.set_choices(*bill_queries.filter_choices(actor=current_actor()))
    return form


def filters(form):
    return {"status": form.status.data or None, "area": form.area.data or None,
            "delivery_boy_id": form.delivery_boy_id.data or None}


@bp.get("/billing/bills")
def billing_bills():
    """A month's bills, filtered by status, area and delivery boy."""
    form = filtered_form()
    if not form.validate():
        return htmx.render("admin/billing/bills.html", "admin/billing/_bills.html", form=form, bills=None, status=422)
    bills = bill_queries.list_bills(form.month.data, **filters(form), actor=current_actor())
    return htmx.render("admin/billing/bills.html", "admin/billing/_bills.html", form=form, bills=bills)


def csv_response(text, name):
    return Response(text, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/billing/bills.csv")
def billing_bills_csv():
    """The filtered bills as CSV."""
    form = filtered_form()
    if not form.validate():
        raise ValidationError("Month must look like 2026-01.", field="month")
    text = bill_queries.bills_csv(form.month.data, **filters(form), actor=current_actor())
    return csv_response(text, f"bills-{form.month.data}.csv")


@bp.get("/billing/lines.csv")
def billing_lines_csv():
    """Every line of the filtered bills as CSV."""
    form = filtered_form()
    if not form.validate():
        raise ValidationError("Month must look like 2026-01.", field="month")
    text = bill_queries.lines_csv(form.month.data, **filters(form), actor=current_actor())
    return csv_response(text, f"bill-lines-{form.month.data}.csv")


@bp.get("/billing/bills/<bill_id>")
def billing_bill(bill_id):
    """One bill, as the customer sees it, with its PDF and WhatsApp buttons."""
    actor = current_actor()
    return render_template("admin/billing/bill.html", send_form=SendBillForm(),
                           **bill_queries.bill_view(bill_id, actor=actor),
                           **bill_questions.for_bill(bill_id, actor=actor))


@bp.get("/billing/bills/<bill_id>.pdf")
def billing_bill_pdf(bill_id):
    """One bill as a PDF (A4, searchable text)."""
    return pdf_response("bills/pdf.html", f"{bill_id}.pdf", **bill_queries.bill_view(bill_id, actor=current_actor()))


@bp.post("/billing/bills/<bill_id>/send")
def billing_send_bill(bill_id):
    """Tick a bill as sent and open the customer's WhatsApp chat with its message and link."""
    form = SendBillForm()
    if not form.validate():
        return send_page(send_month_form(), status=422, error="This form has expired. Reload the page and try again.")
    try:
        sent = bill_sending.send(bill_id, actor=current_actor())
    except ValidationError as error:
        return send_page(send_month_form(), status=422, error=error.message)
    return redirect(sent["whatsapp_url"], code=303)


def send_month_form():
    return SendMonthForm(request.args, data={"month": default_month()} if "month" not in request.args else None)


def send_page(form, *, status=200, error=None):
    sheet = bill_sending.month_sheet(form.month.data, actor=current_actor()) if form.validate() else None
    return render_template("admin/billing/send.html", form=form, sheet=sheet, send_form=SendBillForm(),
                           error=error), 422 if sheet is None else status


@bp.get("/billing/send")
def billing_send():
    """Send the month's bills on WhatsApp, in delivery-route order, ticking off each one sent."""
    return send_page(send_month_form())


def business_page(profile_form=None, logo_form=None, status=200):
    business = business_profile.get()
    return render_template("admin/billing/business.html", business=business,
                           profile_form=profile_form or BusinessProfileForm(formdata=None, data=business),
                           logo_form=logo_form or LogoForm(), remove_logo_form=RemoveLogoForm()), status


@bp.get("/billing/business")
@allow("admin")
def business_settings():
    """The dairy's details printed on every bill: name, address, licences, UPI ID, footer, logo."""
    return business_page()


@bp.post("/billing/business")
@allow("admin")
def business_update():
    """Save the business profile (audited)."""
    form = BusinessProfileForm()
    if not form.validate():
        return business_page(profile_form=form, status=422)
    try:
        business_profile.update(form.values(), actor=current_actor())
    except ValidationError as error:
        apply_service_error(form, error)
        return business_page(profile_form=form, status=422)
    return htmx.redirect_after_post(url_for("admin.business_settings"))


@bp.post("/billing/business/logo")
@allow("admin")
def business_logo_upload():
    """A new logo: a PNG or JPEG of at most 200 KB."""
    form = LogoForm()
    if not form.validate():
        return business_page(logo_form=form, status=422)
    try:
        business_profile.set_logo(form.logo_bytes(), actor=current_actor())
    except ValidationError as error:
        form.form_errors.append(error.message)
        return business_page(logo_form=form, status=422)
    return htmx.redirect_after_post(url_for("admin.business_settings"))


@bp.post("/billing/business/logo/remove")
@allow("admin")
def business_logo_remove():
    """Take the logo off the bills."""
    if RemoveLogoForm().validate():
        business_profile.remove_logo(actor=current_actor())
    return htmx.redirect_after_post(url_for("admin.business_settings"))


@bp.get("/billing/business/logo")
@allow(PUBLIC)
def business_logo():
    """The logo on bills and receipts, public (shared bill links show it); its version (?v=) names its content."""
    logo = business_profile.logo(request.args.get("v", ""))
    return Response(logo["data"], mimetype=logo["content_type"],
                    headers={"X-Content-Type-Options": "nosniff",
                             "Cache-Control": "public, max-age=31536000, immutable"})


def statement_page(customer_id, *, payment_form=None, preview=None, adjustment_form=None, to_date_form=None,
                   status=200):
    range_form = StatementRangeForm(request.args)
    try:
        statement = bill_queries.statement(customer_id, range_form.first_day.data, range_form.last_day.data,
                                           actor=current_actor())
    except ValidationError as error:  # a range typed by hand into the address: the whole ledger, the error by it
        apply_service_error(range_form, error)
        statement, status = bill_queries.statement(customer_id, actor=current_actor()), 422
    return render_template("admin/billing/statement.html", statement=statement, range_form=range_form,
                           payment_form=payment_form or PaymentForm(), preview=preview,
                           adjustment_form=adjustment_form or AdjustmentForm(),
                           to_date_form=to_date_form or BillToDateForm()), status


@bp.get("/billing/customers/<customer_id>")
def billing_statement(customer_id):
    """A customer's statement over a date range (bills, payments, voids) with the payment and adjustment forms."""
    return statement_page(customer_id)


@bp.get("/billing/customers/<customer_id>/bills")
def customer_bills(customer_id):
    """The bills section of the customer detail page (loaded with hx-get)."""
    bills = bill_queries.customer_bills(customer_id, actor=current_actor())
    return render_template("admin/billing/_customer_bills.html", customer_id=customer_id, bills=bills,
                           balance=payments.customer_balance(customer_id))


@bp.post("/billing/customers/<customer_id>/payments")
@allow("admin", "support")
def billing_payment(customer_id):
    """Check a payment (the customer, what is due, the amount in words), then record it on the second submit."""
    form = PaymentForm()
    preview = None
    if form.validate():
        try:
            preview = payments.payment_preview(customer_id, form.amount.paise, form.method.data,
                                               reference=form.reference.data, received_on=form.received_on.data,
                                               actor=current_actor())
            if form.confirmed.data == "yes":
                payments.record_payment(customer_id, form.amount.paise, form.method.data,
                                        reference=form.reference.data, received_on=form.received_on.data or None,
                                        submission_id=form.submission_id.data or None,
                                        credit_confirmed=form.confirm_credit.data, actor=current_actor())
                return htmx.redirect_after_post(url_for("admin.billing_statement", customer_id=customer_id))
        except ValidationError as error:
            apply_service_error(form, error)
    checked = preview is not None and not form.errors
    return statement_page(customer_id, payment_form=form, preview=preview,
                          status=200 if checked else 422)


@bp.post("/billing/customers/<customer_id>/adjustments")
@allow("admin", "support")
def billing_adjustment(customer_id):
    """Add a credit or debit that lands on the customer's next bill."""
    form = AdjustmentForm()
    if form.validate():
        try:
            payments.add_adjustment(customer_id, form.signed_paise(), form.reason.data, actor=current_actor())
            return htmx.redirect_after_post(url_for("admin.billing_statement", customer_id=customer_id))
        except ValidationError as error:
            apply_service_error(form, error)
    return statement_page(customer_id, adjustment_form=form, status=422)


@bp.post("/billing/customers/<customer_id>/bill-to-date")
@allow("admin")
def billing_to_date(customer_id):
    """Bill a customer leaving mid-month for what he received up to today, then show that bill."""
    form = BillToDateForm()
    if form.validate():
        try:
            bill = billing.bill_to_date(customer_id, actor=current_actor())
            return htmx.redirect_after_post(url_for("admin.billing_bill", bill_id=bill["_id"]))
        except Conflict as error:
            apply_service_error(form, error)
    return statement_page(customer_id, to_date_form=form, status=409 if form.form_errors else 422)


@bp.get("/billing/reconcile")
def billing_reconcile():
    """Delivered vs billed for a month."""
    form = BillFilterForm(request.args, data={"month": default_month()} if "month" not in request.args else None)
    if not form.validate():
        return render_template("admin/billing/reconcile.html", form=form, report=None), 422
    report = reconciliation.reconciliation(form.month.data, actor=current_actor())
    return render_template("admin/billing/reconcile.html", form=form, report=report)

