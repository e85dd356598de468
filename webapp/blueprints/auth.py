"""Signing in and out, and choosing a password through an invite link."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from webapp.auth_session import LoginUser
from webapp.extensions import limiter
from webapp.forms import apply_service_error
from webapp.forms.auth import LoginForm, SetPasswordForm
from webapp.forms.signup import SignupForm
from webapp.net import client_ip
from webapp.security import ANY_USER, PUBLIC, allow, audience_blueprint
from webapp.services import Conflict, NotFound, ValidationError, accounts, customers
from webapp.template_helpers import ROLE_HOME

bp = audience_blueprint("auth", __name__, url_prefix="/auth", roles={PUBLIC})


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def _submitted_login():
    return "login:" + (request.form.get("login") or "").strip().lower()


def _safe_next(target):
    """Only same-site paths: never redirect to another host after login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_submitted_login)
def login():
    """Sign in with email or mobile number and password."""
    if current_user.is_authenticated:
        return redirect(url_for(ROLE_HOME[current_user.role]))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.login.data, form.password.data, ip=client_ip())
        if user is not None:
            login_user(LoginUser(user))
            return redirect(_safe_next(request.args.get("next")) or url_for(ROLE_HOME[user["role"]]), code=303)
        form.password.errors.append("Wrong email/mobile number or password.")
        return render_template("auth/login.html", form=form), 422
    return render_template("auth/login.html", form=form), 422 if form.errors else 200


@bp.post("/logout")
@allow(ANY_USER)
def logout():
    """Sign out."""
    logout_user()
    flash("You are signed out.")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/invite/<token>", methods=["GET", "POST"])
def invite(token):
    """Choose a password through a one-time invite link."""
    try:
        user, _ = accounts.check_invite(token)
    except (NotFound, Conflict) as error:
        status = 404 if isinstance(error, NotFound) else 410
        return render_template("auth/invite_refused.html", message=error.message), status
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.accept_invite(token, form.password.data)
        except ValidationError as error:
            apply_service_error(form, error)
        except Conflict as error:
            return render_template("auth/invite_refused.html", message=error.message), 410
        else:
            logout_user()
            login_user(LoginUser(user))
            flash("Your password is set. Welcome to EarlyBird!")
            return redirect(url_for(ROLE_HOME[user["role"]]), code=303)
    status = 422 if form.errors else 200
    return render_template("auth/invite.html", form=form, user=user), status


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def signup():
    """A new customer signs up himself (a trial customer until staff assign his delivery boy)."""
    if current_user.is_authenticated:
        return redirect(url_for(ROLE_HOME[current_user.role]))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = customers.sign_up(form.name.data, form.phone.data, form.address.data, form.password.data,
                                     area=form.area.data, ip=client_ip())
        except ValidationError as error:
            apply_service_error(form, error)
        else:
            login_user(LoginUser(user))
            flash("Welcome to EarlyBird! We will call you to arrange your first delivery.")
            return redirect(url_for(ROLE_HOME[user["role"]]), code=303)
    return render_template("auth/signup.html", form=form), 422 if form.errors else 200
