"""Staff pages for customers' questions on bill lines: the open queue, answer, credit on the next bill, reject.
A question closed meanwhile answers with the 409 page (the service's Conflict)."""
from flask import flash, render_template, url_for

from webapp import htmx
from webapp.blueprints.admin import bp
from webapp.forms import apply_service_error
from webapp.forms.bill_questions import AnswerForm, CreditForm, RejectForm
from webapp.net import current_actor
from webapp.presentation import format_rupees
from webapp.security import allow
from webapp.services import ValidationError, bill_questions
from webapp.services.payments import MONEY_ROLES


@bp.get("/billing/questions")
def bill_questions_queue():
    """Customers' open questions on bill lines, oldest first."""
    return render_template("admin/billing/questions.html",
                           questions=bill_questions.open_questions(actor=current_actor()))


def question_page(question_id, status=200, **failed):
    """One question with its answer, credit and reject forms; a failed form is passed in to show its errors."""
    question = bill_questions.get_question(question_id, actor=current_actor())
    forms = {
        "answer_form": AnswerForm(formdata=None, data={"answer": (question.get("answer") or {}).get("text", "")}),
        "credit_form": CreditForm(formdata=None, data={
            "amount": format_rupees(question["line"]["amount_paise"]),
            "note": question["note"][:bill_questions.MAX_ADJUSTMENT_NOTE]}),
        "reject_form": RejectForm(formdata=None),
        **failed,
    }
    return htmx.render("admin/billing/question.html", "admin/billing/_question.html", status=status,
                       question=question, money_roles=MONEY_ROLES, **forms)


@bp.get("/billing/questions/<question_id>")
def bill_question(question_id):
    """One customer's question on a bill line, with what staff can do about it."""
    return question_page(question_id)


@bp.post("/billing/questions/<question_id>/answer")
def answer_bill_question(question_id):
    """Answer the customer (the question stays open until credited or rejected)."""
    form = AnswerForm()
    if form.validate():
        try:
            bill_questions.answer(question_id, form.answer.data, actor=current_actor())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            flash("Answer saved; the customer sees it on his bill.")
            return htmx.redirect_after_post(url_for("admin.bill_question", question_id=question_id))
    return question_page(question_id, 422, answer_form=form)


@bp.post("/billing/questions/<question_id>/credit")
@allow(*MONEY_ROLES)
def credit_bill_question(question_id):
    """Accept the question: credit the customer on his next bill and close it."""
    form = CreditForm()
    if form.validate():
        try:
            bill_questions.resolve_with_credit(question_id, form.amount.paise, form.note.data, actor=current_actor())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            flash("Credited on the customer's next bill; the question is closed.")
            return htmx.redirect_after_post(url_for("admin.bill_questions_queue"))
    return question_page(question_id, 422, credit_form=form)


@bp.post("/billing/questions/<question_id>/reject")
@allow(*MONEY_ROLES)
def reject_bill_question(question_id):
    """Reject the question with the reason the customer reads, and close it."""
    form = RejectForm()
    if form.validate():
        try:
            bill_questions.reject(question_id, form.reason.data, actor=current_actor())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            flash("Question rejected; the customer sees the reason on his bill.")
            return htmx.redirect_after_post(url_for("admin.bill_questions_queue"))
    return question_page(question_id, 422, reject_form=form)
