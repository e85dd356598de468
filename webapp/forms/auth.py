from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from webapp.forms import FlaskForm
from webapp.services import validate

# The service's rule (validate.password) says the rest: how hard to guess.
NEW_PASSWORD_LENGTH = [Length(min=validate.MIN_PASSWORD_LENGTH,
                              message=_l("Choose a password of at least %(count)s characters.",
                                         count=validate.MIN_PASSWORD_LENGTH)),
                       Length(max=validate.MAX_PASSWORD_LENGTH, message=_l("That password is too long."))]
NEW_PASSWORD_HINT = _l("At least %(count)s characters, hard to guess: three or four uncommon words work well; not your "
                       "name or mobile number.", count=validate.MIN_PASSWORD_LENGTH)


class LoginForm(FlaskForm):
    login = StringField(_l("Email or mobile number"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), *NEW_PASSWORD_LENGTH],
                             description=NEW_PASSWORD_HINT)
    confirm = PasswordField(
        _l("Repeat the password"), validators=[DataRequired(), EqualTo("password", _l("The two passwords differ."))]
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        _l("Repeat the new password"), validators=[DataRequired(), EqualTo("password", _l("The two passwords differ."))]
    )
