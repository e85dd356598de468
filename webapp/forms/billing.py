"""Billing forms: run a month, bill a customer up to today, filter bills, record a payment, add an adjustment."""
import uuid

from flask_wtf import FlaskForm as UnprotectedForm
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from webapp.forms import FlaskForm
from webapp.forms.catalog import RupeesField

# ASCII digits and nothing after (`$` would let a trailing newline through).
MONTH = Regexp(r"^[0-9]{4}-(0[1-9]|1[0-2])\Z", message="Month must look like 2026-01.")
STATUS_CHOICES = [("", "Any status"), ("PENDING", "Pending"), ("PARTIAL", "Partly paid"), ("PAID", "Paid"),
                  ("OVERDUE", "Overdue")]


class MonthForm(FlaskForm):
    month = StringField("Month", validators=[DataRequired(), MONTH], render_kw={"type": "month"})


class BillToDateForm(FlaskForm):
    """Bill a customer leaving mid-month up to today: nothing to fill in, the button is the decision."""


class BillFilterForm(UnprotectedForm):
    """A GET form (filters in the URL, so a filtered list can be bookmarked): no CSRF token."""

    class Meta:
        csrf = False

    month = StringField("Month", validators=[DataRequired(), MONTH], render_kw={"type": "month"})
    status = SelectField("Status", choices=STATUS_CHOICES, default="", validate_choice=False)
    area = SelectField("Area", choices=[("", "Any area")], default="", validate_choice=False)
    delivery_boy_id = SelectField("Delivery boy", choices=[("", "Any delivery boy")], default="",
                                  validate_choice=False)

    def set_choices(self, areas, delivery_boys):
        self.area.choices = [("", "Any area")] + [(a, a) for a in areas]
        self.delivery_boy_id.choices = [("", "Any delivery boy")] + [(b["_id"], b["name"]) for b in delivery_boys]


class PaymentForm(FlaskForm):
    amount = RupeesField("Amount (₹)", validators=[DataRequired()], id="payment-amount")
    method = SelectField("Method", choices=[("cash", "Cash"), ("upi", "UPI"), ("bank", "Bank transfer")])
    reference = StringField("Reference (UPI / bank)", validators=[Optional(), Length(max=80)])
    received_on = StringField("Received on", validators=[Optional()], render_kw={"type": "date"})
    # One id per rendered form: submitting the same form twice records one payment.
    submission_id = HiddenField(default=lambda: uuid.uuid4().hex)
    # Set by the check step: the office has seen the customer, the amount in words and what is due.
    confirmed = HiddenField()
    confirm_credit = BooleanField("Yes, record it: what is above the amount due becomes credit")


class AdjustmentForm(FlaskForm):
    direction = SelectField("Kind", choices=[("credit", "Credit (reduces the bill)"),
                                             ("debit", "Debit (adds to the bill)")])
    amount = RupeesField("Amount (₹)", validators=[DataRequired()], id="adjustment-amount")
    reason = StringField("Reason", validators=[DataRequired(), Length(max=200)])

    def signed_paise(self):
        return -self.amount.paise if self.direction.data == "credit" else self.amount.paise
