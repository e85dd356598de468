"""Customer forms: staff create/edit, status, route, custom prices, the list filters, and the customer's profile."""
import re

from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from webapp.forms import FlaskForm
from webapp.forms.catalog import RupeesField

STATUS_CHOICES = [("active", "Active"), ("trial", "Trial"), ("paused", "Paused"), ("stopped", "Stopped")]


def boy_choices(boys, empty="— no delivery boy —"):
    return [("", empty)] + [(boy["_id"], boy["name"]) for boy in boys]


class CustomerForm(FlaskForm):
    """The person's details (create and edit)."""

    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    phone = StringField("Mobile number", validators=[DataRequired(), Length(max=20)])
    email = StringField("Email (optional)", validators=[Optional(), Length(max=254)])
    address = TextAreaField("Address", validators=[DataRequired(), Length(max=300)])
    area = StringField("Area", validators=[DataRequired(), Length(max=60)])


class NewCustomerForm(CustomerForm):
    status = SelectField("Status", choices=STATUS_CHOICES)
    delivery_boy_id = SelectField("Delivery boy", choices=[], validate_choice=False)
    stop = StringField("Stop number on his route (empty: at the end)", validators=[Optional(), Length(max=6)])

    def __init__(self, *args, boys=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.delivery_boy_id.choices = boy_choices(boys)


class StatusForm(FlaskForm):
    status = SelectField("Status", choices=STATUS_CHOICES)


class RouteForm(FlaskForm):
    delivery_boy_id = SelectField("Delivery boy", choices=[], validate_choice=False)
    stop = StringField("Stop number (empty: at the end)", validators=[Optional(), Length(max=6)])

    def __init__(self, *args, boys=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.delivery_boy_id.choices = boy_choices(boys)


class MoveForm(FlaskForm):
    """The up/down buttons on a route (htmx)."""

    direction = HiddenField(validators=[DataRequired()])


def custom_prices_form(products, customer, formdata=None):
    """A form with one optional rupee field per product, named `price_<product id>`."""

    class CustomPricesForm(FlaskForm):
        def prices_paise(self):
            """{product_id: paise} for the filled-in fields."""
            return {product["_id"]: self[f"price_{product['_id']}"].paise for product in products
                    if self[f"price_{product['_id']}"].paise is not None}

        def price_fields(self):
            return [(product, self[f"price_{product['_id']}"]) for product in products]

    current = customer.get("custom_prices") or {}
    for product in products:
        setattr(CustomPricesForm, f"price_{product['_id']}", RupeesField(
            f"{product['name']} ({product['unit']})", validators=[Optional()],
            default=f"{current[product['_id']] / 100:.2f}" if product["_id"] in current else None,
        ))
    return CustomPricesForm(formdata=formdata) if formdata is not None else CustomPricesForm()


class CustomerFilterForm(FlaskForm):
    """The list's search and filters, read from the query string (no CSRF: it only reads)."""

    class Meta:
        csrf = False

    q = StringField("Search name, phone or area", validators=[Optional(), Length(max=60)])
    status = SelectField("Status", choices=[("", "Any status")] + STATUS_CHOICES, validate_choice=False)
    area = SelectField("Area", choices=[], validate_choice=False)
    boy = SelectField("Delivery boy", choices=[], validate_choice=False)
    page = StringField(validators=[Optional()])

    def offer(self, areas, boys):
        """Fill the area and delivery boy choices (known once the list is read)."""
        self.area.choices = [("", "Any area")] + [(area, area) for area in areas]
        self.boy.choices = [("", "Any delivery boy"), ("none", "No delivery boy")] + boy_choices(boys)[1:]

    def page_number(self):
        text = (self.page.data or "").strip()
        return int(text) if re.fullmatch(r"[0-9]{1,6}", text) else 1


class ProfileForm(FlaskForm):
    """What a customer may change himself."""

    phone = StringField("Mobile number", validators=[DataRequired(), Length(max=20)])
    address = TextAreaField("Delivery address", validators=[DataRequired(), Length(max=300)])
