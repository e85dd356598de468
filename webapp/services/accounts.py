"""Logins: users, passwords, invites, sessions."""
import re
import secrets
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError
from werkzeug.security import check_password_hash, generate_password_hash

from webapp import clock
from webapp.db import get_db
from webapp.services import ROLES, Actor, Conflict, Forbidden, NotFound, ValidationError, uow, validate
from webapp.urls import external_url

INVITE_SALT = "earlybird.invite"
STAFF_CREATABLE = ("admin", "marketing", "support", "delivery_boy", "supplier")
LINK_USED = "This link has already been used. Ask for a new one if you need it."
LINK_EXPIRED = "This link has expired. Ask for a new one."


def hash_password(plain):
    return generate_password_hash(plain, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


def clean_user_fields(email, name, role, phone):
    errors = validate.Errors()
    email = errors.check("email", validate.email, email)
    name = errors.check("name", validate.text, name, "name", label="Name", max_length=100)
    phone = errors.check("phone", validate.phone, phone) if phone not in (None, "") else None
    if role not in ROLES:
        errors.add("role", "Choose a role.")
    errors.raise_if_any()
    return email, name, phone


def new_user_doc(u, email, name, role, phone, *, password_hash=None, customer_id=None):
    """A login document for `insert_user`; `u.actor` is its creator."""
    return {
        "_id": u.new_id("US"),
        "email": email,
        "name": name,
        "phone": phone,
        "role": role,
        "password_hash": password_hash,
        "active": True,
        "customer_id": customer_id,
        "session_epoch": 0,
        "created_at": clock.now(),
        "created_by": u.actor.id,
    }


def duplicate_login(error):
    """The field error for a DuplicateKeyError on users ('email' or 'phone')."""
    key = (getattr(error, "details", None) or {}).get("keyPattern") or {}
    field = next(iter(key), None) or "email"
    label = {"email": "email address", "phone": "phone number"}.get(field, field)
    return ValidationError(f"A login with this {label} already exists.", field=field)


def insert_user(u, doc):
    """Insert a login inside unit of work `u`; a duplicate email or phone becomes a field error (and aborts it)."""
    try:
        u.db.users.insert_one(doc)
    except DuplicateKeyError as error:
        raise duplicate_login(error) from None
    return doc


def create_user(email, name, role, phone=None, *, password=None, actor):
    """Create a staff, delivery boy or supplier login (customers come from customers.create_customer)."""
    actor.require("admin")
    email, name, phone = clean_user_fields(email, name, role, phone)
    if role not in STAFF_CREATABLE:
        raise ValidationError("Customers are created from the customer form.", field="role")
    password_hash = hash_password(validate.password(password)) if password is not None else None

    def work(u):
        user = insert_user(u, new_user_doc(u, email, name, role, phone, password_hash=password_hash))
        u.record("user.create", "user", user["_id"], f"Created {role} login {email}")
        return user

    return uow.run(actor, work)


def create_staff(email, name, role, phone=None, *, actor):
    """Create a staff, delivery boy or supplier login with no password; returns (user, set-password link)."""
    def work(u):
        user = create_user(email, name, role, phone, actor=actor)
        return user, create_invite(user["_id"], actor=actor)

    return uow.run(actor, work)


def set_password_for_demo(user_id, password, *, actor):
    """Give a demo login a known password. Only the demo seeding (system actor) may; people get invite links."""
    if not actor.is_system:
        raise Forbidden("Only the demo seeding sets passwords directly.")
    password_hash = hash_password(validate.password(password))

    def work(u):
        if not u.db.users.update_one({"_id": user_id}, {"$set": {"password_hash": password_hash}}).matched_count:
            raise NotFound("No such user.")
        u.record("user.set_password", "user", user_id, "Demo password set")

    uow.run(actor, work)


def update_contact(u, user_id, fields):
    """Copy a customer's name/phone/email onto his login inside the customers service's unit of work
    (which checked permission and records the audit entry); a taken phone or email is a field error."""
    try:
        u.db.users.update_one({"_id": user_id}, {"$set": fields})
    except DuplicateKeyError as error:
        raise duplicate_login(error) from None


def delete_login(u, user_id):
    """Remove a customer's login with his customer record, inside the customers service's unit of work."""
    u.db.users.delete_one({"_id": user_id, "role": "customer"})


def list_logins():
    """Every login but customers', active first, by role and name."""
    return list(get_db().users.find({"role": {"$ne": "customer"}}).sort([("active", -1), ("role", 1), ("name", 1)]))


def delivery_boys(active_only=True):
    """Delivery boy logins by name (for route assignment and filters)."""
    query = {"role": "delivery_boy", **({"active": True} if active_only else {})}
    return list(get_db().users.find(query).sort("name", 1))


def get_user(user_id):
    user = get_db().users.find_one({"_id": user_id})
    if user is None:
        raise NotFound("No such user.")
    return user


def user_for_session(user_id, epoch):
    """The active user whose session epoch matches, or None (deactivated or signed out everywhere)."""
    return get_db().users.find_one({"_id": user_id, "active": True, "session_epoch": epoch})


def authenticate(login, password, *, ip=None):
    """The active user with this email or phone and password, or None. Success and failure are audited."""
    login = (login or "").strip().lower()
    looks_like_phone = re.sub(r"[\s\-()]", "", login).lstrip("+").isdigit()
    try:
        query = {"phone": validate.phone(login)} if looks_like_phone else {"email": login}
    except ValidationError:
        query = None
    user = get_db().users.find_one(query) if login and query else None
    ok = bool(
        user and user.get("active") and user.get("password_hash")
        and check_password_hash(user["password_hash"], password or "")
    )
    actor = Actor.for_user(user, ip) if ok else Actor("system", "login", "anonymous", ip)
    uow.run(actor, lambda u: u.record("login.success" if ok else "login.failure", "user",
                                      user["_id"] if user else None,
                                      f"Login {'succeeded' if ok else 'failed'} for {login!r}"))
    return user if ok else None


def set_active(user_id, active, *, actor):
    """Deactivate (ends every open session at once) or reactivate a login."""
    actor.require("admin")
    if user_id == actor.id and not active:
        raise Conflict("You cannot deactivate your own login.")
    update = {"$set": {"active": bool(active)}}
    if not active:
        update["$inc"] = {"session_epoch": 1}

    def work(u):
        user = u.db.users.find_one_and_update({"_id": user_id}, update)
        if user is None:
            raise NotFound("No such user.")
        u.record("user.activate" if active else "user.deactivate", "user", user_id,
                 f"{'Reactivated' if active else 'Deactivated'} {user['email'] or user['name']}")

    uow.run(actor, work)


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=INVITE_SALT)


