"""The customer questions a line of his bill while it is not final (the answers show on the bill)."""
from flask import flash, request, url_for
from flask_babel import gettext

from webapp import htmx
from webapp.blueprints.customer import bp
from webapp.forms import apply_service_error
from webapp.forms.bill_questions import BillQuestionForm
from webapp.net import current_actor
from webapp.services import Conflict, ValidationError, bill_questions


@bp.route("/bills/<bill_id>/questions/new", methods=["GET", "POST"])
def ask_bill_question(bill_id):
    """Question one line of my bill with a note (another customer's bill answers 404, a line it lacks 422)."""
    form = BillQuestionForm(data={"line": request.args.get("line", "")})
    context = bill_questions.question_line(bill_id, form.line.data, actor=current_actor())
    form.set_lines(context["bill"], context["products"])
    if form.validate_on_submit():
        try:
            bill_questions.ask(bill_id, form.line.data, form.note.data, actor=current_actor())
        except (ValidationError, Conflict) as error:
            apply_service_error(form, error)
        else:
            flash(gettext("Your question is sent. The dairy's answer will show on this bill."))
            return htmx.redirect_after_post(url_for("customer.bill", bill_id=bill_id, _anchor="bill-questions"))
    return htmx.render("customer/bills/question.html", "customer/bills/_question_form.html",
                       status=422 if form.is_submitted() else 200, question_form=form, **context)
