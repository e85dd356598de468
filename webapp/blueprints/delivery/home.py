from flask import render_template, url_for

from webapp import htmx, i18n
from webapp.blueprints.delivery import bp
from webapp.forms import apply_service_error
from webapp.forms.language import LanguageForm
from webapp.net import current_actor
from webapp.services import ValidationError, accounts


def home_page(language_form, status=200):
    return render_template("delivery/home.html", language_form=language_form,
                           language_action=url_for("delivery.set_language")), status


@bp.get("/")
def home():
    """The delivery boy's home page: his round, and the language his pages speak."""
    return home_page(LanguageForm(data={"language": i18n.language()}))


@bp.post("/language")
def set_language():
    """Keep the language my pages speak."""
    form = LanguageForm()
    if form.validate_on_submit():
        try:
            accounts.set_language(form.language.data, actor=current_actor())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            return htmx.redirect_after_post(url_for("delivery.home"))
    return home_page(form, 422)
