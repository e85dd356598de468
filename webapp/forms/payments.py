"""Forms of payments and the ledger: void a payment, share a receipt, a statement's date range."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm as UnprotectedForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

from webapp.forms import FlaskForm


class VoidPaymentForm(FlaskForm):
    reason = StringField("Why void it", validators=[DataRequired("Give a reason."), Length(max=200)])


class ShareReceiptForm(FlaskForm):
    """A read-only link to one receipt: nothing to fill in, the button is the decision."""


class StatementRangeForm(UnprotectedForm):
    """A GET form (the range in the URL, so a statement can be bookmarked and downloaded): no CSRF token.
    Dates are checked by the ledger service, which puts its message by the field."""

    class Meta:
        csrf = False

    first_day = StringField(_l("From"), validators=[Optional(), Length(max=10)], render_kw={"type": "date"})
    last_day = StringField(_l("To"), validators=[Optional(), Length(max=10)], render_kw={"type": "date"})
