"""The customer's own profile: he sees and changes his address and phone, nobody else's."""
from flask import flash, render_template, url_for

from webapp import htmx
from webapp.blueprints.customer import bp
from webapp.forms import apply_service_error
from webapp.forms.customers import ProfileForm
from webapp.net import current_actor
from webapp.services import ValidationError, customers


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    """Show and edit my address and mobile number."""
    customer = customers.own_profile(actor=current_actor())
    form = ProfileForm(data=customer)
    if form.validate_on_submit():
        try:
            customers.update_own_profile(form.address.data, form.phone.data, actor=current_actor())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            flash("Your profile is saved.")
            return htmx.redirect_after_post(url_for("customer.profile"))
    return render_template("customer/profile/show.html", form=form, customer=customer), 422 if form.errors else 200
