"""Staff, delivery boy and supplier logins (admin only): create, deactivate, reset a password by link; and
lifting any login's sign-in delays."""
from flask import flash, render_template, request, url_for

from webapp.blueprints.admin import bp
from webapp.forms import apply_service_error
from webapp.forms.staff import StaffForm
from webapp.htmx import redirect_after_post
from webapp.net import current_actor
from webapp.security import allow
from webapp.services import ValidationError, accounts


@bp.get("/team")
@allow("admin")
def team():
    """Every login that is not a customer, with its state."""
    return render_template("admin/staff/list.html", users=accounts.list_logins())


@bp.route("/team/new", methods=["GET", "POST"])
@allow("admin")
def new_staff():
    """Create a login; the page then shows its set-password link."""
    form = StaffForm()
    if form.validate_on_submit():
        try:
            user, invite_url = accounts.create_staff(form.email.data, form.name.data, form.role.data,
                                                     form.phone.data, actor=current_actor())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            return render_template("admin/staff/invite.html", user=user, invite_url=invite_url, created=True)
    return render_template("admin/staff/form.html", form=form), 422 if form.errors else 200


@bp.post("/team/<user_id>/active")
@allow("admin")
def staff_active(user_id):
    """Deactivate a login (its open sessions end at once) or reactivate it."""
    accounts.set_active(user_id, request.form.get("active") == "1", actor=current_actor())
    return redirect_after_post(url_for("admin.team"))


@bp.post("/team/<user_id>/reset")
@allow("admin")
def staff_reset(user_id):
    """Issue a new set-password link (the previous link stops working)."""
    invite_url = accounts.create_invite(user_id, actor=current_actor())
    return render_template("admin/staff/invite.html", user=accounts.get_user(user_id), invite_url=invite_url,
                           created=False)


@bp.post("/logins/<user_id>/sign-in-delays")
def lift_sign_in_delays(user_id):
    """Let a login sign in again at once after failed attempts (staff for customers, admin for the others)."""
    user = accounts.lift_sign_in_delays(user_id, actor=current_actor())
    flash(f"{user['name']} can sign in again at once.")
    if user.get("customer_id"):
        return redirect_after_post(url_for("admin.customer", customer_id=user["customer_id"]))
    return redirect_after_post(url_for("admin.team"))
