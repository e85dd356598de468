"""Forms of the office's collections: a delivery boy's cash handover."""
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length, Optional

from webapp.forms import FlaskForm
from webapp.forms.catalog import RupeesField


class HandoverForm(FlaskForm):
    """The cash counted from a boy; `expected` is what the page showed him holding."""

    expected = HiddenField(validators=[DataRequired(), Length(max=12)])
    received = RupeesField("Cash counted (₹)", validators=[DataRequired()])
    reason = StringField("Reason for a difference", validators=[Optional(), Length(max=200)])

    def expected_paise(self):
        """The amount shown on the page (a tampered value is simply a different amount: the service refuses it)."""
        text = (self.expected.data or "").strip()
        return int(text) if text.isdigit() else -1
