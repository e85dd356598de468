"""The business profile (the dairy's details on every bill, and its logo); sending bills on WhatsApp."""
from flask import request
from flask_wtf import FlaskForm as UnprotectedForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from webapp.forms import FlaskForm
from webapp.forms.billing import MONTH
from webapp.services.business_profile import MAX_LOGO_BYTES


class BusinessProfileForm(FlaskForm):
    name = StringField("Dairy name", validators=[DataRequired(), Length(max=80)])
    address = TextAreaField("Address", validators=[Length(max=300)], render_kw={"rows": 3})
    phone = StringField("Phone", validators=[Length(max=20)], render_kw={"inputmode": "tel"})
    gstin = StringField("GSTIN (optional)", validators=[Length(max=20)])
    fssai = StringField("FSSAI licence number (optional)", validators=[Length(max=20)],
                        render_kw={"inputmode": "numeric"})
    upi_id = StringField("UPI ID (VPA)", validators=[Length(max=130)], render_kw={"placeholder": "dairy@okhdfcbank"})
    payee_name = StringField("Payee name (as the UPI app shows it)", validators=[Length(max=80)])
    footer = TextAreaField("Bill footer", validators=[Length(max=500)], render_kw={"rows": 3})

    def values(self):
        return {name: self[name].data or "" for name in
                ("name", "address", "phone", "gstin", "fssai", "upi_id", "payee_name", "footer")}


class LogoForm(FlaskForm):
    """The logo upload: the file part is read here (the browser form's fields are strings only); the service
    decides whether the bytes are an image it takes."""

    def logo_bytes(self):
        upload = request.files.get("logo")
        # One byte over the limit is enough for the service to refuse a file that is too big.
        return upload.read(MAX_LOGO_BYTES + 1) if upload else b""


class RemoveLogoForm(FlaskForm):
    """Take the logo off the bills: the button is the decision."""


class SendBillForm(FlaskForm):
    """Send one bill on WhatsApp: the bill is in the URL."""


class SendMonthForm(UnprotectedForm):
    """A GET form (the month in the URL, so the page survives a reload): no CSRF token."""

    class Meta:
        csrf = False

    month = StringField("Month", validators=[DataRequired(), MONTH], render_kw={"type": "month"})
