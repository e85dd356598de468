"""The language a signed-in person's pages speak."""
from flask_babel import lazy_gettext
from wtforms import SelectField

from webapp.forms import FlaskForm
from webapp.i18n import LANGUAGES


class LanguageForm(FlaskForm):
    language = SelectField(lazy_gettext("Language"), choices=list(LANGUAGES.items()))
