"""A person signs up as a customer himself."""
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from webapp.forms import FlaskForm
from webapp.forms.auth import NEW_PASSWORD_HINT, NEW_PASSWORD_LENGTH


class SignupForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=100)])
    phone = StringField(_l("Mobile number"), validators=[DataRequired(), Length(max=20)])
    address = TextAreaField(_l("Delivery address"), validators=[DataRequired(), Length(max=300)])
    area = StringField(_l("Area / locality"), validators=[Optional(), Length(max=60)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), *NEW_PASSWORD_LENGTH],
                             description=NEW_PASSWORD_HINT)
    confirm = PasswordField(
        _l("Repeat the password"), validators=[DataRequired(), EqualTo("password", _l("The two passwords differ."))]
    )
