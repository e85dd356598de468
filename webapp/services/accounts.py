"""Logins: users, passwords, invites, sessions."""
import secrets
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pymongo.errors import DuplicateKeyError
from werkzeug.security import check_password_hash, generate_password_hash

from webapp import clock
from webapp.db import get_db
from webapp.services import ROLES, Actor, Conflict, NotFound, ValidationError, audit, ids, validate
from webapp.urls import external_url

INVITE_SALT = "earlybird.invite"
STAFF_CREATABLE = ("admin", "marketing", "support", "delivery_boy", "supplier")


def hash_password(plain):
    return generate_password_hash(plain, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


def duplicate_field(error):
    """Which unique field a DuplicateKeyError is about ('email', 'phone', …)."""
    key = (getattr(error, "details", None) or {}).get("keyPattern") or {}
    return next(iter(key), None)


def clean_user_fields(email, name, role, phone, *, email_required=True):
    errors = validate.Errors()
    email = errors.check("email", validate.email, email, required=email_required)
    name = errors.check("name", validate.text, name, "name", label="Name", max_length=100)
    if phone not in (None, ""):
        phone = errors.check("phone", validate.phone, phone)
    else:
        phone = None
    if role not in ROLES:
        errors.add("role", "Choose a role.")
    errors.raise_if_any()
    return email, name, phone


def new_user_doc(email, name, role, phone, *, actor, password=None, customer_id=None):
    now = clock.now()
    return {
        "_id": ids.new_id("US"),
        "email": email,
        "name": name,
        "phone": phone,
        "role": role,
        "password_hash": hash_password(password) if password else None,
        "active": True,
        "customer_id": customer_id,
        "session_epoch": 0,
        "created_at": now,
        "created_by": actor.id,
    }


def insert_user(doc, *, session=None):
    """Insert a user document; a duplicate email or phone becomes a field error."""
    try:
        get_db().users.insert_one(doc, session=session)
    except DuplicateKeyError as error:
        field = duplicate_field(error) or "email"
        label = {"email": "email address", "phone": "phone number"}.get(field, field)
        raise ValidationError(f"A login with this {label} already exists.", field=field) from None
    return doc


def create_user(email, name, role, phone=None, *, password=None, actor):
    """Create a staff, delivery boy or supplier login (customers come from customers.create_customer)."""
    actor.require("admin")
    email, name, phone = clean_user_fields(email, name, role, phone)
    if role not in STAFF_CREATABLE:
        raise ValidationError("Customers are created from the customer form.", field="role")
    if password is not None:
        validate.password(password)
    user = insert_user(new_user_doc(email, name, role, phone, actor=actor, password=password))
    audit.record(actor, "user.create", "user", user["_id"], f"Created {role} login {email}")
    return user


def get_user(user_id):
    user = get_db().users.find_one({"_id": user_id})
    if user is None:
        raise NotFound("No such user.")
    return user


def user_for_session(user_id, epoch):
    """The active user whose session epoch matches, or None (deactivated or signed out everywhere)."""
    return get_db().users.find_one({"_id": user_id, "active": True, "session_epoch": epoch})


def authenticate(login, password, *, ip=None):
    """The active user with this email or phone and password, or None. Failures are audited."""
    login = (login or "").strip().lower()
    try:
        query = {"phone": validate.phone(login)} if login.lstrip("+").isdigit() else {"email": login}
    except ValidationError:
        query = None
    user = get_db().users.find_one(query) if login and query else None
    ok = bool(
        user and user.get("active") and user.get("password_hash")
        and check_password_hash(user["password_hash"], password or "")
    )
    actor = Actor.for_user(user, ip) if ok else Actor("system", "login", "anonymous", ip)
    audit.record(actor, "login.success" if ok else "login.failure", "user",
                 user["_id"] if user else None, f"Login {'succeeded' if ok else 'failed'} for {login!r}")
    return user if ok else None


def set_active(user_id, active, *, actor):
    """Deactivate (ends every open session at once) or reactivate a login."""
    actor.require("admin")
    if user_id == actor.id and not active:
        raise Conflict("You cannot deactivate your own login.")
    update = {"$set": {"active": bool(active)}}
    if not active:
        update["$inc"] = {"session_epoch": 1}
    user = get_db().users.find_one_and_update({"_id": user_id}, update)
    if user is None:
        raise NotFound("No such user.")
    audit.record(actor, "user.activate" if active else "user.deactivate", "user", user_id,
                 f"{'Reactivated' if active else 'Deactivated'} {user['email'] or user['name']}")


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=INVITE_SALT)


def create_invite(user_id, *, actor):
    """A one-time, expiring link for the user to choose a password. A new invite voids the old one."""
    if not actor.is_system:
        actor.require("admin", "marketing", "support")
    nonce = secrets.token_urlsafe(16)
    hours = current_app.config["INVITE_MAX_AGE_HOURS"]
    user = get_db().users.find_one_and_update(
        {"_id": user_id},
        {"$set": {"invite": {"nonce": nonce, "expires_at": clock.now() + timedelta(hours=hours)}}},
    )
    if user is None:
        raise NotFound("No such user.")
    if user["role"] != "customer":
        actor.require("admin")
    token = _serializer().dumps({"u": user_id, "n": nonce})
    audit.record(actor, "user.invite", "user", user_id, f"Issued a set-password link ({hours} h)")
    return external_url("auth.invite", token=token)


def check_invite(token):
    """The user an invite token is for; NotFound if not valid, Conflict if expired or used."""
    try:
        payload = _serializer().loads(token, max_age=current_app.config["INVITE_MAX_AGE_HOURS"] * 3600)
    except SignatureExpired:
        raise Conflict("This link has expired. Ask for a new one.") from None
    except BadSignature:
        raise NotFound("This link is not valid.") from None
    user = get_db().users.find_one({"_id": payload.get("u")})
    if user is None:
        raise NotFound("This link is not valid.")
    if (user.get("invite") or {}).get("nonce") != payload.get("n"):
        raise Conflict("This link has already been used. Ask for a new one if you need it.")
    return user, payload["n"]


def accept_invite(token, password):
    """Set the password through an invite link; the link works once."""
    user, nonce = check_invite(token)
    validate.password(password)
    updated = get_db().users.find_one_and_update(
        {"_id": user["_id"], "invite.nonce": nonce},
        {"$set": {"password_hash": hash_password(password)}, "$unset": {"invite": ""},
         "$inc": {"session_epoch": 1}},
    )
    if updated is None:  # another tab used it a moment ago
        raise Conflict("This link has already been used. Ask for a new one if you need it.")
    audit.record(Actor.for_user(updated), "user.set_password", "user", user["_id"], "Password set via invite link")
    updated["session_epoch"] += 1
    return updated
