"""Bill question forms: a customer questions a line of his bill; staff answer, credit or reject it."""
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from webapp.forms import FlaskForm
from webapp.forms.catalog import RupeesField
from webapp.template_helpers import day, rupees
from webapp.services.bill_questions import MAX_ADJUSTMENT_NOTE, MAX_ANSWER, MAX_NOTE


class BillQuestionForm(FlaskForm):
    """The line (index in the bill's lines) and what went wrong; the service checks the line exists."""

    line = SelectField(_l("Line of the bill"), choices=[], validate_choice=False, id="question-line")
    note = TextAreaField(_l("What went wrong"), validators=[DataRequired(), Length(max=MAX_NOTE)], id="question-note",
                         description=_l("For example: not delivered that day, only one packet came."))

    def set_lines(self, bill, products):
        """One choice per line: "Fri 3 Apr · Milk · 2 × ₹50.00", dates and money in the page's language."""
        def label(line):
            name = products.get(line["product_id"], {}).get("name", line["product_id"])
            return f"{day(line['date'])} · {name} · {line['qty']} × {rupees(line['unit_price_paise'])}"

        self.line.choices = [(str(index), label(line)) for index, line in enumerate(bill.get("lines") or [])]
        return self


class AnswerForm(FlaskForm):
    answer = TextAreaField("Answer", validators=[DataRequired(), Length(max=MAX_ANSWER)], id="answer-text")


class CreditForm(FlaskForm):
    amount = RupeesField("Credit (₹)", validators=[DataRequired()], id="credit-amount")
    note = StringField("Note on the next bill", validators=[DataRequired(), Length(max=MAX_ADJUSTMENT_NOTE)],
                       id="credit-note")


class RejectForm(FlaskForm):
    reason = TextAreaField("Reason the customer reads", validators=[DataRequired(), Length(max=MAX_ANSWER)],
                           id="reject-reason")
