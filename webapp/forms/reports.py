"""Report, export and audit-browser filters (GET forms, in the URL so a view can be bookmarked: no CSRF token), and
the purchase form (a POST, with its token)."""
from flask_wtf import FlaskForm as UnprotectedForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from webapp.forms import FlaskForm

DAY = {"type": "date"}


class RangeForm(UnprotectedForm):
    """A report's date range (the service checks the days) and, for sales, per day or per month."""

    class Meta:
        csrf = False

    first_day = StringField("From", render_kw=DAY)
    last_day = StringField("To", render_kw=DAY)
    per = SelectField("Per", choices=[("day", "Day"), ("month", "Month")], default="day", validate_choice=False)


class AuditFilterForm(UnprotectedForm):
    class Meta:
        csrf = False

    who = StringField("Who (login id or email)", validators=[Length(max=120)])
    action = SelectField("Action", choices=[("", "Any action")], default="", validate_choice=False)
    entity = SelectField("Record", choices=[("", "Any record")], default="", validate_choice=False)
    entity_id = StringField("Record id", validators=[Length(max=80)])
    first_day = StringField("From", render_kw=DAY)
    last_day = StringField("To", render_kw=DAY)

    def set_choices(self, actions, entities):
        self.action.choices = [("", "Any action")] + [(a, a) for a in actions]
        self.entity.choices = [("", "Any record")] + [(e, e) for e in entities]


class PurchaseForm(FlaskForm):
    date = StringField("Date received", validators=[DataRequired()], render_kw=DAY)
    product_id = SelectField("Product", choices=[], validate_choice=False)
    qty = StringField("Quantity received", validators=[DataRequired()], render_kw={"inputmode": "numeric"})

    def set_products(self, products):
        self.product_id.choices = [("", "Choose a product")] + [(p["_id"], f"{p['name']} ({p['unit']})")
                                                                for p in products]
