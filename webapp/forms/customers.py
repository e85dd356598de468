"""Customer forms: staff create/edit, status, route, custom prices, the list filters, and the customer's profile."""
import re
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from webapp import clock
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
    delivery_note = StringField("Note for the delivery boy (optional)", validators=[Optional(), Length(max=200)])


class NewCustomerForm(CustomerForm):
    status = SelectField("Status", choices=STATUS_CHOICES)
    delivery_boy_id = SelectField("Delivery boy", choices=[], validate_choice=False)
    stop = StringField("Stop number on his route (empty: at the end)", validators=[Optional(), Length(max=6)])

    def __init__(self, *args, boys=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.delivery_boy_id.choices = boy_choices(boys)


class StatusForm(FlaskForm):
    """The status governs every order of his, from the first open day unless staff choose a day."""

    status = SelectField("Status", choices=STATUS_CHOICES)
    from_day = StringField("From (empty: the first day still open)", render_kw={"type": "date"})
    reason = StringField("Reason the customer sees", validators=[Length(max=200)])
    override_cutoff = BooleanField("Override the cut-off (a day already closed; give the reason)")


class AwayForm(FlaskForm):
    """Away from … to …: no deliveries to the whole household for those days."""

    first_day = StringField(_l("Away from"), render_kw={"type": "date"})
    last_day = StringField(_l("Back on (deliveries start again that day)"), render_kw={"type": "date"})
    reason = StringField(_l("Note (optional)"), validators=[Length(max=200)])
    override_cutoff = BooleanField("Override the cut-off (a day already closed; give the reason)")


class AwayChangeForm(FlaskForm):
    """Move the day the household is back, or call the trip off (`call_off`)."""

    last_day = StringField(_l("Back on"), render_kw={"type": "date"})
    reason = StringField("Reason (after the cut-off)", validators=[Length(max=200)])
    override_cutoff = BooleanField("Override the cut-off")
    call_off = SubmitField(_l("Call the trip off"))

    def back_on(self):
        """The new return day, or None when the trip is called off."""
        return None if self.call_off.data else self.last_day.data


def away_forms(periods, failed=None):
    """The away section's forms: a new period, and one change form per period (prefixed by its id, so the
    page's element ids stay unique); `failed` = {hold_id or "new": the form that failed}."""
    failed = failed or {}
    changes = {}
    for period in periods:
        back_on = clock.parse_day(period["last_day"]) + timedelta(days=1)
        changes[period["hold_id"]] = failed.get(period["hold_id"]) or AwayChangeForm(
            formdata=None, prefix=period["hold_id"], data={"last_day": back_on.isoformat()})
    return {"away_periods": periods, "away_form": failed.get("new") or AwayForm(formdata=None, prefix="away"),
            "away_change_forms": changes}


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

    phone = StringField(_l("Mobile number"), validators=[DataRequired(), Length(max=20)])
    address = TextAreaField(_l("Delivery address"), validators=[DataRequired(), Length(max=300)])
    delivery_note = StringField(_l("Note for your delivery boy (optional)"), validators=[Optional(), Length(max=200)])