def create_invite(user_id, *, actor):
    """A one-time, expiring link for the user to choose a password. A new invite voids the old one."""
    if not actor.is_system:
        actor.require("admin", "marketing", "support")
    nonce = secrets.token_urlsafe(16)
    hours = current_app.config["INVITE_MAX_AGE_HOURS"]

    def work(u):
        user = u.db.users.find_one_and_update(
            {"_id": user_id},
            {"$set": {"invite": {"nonce": nonce, "expires_at": clock.now() + timedelta(hours=hours)}}},
        )
        if user is None:
            raise NotFound("No such user.")
        if user["role"] != "customer":
            actor.require("admin")
        u.record("user.invite", "user", user_id, f"Issued a set-password link ({hours} h)")

    uow.run(actor, work)
    return external_url("auth.invite", token=_serializer().dumps({"u": user_id, "n": nonce}))


def check_invite(token):
    """The user an invite token is for and its nonce; NotFound if not valid, Conflict if expired or used."""
    try:
        payload = _serializer().loads(token, max_age=current_app.config["INVITE_MAX_AGE_HOURS"] * 3600)
    except SignatureExpired:
        raise Conflict(LINK_EXPIRED) from None
    except BadSignature:
        raise NotFound("This link is not valid.") from None
    user = get_db().users.find_one({"_id": payload.get("u")})
    if user is None:
        raise NotFound("This link is not valid.")
    invite = user.get("invite") or {}
    if invite.get("nonce") != payload.get("n"):
        raise Conflict(LINK_USED)
    if invite["expires_at"] <= clock.now():
        raise Conflict(LINK_EXPIRED)
    return user, payload["n"]


def accept_invite(token, password):
    """Set the password through an invite link: password set, link used up and every open session ended,
    in one unit of work. The link works once."""
    user, nonce = check_invite(token)
    password_hash = hash_password(validate.password(password))

    def work(u):
        updated = u.db.users.find_one_and_update(
            {"_id": user["_id"], "invite.nonce": nonce},
            {"$set": {"password_hash": password_hash}, "$unset": {"invite": ""}, "$inc": {"session_epoch": 1}},
            return_document=ReturnDocument.AFTER,
        )
        if updated is None:  # another tab used it a moment ago
            raise Conflict(LINK_USED)
        u.record("user.set_password", "user", user["_id"], "Password set via invite link")
        return updated

    return uow.run(Actor.for_user(user), work)
