"""Logins: users, passwords, invites and reset links, sessions, sign-in delays."""
import functools
import sys
import secrets
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError
from werkzeug.security import check_password_hash, generate_password_hash

from webapp import clock
from webapp.db import get_db
from webapp.services import ROLES, Actor, Conflict, Forbidden, NotFound, ValidationError, sign_in_guard, uow, validate
from webapp.urls import external_url

INVITE_SALT = "earlybird.invite"
STAFF_CREATABLE = ("admin", "marketing", "support", "delivery_boy", "supplier")
LINK_USED = "This link has already been used. Ask for a new one if you need it."
LINK_EXPIRED = "This link has expired. Ask for a new one."


def hash_method():
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")


def off_the_event_loop(func, *args):
    """Run a password hash (a tenth of a second of C, GIL released) in gevent's thread pool under gevent workers,
    so the worker's other connections are served meanwhile; a plain call elsewhere."""
    monkey = sys.modules.get("gevent.monkey")
    if monkey is not None and monkey.is_module_patched("socket"):
        import gevent

        return gevent.get_hub().threadpool.apply(func, args)
    return func(*args)


def hash_password(plain):
    return off_the_event_loop(generate_password_hash, plain, hash_method())


@functools.cache
def dummy_hash(method):
    """A hash of a random secret, made once per process like real ones, for logins that have none to check."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def checked_password(plain, user, field="password"):
    """The password under the policy, which refuses one made of the person's own name, email or phone."""
    return validate.password(plain, field, user_inputs=[user.get("name"), user.get("email"), user.get("phone")])


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
    person = {"name": name, "email": email, "phone": phone}
    password_hash = hash_password(checked_password(password, person)) if password is not None else None

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


def find_login(identity):
    """The login with this normalised email or mobile number (sign_in_guard.identity), or None."""
    if not identity:
        return None
    return get_db().users.find_one({"email" if "@" in identity else "phone": identity})


def authenticate(login, password, *, ip=None, device=None):
    """The active user with this email or mobile number and password, or None.

    Raises SignInDelayed, without checking the password, while failed attempts hold this login back from this
    address; `device` ({"user_id", "device_id"} from the known-device cookie) counts an attempt for its own
    user on that device alone. Success and failure are audited and counted in one unit of work."""
    identity = sign_in_guard.identity(login)
    user = find_login(identity)
    own_device = device and user and device["user_id"] == user["_id"]
    attempt_sources = sign_in_guard.sources(ip, device["device_id"] if own_device else None)
    sign_in_guard.check(identity, attempt_sources)
    stored_hash = user.get("password_hash") if user else None
    # Exactly one hash check whatever the login: an unknown one takes as long as a known one.
    matches = off_the_event_loop(check_password_hash, stored_hash or dummy_hash(hash_method()), password or "")
    ok = bool(matches and stored_hash and user.get("active"))
    actor = Actor.for_user(user, ip) if ok else Actor("system", "login", "anonymous", ip)

    def work(u):
        if ok:
            sign_in_guard.record_success(u, identity, attempt_sources)
        else:
            sign_in_guard.record_failure(u, identity, attempt_sources, user["_id"] if user else None)
        u.record("login.success" if ok else "login.failure", "user", user["_id"] if user else None,
                 f"Login {'succeeded' if ok else 'failed'} for {identity!r}")

    uow.run(actor, work)
    return user if ok else None


def end_sessions(*, actor):
    """Sign the actor out everywhere: his session epoch moves on, so a copy of any of his cookies stops working."""
    if actor.kind != "user":
        raise Forbidden("Only a signed-in person can sign out.")

    def work(u):
        if not u.db.users.update_one({"_id": actor.id}, {"$inc": {"session_epoch": 1}}).matched_count:
            raise NotFound("No such user.")
        u.record("user.sign_out", "user", actor.id, "Signed out; every open session ended")

    uow.run(actor, work)


