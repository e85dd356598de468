"""Product forms. Prices are typed in rupees (32.50) and handed to services in paise."""
import re
from decimal import Decimal, InvalidOperation

from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from webapp.forms import FlaskForm


def parse_rupees(text):
    """'123.45' / '₹1,234' → paise; ValueError for anything else (at most two decimals)."""
    cleaned = re.sub(r"[₹,\s]", "", str(text or ""))
    if not re.fullmatch(r"-?\d+(\.\d{1,2})?", cleaned):
        raise ValueError("not an amount")
    try:
        return int((Decimal(cleaned) * 100).to_integral_exact())
    except InvalidOperation:
        raise ValueError("not an amount") from None


class RupeesField(StringField):
    """Text like 32.50 or ₹1,250 → integer paise in `.paise` (None when empty); anything else is a field error."""

    paise = None

    def pre_validate(self, form):
        text = (self.data or "").strip()
        self.paise = None
        if not text:
            return
        try:
            self.paise = parse_rupees(text)
        except ValueError:
            raise ValidationError("Enter an amount in rupees, like 32.50.") from None
        if self.paise <= 0:
            raise ValidationError("The amount must be more than zero.")


class ProductForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    unit = StringField("Unit", validators=[DataRequired(), Length(max=60)],
                       description="As the customer sees it, e.g. 500 ml packet")
    price_paise = RupeesField("Price (₹)", validators=[DataRequired()])


class BottleDepositForm(FlaskForm):
    """A product sold in a returnable bottle or crate, and the deposit per bottle."""

    returnable = BooleanField("Returnable bottle or crate")
    deposit = RupeesField("Deposit per bottle (₹)", validators=[Optional()])
