"""Signing in and out, changing a password, choosing one through an invite or reset link, signing up."""
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, logout_user

from webapp.auth_session import known_device, remember_device, start_session
from webapp.extensions import limiter
from webapp.forms import apply_service_error
from webapp.forms.auth import ChangePasswordForm, LoginForm, SetPasswordForm
from webapp.forms.signup import SignupForm
from webapp.net import client_ip, current_actor
from webapp.security import ANY_USER, PUBLIC, allow, audience_blueprint
from webapp.services import Conflict, NotFound, ValidationError, accounts, customers, sign_in_guard
from webapp.template_helpers import ROLE_HOME

bp = audience_blueprint("auth", __name__, url_prefix="/auth", roles={PUBLIC})


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def _signup_limit():
    return current_app.config["SIGNUP_RATE_LIMIT"]


def submitted_identity(field="login"):
    """The normalised email or mobile number a request names, from its form or a JSON body (strings only),
    so every spelling of one login is one key."""
    value = request.form.get(field)
    if value is None and request.is_json:
        body = request.get_json(silent=True)
        value = body.get(field) if isinstance(body, dict) else None
    return sign_in_guard.identity(value)


def _submitted_phone():
    return "signup-phone:" + submitted_identity("phone")


def safe_next(target):
    """A same-site path to go to after signing in, or None.

    Browsers drop tabs and newlines from a URL, so `/<tab>/evil.test` would reach //evil.test: only printable
    ASCII without spaces or backslashes, starting with one slash, with no scheme or host, is accepted."""
    target = target.strip() if isinstance(target, str) else ""
    if not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(not 33 <= ord(char) <= 126 for char in target):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """Sign in with email or mobile number and password (held back a while after repeated failures)."""
    if current_user.is_authenticated:
        return redirect(url_for(ROLE_HOME[current_user.role]))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.login.data, form.password.data, ip=client_ip(), device=known_device())
        except sign_in_guard.SignInDelayed as delayed:
            apply_service_error(form, delayed)
            return render_template("auth/login.html", form=form), 429, {"Retry-After": str(delayed.retry_after)}
        if user is not None:
            start_session(user)
            response = redirect(safe_next(request.args.get("next")) or url_for(ROLE_HOME[user["role"]]), code=303)
            return remember_device(response, user)
        form.password.errors.append("Wrong email/mobile number or password.")
        return render_template("auth/login.html", form=form), 422
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


@bp.post("/logout")
@allow(ANY_USER)
def logout():
    """Sign out: every session of this login ends, a copied cookie included."""
    accounts.end_sessions(actor=current_actor())
    logout_user()
    flash("You are signed out.")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/password", methods=["GET", "POST"])
@allow(ANY_USER)
@limiter.limit(_login_limit, methods=["POST"])
def change_password():
    """Change one's own password; other devices signed in as him are signed out, this one stays in."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.change_password(form.current_password.data, form.password.data, actor=current_actor())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            start_session(user)
            flash("Your password is changed. Any other device signed in as you is signed out.")
            return redirect(url_for(ROLE_HOME[user["role"]]), code=303)
    return render_template("auth/change_password.html", form=form), 422 if form.errors else 200


@bp.route("/invite/<token>", methods=["GET", "POST"])
def invite(token):
    """Choose a password through a one-time invite or reset link."""
    try:
        user, _ = accounts.check_invite(token)
    except (NotFound, Conflict) as error:
        status = 404 if isinstance(error, NotFound) else 410
        return render_template("auth/invite_refused.html", message=error.message), status
    reset = user["invite"].get("purpose") == "reset"
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.accept_invite(token, form.password.data)
        except ValidationError as error:
            apply_service_error(form, error)
        except Conflict as error:
            return render_template("auth/invite_refused.html", message=error.message), 410
        else:
            start_session(user)
            flash("Your new password is set." if reset else "Your password is set. Welcome to EarlyBird!")
            return redirect(url_for(ROLE_HOME[user["role"]]), code=303)
    status = 422 if form.errors else 200
    return render_template("auth/invite.html", form=form, user=user, reset=reset), status


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_signup_limit, methods=["POST"])
@limiter.limit(_signup_limit, methods=["POST"], key_func=_submitted_phone)
def signup():
    """A new customer signs up himself (a trial customer until staff assign his delivery boy).

    A number that already has a login is answered exactly like a new one: the page must not tell who is a
    customer. Either way the person goes on to sign in."""
    if current_user.is_authenticated:
        return redirect(url_for(ROLE_HOME[current_user.role]))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            customers.sign_up(form.name.data, form.phone.data, form.address.data, form.password.data,
                              area=form.area.data, ip=client_ip())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            return redirect(url_for("auth.signed_up"), code=303)
    return render_template("auth/signup.html", form=form), 422 if form.errors else 200


@bp.get("/signup/thanks")
def signed_up():
    """After signing up: sign in next (a number that had an account already lands here too)."""
    return render_template("auth/signed_up.html")
