"""Staff billing pages: the month's run with its progress, bills, statements, payments, reconciliation."""
from flask import Response, render_template, request, url_for

from webapp import clock, htmx
from webapp.blueprints.admin import bp
from webapp.forms import apply_service_error
from webapp.forms.billing import AdjustmentForm, BillFilterForm, BillToDateForm, MonthForm, PaymentForm
from webapp.net import current_actor
from webapp.security import allow
from webapp.services import Conflict, ValidationError, bill_builder, bill_queries, billing, billing_jobs, payments, \
    reconciliation


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
    """One bill, as the customer sees it."""
    return render_template("admin/billing/bill.html", **bill_queries.bill_view(bill_id, actor=current_actor()))


def statement_page(customer_id, *, payment_form=None, adjustment_form=None, to_date_form=None, status=200):
    statement = bill_queries.statement(customer_id, actor=current_actor())
    return render_template("admin/billing/statement.html", statement=statement,
                           payment_form=payment_form or PaymentForm(),
                           adjustment_form=adjustment_form or AdjustmentForm(),
                           to_date_form=to_date_form or BillToDateForm()), status


@bp.get("/billing/customers/<customer_id>")
def billing_statement(customer_id):
    """A customer's statement (bills and payments over time) with the payment and adjustment forms."""
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
    """Record a payment received from the customer."""
    form = PaymentForm()
    if form.validate():
        try:
            payments.record_payment(customer_id, form.amount.paise, form.method.data,
                                   reference=form.reference.data, received_on=form.received_on.data or None,
                                   submission_id=form.submission_id.data or None, actor=current_actor())
            return htmx.redirect_after_post(url_for("admin.billing_statement", customer_id=customer_id))
        except ValidationError as error:
            apply_service_error(form, error)
    return statement_page(customer_id, payment_form=form, status=422)


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

