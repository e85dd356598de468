"""The customer's own profile: he sees and changes his address and phone, nobody else's, and the language his
pages speak."""
from flask import flash, render_template, url_for
from flask_babel import gettext

from webapp import htmx, i18n
from webapp.blueprints.customer import bp
from webapp.forms import apply_service_error
from webapp.forms.customers import ProfileForm
from webapp.forms.language import LanguageForm
from webapp.net import current_actor
from webapp.services import ValidationError, accounts, customers


def profile_page(customer, form, language_form, status=200):
    return render_template("customer/profile/show.html", form=form, customer=customer, language_form=language_form,
                           language_action=url_for("customer.set_language")), status


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    """Show and edit my address and mobile number."""
    customer = customers.own_profile(actor=current_actor())
    form = ProfileForm(data=customer)
    if form.validate_on_submit():
        try:
            customers.update_own_profile(form.address.data, form.phone.data, delivery_note=form.delivery_note.data,
                                         actor=current_actor())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            flash(gettext("Your profile is saved."))
            return htmx.redirect_after_post(url_for("customer.profile"))
    language_form = LanguageForm(formdata=None, data={"language": i18n.language()})
    return profile_page(customer, form, language_form, 422 if form.errors else 200)


@bp.post("/profile/language")
def set_language():
    """Keep the language my pages speak."""
    language_form = LanguageForm()
    if language_form.validate_on_submit():
        try:
            accounts.set_language(language_form.language.data, actor=current_actor())
        except ValidationError as error:
            apply_service_error(language_form, error)
        else:
            return htmx.redirect_after_post(url_for("customer.profile"))
    customer = customers.own_profile(actor=current_actor())
    return profile_page(customer, ProfileForm(formdata=None, data=customer), language_form, 422)
