from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from webapp.forms import FlaskForm
from webapp.services import validate

# The service's rule (validate.password) says the rest: how hard to guess.
NEW_PASSWORD_LENGTH = [Length(min=validate.MIN_PASSWORD_LENGTH,
                              message=f"Choose a password of at least {validate.MIN_PASSWORD_LENGTH} characters."),
                       Length(max=validate.MAX_PASSWORD_LENGTH, message="That password is too long.")]
NEW_PASSWORD_HINT = (f"At least {validate.MIN_PASSWORD_LENGTH} characters, hard to guess: three or four uncommon "
                     "words work well; not your name or mobile number.")


class LoginForm(FlaskForm):
    login = StringField("Email or mobile number", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class SetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired(), *NEW_PASSWORD_LENGTH],
                             description=NEW_PASSWORD_HINT)
    confirm = PasswordField(
        "Repeat the password", validators=[DataRequired(), EqualTo("password", "The two passwords differ.")]
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=200)])
    password = PasswordField("New password", validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        "Repeat the new password", validators=[DataRequired(), EqualTo("password", "The two passwords differ.")]
    )
