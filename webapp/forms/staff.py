"""Staff login forms (admin only)."""
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from webapp.forms import FlaskForm

STAFF_ROLE_CHOICES = [
    ("delivery_boy", "Delivery boy"),
    ("marketing", "Marketing"),
    ("support", "Support"),
    ("supplier", "Supplier"),
    ("admin", "Admin"),
]


class StaffForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    email = StringField("Email", validators=[DataRequired(), Length(max=254)])
    phone = StringField("Mobile number", validators=[Optional(), Length(max=20)])
    role = SelectField("Role", choices=STAFF_ROLE_CHOICES)
