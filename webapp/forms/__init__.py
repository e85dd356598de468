"""WTForms forms, one module per area. Forms check shape; services check rules."""
import flask_wtf
from babel.support import Translations
from flask import g, request
from flask_babel import get_locale

from webapp.i18n import TRANSLATIONS

FROM_REQUEST = object()  # the default `formdata`: the submitted form (Flask-WTF's own marker is private)


class FlaskForm(flask_wtf.FlaskForm):
    """Flask-WTF's form reading the submitted browser form alone: every value a string.

    Flask-WTF would also read a JSON body or file parts (numbers, lists, objects, files); the app refuses
    such requests (webapp/requests_guard.py) and the forms never look at them."""

    class Meta:
        def get_translations(self, form):
            """WTForms' own messages ("This field is required.") in the page's language, from the app's `wtforms`
            catalogues: WTForms ships none for Hindi or Gujarati. Loaded once per request."""
            if "wtforms_translations" not in g:
                g.wtforms_translations = Translations.load(TRANSLATIONS, [get_locale()], domain="wtforms")
            return g.wtforms_translations

        def wrap_formdata(self, form, formdata):
            if formdata is FROM_REQUEST:
                return (request.form or None) if form.is_submitted() else None
            return super().wrap_formdata(form, formdata)

    def __init__(self, formdata=FROM_REQUEST, **kwargs):
        super().__init__(formdata=formdata, **kwargs)
        if self.meta.csrf:
            self.csrf_token.id = False  # a page may carry several forms: their hidden tokens need no id


def apply_service_error(form, error):
    """Put a ServiceError's messages next to the fields they concern (else at the form's top)."""
    placed = False
    for field_name, message in error.errors.items():
        field = getattr(form, field_name, None) if field_name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [message]
            placed = True
    if not placed:
        form.form_errors.append(error.message)
    return form


__all__ = ["FlaskForm", "apply_service_error"]
