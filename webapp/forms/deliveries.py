"""Forms of the delivery day: which date to show, and the confirmation of one stop."""
from datetime import timedelta

from flask import request, url_for
from flask_babel import gettext, lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import Length, Optional

from webapp import clock
from webapp.forms import FlaskForm
from webapp.forms.catalog import RupeesField
from webapp.services import ValidationError, validate
from webapp.services.deliveries import REASONS

OUTCOMES = [("full", "Delivered in full"), ("partial", "Partly delivered"), ("not_delivered", "Not delivered"),
            ("door", "Bottles and cash only")]
QUANTITY_PREFIX = "qty:"
MAX_QUANTITY_FIELDS = 100  # a stop never has more; more is a hand-crafted request


class DayForm(FlaskForm):
    """`?date=YYYY-MM-DD` (default: today) on the pages of a day; read from the query string."""

    class Meta:
        csrf = False

    date = StringField("Date", validators=[Optional(), Length(max=10)])

    def day(self):
        """The chosen date; a malformed or out-of-range one is a ValidationError (a 422 page, never a 500)."""
        raw = (self.date.data or "").strip()
        return validate.day(raw, "date") if raw else clock.today()


class DayFilterForm(DayForm):
    """The staff view of the day: a date and an optional area."""

    area = StringField("Area", validators=[Optional(), Length(max=60)])


def day_nav(day, endpoint, **values):
    """The previous / today / next links of a page of one day (templates/_day_nav.html)."""
    return {"day": day, "previous_day": day - timedelta(days=1), "next_day": day + timedelta(days=1),
            "url": lambda other: url_for(endpoint, date=other.isoformat(), **values)}


class ConfirmStopForm(FlaskForm):
    """One stop's confirmation: the button pressed says the outcome; quantities are `qty:ORDER:PRODUCT`."""

    outcome = SelectField("Outcome", choices=OUTCOMES)
    reason = SelectField("Reason", choices=[("", _l("Choose a reason"))] + list(REASONS.items()),
                         validators=[Optional()])
    # What else happened at the door, in the same tap; the phone's key makes a resent tap count once.
    bottles = StringField("Bottles collected", validators=[Optional(), Length(max=6)])
    cash = RupeesField("Cash received (₹)", validators=[Optional()])
    tap_key = HiddenField(validators=[Optional(), Length(max=80)])

    def door_arguments(self):
        """{tap_key, bottles_collected, cash_paise, door_only} for deliveries.confirm_stop (the service checks them)."""
        return {"tap_key": self.tap_key.data or None, "bottles_collected": (self.bottles.data or "").strip() or None,
                "cash_paise": self.cash.paise, "door_only": self.outcome.data == "door"}

    def quantities(self):
        """{order_id: {product_id: typed text}} from the quantity fields (the service checks the numbers)."""
        found = {}
        names = [name for name in request.form if name.startswith(QUANTITY_PREFIX)]
        if len(names) > MAX_QUANTITY_FIELDS:
            raise ValidationError("Too many quantities in one confirmation.")
        for name in names:
            parts = name.split(":")
            if len(parts) != 3 or not parts[1] or not parts[2]:
                raise ValidationError("A quantity field is not recognised.")
            found.setdefault(parts[1], {})[parts[2]] = request.form.get(name, "")
        return found

    def service_arguments(self):
        """(quantities, reason) for deliveries.confirm_stop from the outcome chosen."""
        reason = self.reason.data or None
        if self.outcome.data in ("full", "door"):
            return None, None
        if self.outcome.data == "not_delivered":
            if not reason:
                raise ValidationError(gettext("Say why nothing was delivered."), field="reason")
            return {}, reason
        return self.quantities(), reason
