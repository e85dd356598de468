"""Order forms: shapes only (the orders service checks quantities, dates, products and the cut-off)."""
from flask_babel import gettext, lazy_gettext as _l
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, SelectField, SelectMultipleField, StringField
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.forms import FlaskForm
from webapp.template_helpers import rupees as format_rupees

ITEM_ROWS = 3
PATTERN_CHOICES = [("daily", _l("Every day")), ("alternate", _l("Every second day")),
                   ("weekly", _l("On chosen weekdays")), ("custom", _l("On chosen dates"))]
WEEKDAY_CHOICES = [("0", _l("Mon")), ("1", _l("Tue")), ("2", _l("Wed")), ("3", _l("Thu")), ("4", _l("Fri")),
                   ("5", _l("Sat")), ("6", _l("Sun"))]


class ItemForm(Form):
    """One line: a product and how many."""

    product_id = SelectField(_l("Product"), choices=[], validate_choice=False)
    qty = StringField(_l("Quantity"), validators=[Length(max=12)], render_kw={"inputmode": "numeric"})


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class OrderForm(FlaskForm):
    """Shared part: the lines."""

    items = FieldList(FormField(ItemForm), min_entries=ITEM_ROWS, max_entries=ITEM_ROWS)

    def __init__(self, *args, products=(), prices=None, **kwargs):
        """`prices`: {product_id: paise} the customer pays, when it is his own form (else the list prices)."""
        super().__init__(*args, **kwargs)
        choices = [("", gettext("— choose —"))] + [
            (p["_id"], f"{p['name']} ({p['unit']}) — {price_text(p, prices)}") for p in products]
        for entry in self.items.entries:
            entry.product_id.choices = choices

    def item_list(self):
        """[{product_id, qty}] from the filled lines (a line without a product is ignored)."""
        return [{"product_id": entry.product_id.data, "qty": entry.qty.data}
                for entry in self.items.entries if entry.product_id.data]


def price_text(product, prices):
    """'₹30.00 each', or '₹28.00 each, your price (list ₹30.00)'."""
    own = (prices or {}).get(product["_id"], product["price_paise"])
    if own == product["price_paise"]:
        return gettext("%(price)s each", price=format_rupees(own))
    return gettext("%(price)s each, your price (list %(list)s)", price=format_rupees(own),
                   list=format_rupees(product["price_paise"]))


class OneTimeOrderForm(OrderForm):
    delivery_date = StringField(_l("Delivery date"), render_kw={"type": "date"})


class SubscriptionForm(OrderForm):
    pattern = SelectField(_l("How often"), choices=PATTERN_CHOICES, validate_choice=False)
    weekdays = CheckboxesField(_l("Weekdays"), choices=WEEKDAY_CHOICES, validate_choice=False)
    dates = StringField(_l("Dates (for chosen dates)"), validators=[Length(max=4000)],
                        render_kw={"placeholder": "2026-03-14, 2026-03-21"})
    start_date = StringField(_l("Start date"), render_kw={"type": "date"})
    end_date = StringField(_l("End date (optional)"), render_kw={"type": "date"})
    draft = BooleanField("Save as a draft (nothing arrives until it is activated)")
    override_cutoff = BooleanField("Override the cut-off (start on a day already closed)")
    reason = StringField("Reason (after the cut-off; the delivery boy sees it)", validators=[Length(max=200)])

    def pattern_data(self):
        dates = [d for d in (self.dates.data or "").replace(",", " ").split() if d]
        return {"kind": self.pattern.data, "weekdays": self.weekdays.data or [], "dates": dates}


class OverrideForm(FlaskForm):
    """Staff only: act after the cut-off (audited)."""

    override_cutoff = BooleanField("Override the cut-off")


class DayItemForm(Form):
    product_id = HiddenField()
    qty = StringField(_l("Quantity"), validators=[Length(max=12)], render_kw={"inputmode": "numeric"})


class DayForm(OverrideForm):
    """One subscription on one day: a quantity per product, or skip the day."""

    items = FieldList(FormField(DayItemForm), min_entries=0, max_entries=20)
    skip = BooleanField(_l("Skip this day"))

    def item_list(self):
        if self.skip.data:
            return [{"product_id": entry.product_id.data, "qty": 0} for entry in self.items.entries]
        return [{"product_id": entry.product_id.data, "qty": entry.qty.data} for entry in self.items.entries]


class PauseForm(OverrideForm):
    first_day = StringField(_l("From"), render_kw={"type": "date"})
    last_day = StringField(_l("Until (leave empty: until I resume)"), render_kw={"type": "date"})
    reason = StringField(_l("Reason (optional)"), validators=[Length(max=200)])


class ResumeForm(OverrideForm):
    day = StringField(_l("Deliver again from"), render_kw={"type": "date"})


class StopForm(OverrideForm):
    from_day = StringField(_l("Stop from (empty: the first day still open)"), render_kw={"type": "date"})


class AreaSkipForm(OverrideForm):
    day = StringField("Date", render_kw={"type": "date"})
    area = SelectField("Area", choices=[], validate_choice=False)
    reason = StringField("Reason customers will see", validators=[Length(max=120)],
                         render_kw={"placeholder": "Heavy rain, Holi, transport strike…"})

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.area.choices = [("", "Everyone")] + [(a, a) for a in areas]


class OrderFilterForm(FlaskForm):
    """The staff order list's filters (GET, no CSRF)."""

    class Meta:
        csrf = False

    kind = SelectField("Kind", choices=[("", "All kinds"), ("SUBSCRIPTION", "Subscriptions"),
                                        ("ONE_TIME", "One-time")], validate_choice=False)
    status = SelectField("Status", choices=[("", "Any status")] + [(s, s.replace("_", " ").title()) for s in (
        "ACTIVE", "PAUSED", "DRAFT", "STOPPED", "PENDING", "DELIVERED", "PARTIALLY_DELIVERED", "NOT_DELIVERED",
        "CANCELLED")], validate_choice=False)
    customer = StringField("Customer (name or id)", validators=[Optional(), Length(max=80)])
    area = SelectField("Area", choices=[], validate_choice=False)
    day = StringField("Brings something on", render_kw={"type": "date"})

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.area.choices = [("", "All areas")] + [(a, a) for a in areas]


def day_forms(cell):
    """{order_id: DayForm} for the orders whose quantities may be changed on a calendar day (the read model's
    `editable`), filled with that day's quantities."""
    forms = {}
    for entry in cell["entries"]:
        if not entry["editable"]:
            continue
        order = entry["order"]
        items = [{"product_id": item["product_id"], "qty": str(entry["quantities"].get(item["product_id"], 0))}
                 for item in order["items"]]
        forms[order["_id"]] = DayForm(formdata=None, data={"items": items}, prefix=order["_id"])
    return forms
