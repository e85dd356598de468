"""Product forms. Prices are typed in rupees (32.50) and handed to services in paise."""
from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

from webapp.forms import FlaskForm
from webapp.money import parse_rupees


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
