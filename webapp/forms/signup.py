"""A person signs up as a customer himself."""
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from webapp.forms import FlaskForm
from webapp.forms.auth import NEW_PASSWORD_HINT, NEW_PASSWORD_LENGTH


class SignupForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=100)])
    phone = StringField("Mobile number", validators=[DataRequired(), Length(max=20)])
    address = TextAreaField("Delivery address", validators=[DataRequired(), Length(max=300)])
    area = StringField("Area / locality", validators=[Optional(), Length(max=60)])
    password = PasswordField("Password", validators=[DataRequired(), *NEW_PASSWORD_LENGTH],
                             description=NEW_PASSWORD_HINT)
    confirm = PasswordField(
        "Repeat the password", validators=[DataRequired(), EqualTo("password", "The two passwords differ.")]
    )