def change_password(current_password, new_password, *, actor):
    """The signed-in person's new password, under the policy; ends every open session (his other devices
    too). Returns the updated login, to start this device's new session with."""
    if actor.kind != "user":
        raise Forbidden("Only a signed-in person can change a password.")
    user = get_user(actor.id)
    errors = validate.Errors()
    if not (user.get("password_hash") and off_the_event_loop(check_password_hash, user["password_hash"], current_password or "")):
        errors.add("current_password", "That is not your current password.")
    new_hash = errors.check("password", lambda: hash_password(checked_password(new_password, user)))
    errors.raise_if_any()

    def work(u):
        updated = u.db.users.find_one_and_update(
            {"_id": user["_id"]}, {"$set": {"password_hash": new_hash}, "$inc": {"session_epoch": 1}},
            return_document=ReturnDocument.AFTER,
        )
        if updated is None:
            raise NotFound("No such user.")
        u.record("user.change_password", "user", user["_id"], "Changed his password; every open session ended")
        return updated

    return uow.run(actor, work)


def lift_sign_in_delays(user_id, *, actor):
    """Clear the failed sign-in counts of a login, from every address and device (staff, as for reset links)."""
    actor.require("admin", "marketing", "support")

    def work(u):
        user = u.db.users.find_one({"_id": user_id})
        if user is None:
            raise NotFound("No such user.")
        if user["role"] != "customer":
            actor.require("admin")
        cleared = sign_in_guard.lift(u, [user.get("email"), user.get("phone")])
        u.record("user.lift_sign_in_delays", "user", user_id,
                 f"Lifted the sign-in delays of {user['email'] or user['name']} ({cleared} counts cleared)")
        return user

    return uow.run(actor, work)


def set_active(user_id, active, *, actor):
    """Deactivate (ends every open session and revokes every open link of the login at once) or reactivate it."""
    from webapp.services import links  # links -> deliveries -> customers -> accounts: import when used

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
        if not active:
            links.revoke_for_user(u, user_id)
        u.record("user.activate" if active else "user.deactivate", "user", user_id,
                 f"{'Reactivated' if active else 'Deactivated'} {user['email'] or user['name']}")

    uow.run(actor, work)


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=INVITE_SALT)


def create_invite(user_id, *, actor):
    """A one-time, expiring link for the user to choose a password: an invite, or a reset link when he has a
    password already (the page then asks for a new one). A new link voids the old one."""
    if not actor.is_system:
        actor.require("admin", "marketing", "support")
    nonce = secrets.token_urlsafe(16)
    hours = current_app.config["INVITE_MAX_AGE_HOURS"]

    def work(u):
        user = u.db.users.find_one({"_id": user_id})
        if user is None:
            raise NotFound("No such user.")
        if user["role"] != "customer":
            actor.require("admin")
        purpose = "reset" if user.get("password_hash") else "invite"
        u.db.users.update_one({"_id": user_id}, {"$set": {"invite": {
            "nonce": nonce, "purpose": purpose, "expires_at": clock.now() + timedelta(hours=hours)}}})
        if purpose == "reset":
            u.record("user.reset_link", "user", user_id, f"Issued a password-reset link ({hours} h)")
        else:
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
    """Set the password through an invite or reset link: password set, link used up and every open session
    ended, in one unit of work. The link works once."""
    user, nonce = check_invite(token)
    password_hash = hash_password(checked_password(password, user))
    how = "reset link" if user["invite"].get("purpose") == "reset" else "invite link"

    def work(u):
        updated = u.db.users.find_one_and_update(
            {"_id": user["_id"], "invite.nonce": nonce},
            {"$set": {"password_hash": password_hash}, "$unset": {"invite": ""}, "$inc": {"session_epoch": 1}},
            return_document=ReturnDocument.AFTER,
        )
        if updated is None:  # another tab used it a moment ago
            raise Conflict(LINK_USED)
        u.record("user.set_password", "user", user["_id"], f"Password set via {how}")
        return updated

    return uow.run(Actor.for_user(user), work)


def set_language(language, *, actor):
    """The language the signed-in person's pages speak ("en", "hi", "gu"), kept on his login."""
    from webapp.i18n import LANGUAGES

    if actor.kind != "user":
        raise Forbidden("Only a signed-in person keeps a language.")
    if language not in LANGUAGES:
        raise ValidationError("Choose English, Hindi or Gujarati.", field="language")

    def work(u):
        before = u.db.users.find_one_and_update({"_id": actor.id}, {"$set": {"language": language}},
                                                projection={"language": 1})
        if before is None:
            raise NotFound("No such user.")
        u.record("user.set_language", "user", actor.id, f"Language set to {LANGUAGES[language]}",
                 changes={"language": {"before": before.get("language"), "after": language}})

    uow.run(actor, work)
