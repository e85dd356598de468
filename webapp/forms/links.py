"""Forms of shared links: issuing (staff, a delivery boy for his round), revoking, pause requests."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, DateTimeLocalField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from webapp.forms import FlaskForm

EXPIRY_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class RoundLinkForm(FlaskForm):
    """Staff: a link to one delivery boy's round on one date."""

    delivery_boy_id = SelectField("Delivery boy", choices=[], validate_choice=False,
                                  validators=[DataRequired("Choose a delivery boy.")])
    date = DateField("Date", validators=[DataRequired("Choose a date.")])
    expires_at = DateTimeLocalField("Expires", format=EXPIRY_FORMATS, validators=[Optional()], id="round-expires-at")

    def with_delivery_boys(self, boys):
        self.delivery_boy_id.choices = [("", "Choose a delivery boy")] + [(b["_id"], b["name"]) for b in boys]
        return self


class BillLinkForm(FlaskForm):
    """Staff: a read-only link to one bill."""

    bill_id = StringField("Bill number", validators=[DataRequired("Enter a bill number."), Length(max=40)])
    expires_at = DateTimeLocalField("Expires", format=EXPIRY_FORMATS, validators=[Optional()], id="bill-expires-at")


class ShareBillForm(FlaskForm):
    """A customer: a read-only link to one of his bills (no fields: the bill is in the URL)."""


class ShareRoundForm(FlaskForm):
    """A delivery boy: a link to his own round on one date."""

    date = DateField(_l("Date"), validators=[DataRequired(_l("Choose a date."))])


class PauseRequestForm(FlaskForm):
    """Through a round link: ask staff to pause a customer's deliveries."""

    first_day = DateField(_l("First day without delivery"), validators=[DataRequired(_l("Choose the first day."))])
    last_day = DateField(_l("Last day without delivery"), validators=[DataRequired(_l("Choose the last day."))])
    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=200)])


class DecidePauseForm(FlaskForm):
    """Staff: approve or reject a pause request."""

    override_cutoff = BooleanField("Override the cut-off")
    note = StringField("Note (shown on a rejection)", validators=[Optional(), Length(max=200)])
