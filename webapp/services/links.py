"""Signed shared links: a delivery round (delivery boy + date) or one bill, opened without an account.

A link is a `shared_links` record; its URL carries an itsdangerous token naming the record's id and
a random nonce kept on the record, so a guessed id alone opens nothing. Expiry and revocation live on
the record, so both take effect at once. Every refusal is audited: an unusable token with the system
actor "link-guard" and the client address, a use outside the link's scope with the link as actor.
Every use (opening, confirming, asking for a pause) is counted on the record in the unit of work of
what the link does. What a round link may reach is decided in one place, `rounds.link_allows`.

A link stops working at once when the user it was issued by, or for (the delivery boy of a round, the customer
of a bill), is deactivated: `revoke_for_user` revokes his open links in the deactivation's unit of work, and
opening a link also refuses it while any of those users is inactive (one indexed read on `users`), which covers
links issued before their ids were stored on them (`user_ids`) and a link issued while its user was being
deactivated. A stopped customer keeps his bill links: he still has his last bill to pay.
"""
import secrets
from datetime import datetime, timedelta, timezone

from flask import current_app
from flask_babel import gettext
from itsdangerous import BadSignature, URLSafeSerializer

from webapp import clock
from webapp.db import get_db
from pymongo import UpdateOne

from webapp.services import STAFF_ROLES, Actor, NotFound, ServiceError, ValidationError, bill_queries, deliveries, \
    payments, rounds, uow, validate
from webapp.urls import external_url

LINK_SALT = "earlybird.shared-link"
MAX_LIFETIME_DAYS = 90


class InvalidLink(NotFound):
    """Tampered, truncated, unknown or used outside its scope: one answer, no hint which."""

    def __init__(self):
        super().__init__("This link is not valid.")


class RevokedLink(ServiceError):
    """A genuine link switched off (revoked, or its user deactivated): only its holder can see this answer."""
    status = 410

    def __init__(self):
        super().__init__("This link was switched off. Ask the dairy, or the person who shared it with you, "
                         "for a new one.")


class ExpiredLink(ServiceError):
    status = 410

    def __init__(self):
        super().__init__("This link has expired. Ask for a new one.")


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALT)


def token_for(link):
    """The token of a link (deterministic: the same record always gives the same URL)."""
    return _serializer().dumps({"l": link["_id"], "n": link["nonce"]})


def link_url(link):
    """A link's address: a receipt link opens its receipt page, any other the link's page."""
    endpoint = "links.receipt_page" if link["scope"] == "receipt" else "links.open_page"
    return external_url(endpoint, token=token_for(link))


def link_id_from_token(token):
    """The link id a correctly signed token names, or None. Reads no database (used by rate limits)."""
    payload = _payload(token)
    return payload["l"] if payload else None


def _payload(token):
    serializer = _serializer()
    try:
        payload = serializer.loads(token)
    except BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("l"), str) or not isinstance(payload.get("n"), str):
        return None
    # Base64 ignores the spare low bits of a signature's last character, so two spellings can verify;
    # only the one this app would write is accepted.
    if serializer.dumps(payload) != token:
        return None
    return payload


def _guard(ip):
    return Actor("system", "link-guard", "system", ip)


def refuse(reason, *, ip, link=None, error):
    """Audit a refusal (in its own unit of work: nothing else is written) and raise `error`."""
    link_id = link["_id"] if link else None
    uow.run(_guard(ip), lambda u: u.record("link.refused", "shared_link", link_id, f"Refused a shared link: {reason}"))
    raise error


def out_of_scope(link, what, *, ip):
    """A valid link used for something it was not issued for: audited, then 404 with nothing else written."""
    uow.run(Actor.for_link(link, ip), lambda u: u.record("link.out_of_scope", "shared_link", link["_id"],
                                                         f"Refused outside the link's scope: {what}"))
    raise NotFound("There is nothing here. Check the address or go back.")


def open_link(token, *, ip, scope=None):
    """The live link a token names (one read); InvalidLink, RevokedLink or ExpiredLink, audited, otherwise. Reads
    only: the use is counted by `count_use` in the unit of work of what the link then does."""
    payload = _payload(token) if isinstance(token, str) and len(token) < 1000 else None
    if payload is None:
        refuse("bad or unknown token", ip=ip, error=InvalidLink())
    link = get_db().shared_links.find_one({"_id": payload["l"], "nonce": payload["n"]})
    if link is None:
        refuse("unknown link", ip=ip, error=InvalidLink())
    if link.get("revoked_at"):
        refuse("revoked link", ip=ip, link=link, error=RevokedLink())
    if _inactive_user(link):
        refuse("issued by or for a deactivated user", ip=ip, link=link, error=RevokedLink())
    if link["expires_at"] <= clock.now():
        refuse("expired link", ip=ip, link=link, error=ExpiredLink())
    if scope is not None and link["scope"] != scope:
        refuse(f"a {link['scope']} link used as a {scope} link", ip=ip, link=link, error=InvalidLink())
    return link


def _user_ids(link):
    """The users a link was issued by and for, as far as the record names them without another read."""
    named = set(link.get("user_ids") or ())
    named.add(link.get("delivery_boy_id"))
    creator = link.get("created_by") or {}
    if creator.get("kind") == "user":
        named.add(creator.get("id"))
    return sorted(user_id for user_id in named if user_id)


def _inactive_user(link):
    """True if a user the link was issued by or for is deactivated: one read (a bill link stored before its
    `user_ids` names its customer, whose login is found by `customer_id`)."""
    wanted = [{"_id": {"$in": _user_ids(link)}}]
    if link.get("customer_id") and "user_ids" not in link:
        wanted.append({"customer_id": link["customer_id"]})
    return get_db().users.find_one({"$or": wanted, "active": False}, {"_id": 1}) is not None


def revoke_for_user(u, user_id):
    """Inside the unit of work `u` that deactivates `user_id`: revoke every open link issued by him or for him
    (his round, his bills), one audit entry each; returns their ids."""
    user = u.db.users.find_one({"_id": user_id}, {"customer_id": 1}) or {}
    mine = [{"user_ids": user_id}, {"delivery_boy_id": user_id}, {"created_by.kind": "user", "created_by.id": user_id}]
    if user.get("customer_id"):
        mine.append({"customer_id": user["customer_id"]})
    query = {"revoked_at": None, "expires_at": {"$gt": clock.now()}, "$or": mine}
    revoked = [link["_id"] for link in u.db.shared_links.find(query, {"_id": 1})]
    if revoked:
        u.db.shared_links.update_many({"_id": {"$in": revoked}, "revoked_at": None},
                                      {"$set": {"revoked_at": clock.now(), "revoked_by": u.actor.as_doc()}})
    for link_id in revoked:
        u.record("link.revoke", "shared_link", link_id, f"Revoked link {link_id}: its user {user_id} was deactivated")
    return revoked


def count_use(u, link):
    """Count one use of `link`, sent with the other writes of the unit of work `u`."""
    u.defer(UpdateOne({"_id": link["_id"]}, {"$inc": {"uses": 1}, "$set": {"last_used_at": clock.now()}},
                      namespace=u.namespace("shared_links")))


def _clean_expiry(expires_at, default):
    """An aware UTC datetime in the future, at most MAX_LIFETIME_DAYS away (naive = business time)."""
    if expires_at in (None, ""):
        expires_at = default
    if not isinstance(expires_at, datetime):
        raise ValidationError("Choose when the link expires.", field="expires_at")
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=clock.business_tz())
    now = clock.now()
    if expires_at <= now:
        raise ValidationError("That link would already have expired. Choose a later expiry.", field="expires_at")
    if expires_at > now + timedelta(days=MAX_LIFETIME_DAYS):
        raise ValidationError(f"A link can last at most {MAX_LIFETIME_DAYS} days.", field="expires_at")
    return expires_at.astimezone(timezone.utc)


def _insert(u, scope, fields, expires_at, subject_user_id):
    issuer = u.actor.id if u.actor.kind == "user" else None
    link = {
        "_id": u.new_id("SL"),
        "scope": scope,
        "delivery_boy_id": None,
        "date": None,
        "bill_id": None,
        "customer_id": None,
        **fields,
        "nonce": secrets.token_urlsafe(16),
        "expires_at": expires_at,
        "revoked_at": None,
        "revoked_by": None,
        "created_by": u.actor.as_doc(),
        "user_ids": sorted({user_id for user_id in (issuer, subject_user_id) if user_id}),
        "created_at": clock.now(),
        "uses": 0,
        "last_used_at": None,
    }
    u.db.shared_links.insert_one(link)
    return link


def issue_round_link(delivery_boy_id, day, *, actor, expires_at=None):
    """A link to one delivery round; default expiry: the end of that delivery day, business time."""
    link = create_round_link(delivery_boy_id, day, actor=actor, expires_at=expires_at)
    return link_url(link)


def create_round_link(delivery_boy_id, day, *, actor, expires_at=None):
    """issue_round_link, returning the record (pages show its id and expiry beside the URL)."""
    if actor.has_role("delivery_boy"):
        if delivery_boy_id != actor.id:
            raise NotFound("You can share only your own round.")
    else:
        actor.require(*STAFF_ROLES)
    errors = validate.Errors()
    boy = get_db().users.find_one({"_id": delivery_boy_id, "role": "delivery_boy", "active": True}) \
        if isinstance(delivery_boy_id, str) else None
    if boy is None:
        errors.add("delivery_boy_id", "Choose an active delivery boy.")
    day = errors.check("date", validate.day, day)
    errors.raise_if_any()
    end_of_day = clock.local_datetime(day + timedelta(days=1), 0)
    expires_at = _clean_expiry(expires_at, end_of_day)

    def work(u):
        link = _insert(u, "round", {"delivery_boy_id": delivery_boy_id, "date": clock.iso(day)}, expires_at,
                       delivery_boy_id)
        u.record("link.issue", "shared_link", link["_id"], f"Issued a round link for {boy['name']} on {clock.iso(day)}",
                 changes={"scope": "round", "delivery_boy_id": delivery_boy_id, "date": clock.iso(day),
                          "expires_at": expires_at.isoformat()})
        return link

    return uow.run(actor, work)


def issue_bill_link(bill_id, *, actor, expires_at=None):
    """A read-only link to one bill; default expiry BILL_LINK_DAYS (30) days."""
    return link_url(create_bill_link(bill_id, actor=actor, expires_at=expires_at))


def create_bill_link(bill_id, *, actor, expires_at=None):
    """issue_bill_link, returning the record. Staff for any bill; a customer for his own."""
    if not actor.has_role("customer"):
        actor.require(*STAFF_ROLES)
    bill = get_db().bills.find_one({"_id": bill_id}, {"customer_id": 1}) if isinstance(bill_id, str) else None
    if actor.has_role("customer") and (bill is None or bill["customer_id"] != actor.customer_id):
        raise NotFound("No such bill.")
    if bill is None:
        raise ValidationError("No such bill.", field="bill_id")
    login = get_db().users.find_one({"customer_id": bill["customer_id"]}, {"active": 1})
    if login is not None and login.get("active") is False:
        raise ValidationError("This customer's login is deactivated, so this bill cannot be shared.", field="bill_id")
    default = clock.now() + timedelta(days=current_app.config["BILL_LINK_DAYS"])
    expires_at = _clean_expiry(expires_at, default)

    def work(u):
        link = _insert(u, "bill", {"bill_id": bill_id, "customer_id": bill["customer_id"]}, expires_at,
                       login["_id"] if login else None)
        u.record("link.issue", "shared_link", link["_id"], f"Issued a bill link for {bill_id}",
                 changes={"scope": "bill", "bill_id": bill_id, "expires_at": expires_at.isoformat()})
        return link

    return uow.run(actor, work)


def revoke(link_id, *, actor):
    """Revoke a link at once; a delivery boy may revoke the links of his own round."""
    if not actor.has_role("delivery_boy"):
        actor.require(*STAFF_ROLES)
    query = {"_id": link_id}
    if actor.has_role("delivery_boy"):
        query.update(scope="round", delivery_boy_id=actor.id)

    def work(u):
        now = clock.now()
        link = u.db.shared_links.find_one_and_update(
            {**query, "revoked_at": None}, {"$set": {"revoked_at": now, "revoked_by": actor.as_doc()}})
        if link is None:
            return None
        u.record("link.revoke", "shared_link", link_id, f"Revoked {link['scope']} link {link_id}")
        return {**link, "revoked_at": now}

    link = uow.run(actor, work)
    if link is not None:
        return link
    already = get_db().shared_links.find_one(query)  # already revoked: nothing to do
    if already is None:
        raise NotFound("No such link.")
    return already


def live_links(*, actor, delivery_boy_id=None):
    """Links neither revoked nor expired, soonest expiry first, each with its `url`, `label` and the
    `recipient_phone` a WhatsApp share goes to (None when the app cannot know who receives it).

    Staff see every link (or one delivery boy's); a delivery boy sees the links of his own round."""
    if actor.has_role("delivery_boy"):
        delivery_boy_id = actor.id
    else:
        actor.require(*STAFF_ROLES)
    query = {"revoked_at": None, "expires_at": {"$gt": clock.now()}}
    if delivery_boy_id:
        query.update(scope="round", delivery_boy_id=delivery_boy_id)
    links = list(get_db().shared_links.find(query).sort("expires_at", 1).limit(500))
    people = _people([link["delivery_boy_id"] for link in links], "users")
    people.update(_people([link["customer_id"] for link in links], "customers"))
    for link in links:
        subject = people.get(link["delivery_boy_id"] if link["scope"] == "round" else link["customer_id"], {})
        link["url"] = link_url(link)
        link["label"] = _label(link, subject)
        link["recipient_phone"] = _recipient_phone(link, subject, actor)
    return links


def _label(link, subject):
    if link["scope"] == "round":
        return gettext("%(name)s's round", name=subject.get("name", link["delivery_boy_id"]))
    what = f"Receipt for {link['payment_id']}" if link["scope"] == "receipt" else f"Bill {link['bill_id']}"
    return f"{what} ({subject.get('name', link['customer_id'])})"


def _recipient_phone(link, subject, actor):
    """Whom a WhatsApp share of a live link goes to, when the app knows: a bill to its customer, a round shared by
    staff to its delivery boy. A delivery boy shares his round with someone the app does not know (a relief
    driver), so no number."""
    if link["scope"] == "round" and actor.has_role("delivery_boy"):
        return None
    return subject.get("phone") or None


def _people(ids_, collection):
    """{id: {"name", "phone"}} of the users or customers named."""
    wanted = sorted({i for i in ids_ if i})
    if not wanted:
        return {}
    return {doc["_id"]: doc for doc in get_db()[collection].find({"_id": {"$in": wanted}}, {"name": 1, "phone": 1})}


def _check_day(link, day, *, ip):
    if not isinstance(day, str) or day.strip() != link["date"]:
        out_of_scope(link, f"date {str(day)[:20]!r} instead of {link['date']}", ip=ip)


def _round_stop(link, customer_id, *, ip):
    """{"day", "stop", "can_confirm"} of `customer_id` on the link's round, or an audited NotFound."""
    try:
        return rounds.stop_view(customer_id, link["date"], delivery_boy_id=link["delivery_boy_id"],
                                actor=Actor.for_link(link, ip))
    except NotFound:
        out_of_scope(link, f"stop {str(customer_id)[:40]!r}, not on the round", ip=ip)


def round_customer(link, customer_id, *, ip):
    """The customer if he is a stop on the link's round (his delivery boy, something due that date); an audited
    NotFound otherwise."""
    return _round_stop(link, customer_id, ip=ip)["stop"]["customer"]


def view_link(token, *, ip):
    """What a link shows: its round (the same view as the delivery boy's page) or its bill, with "link".
    The opening is counted and audited as a use."""
    link = open_link(token, ip=ip)
    actor = Actor.for_link(link, ip)
    if link["scope"] == "round":
        view = rounds.round_view(link["delivery_boy_id"], link["date"], actor=actor)
    else:
        bill = bill_queries.get_bill(link["bill_id"], actor=actor)
        view = {"bill": bill, "customer": get_db().customers.find_one({"_id": bill["customer_id"]}) or {},
                "products": bill_queries.products_for([bill])}

    def work(u):
        count_use(u, link)
        u.record("link.open", "shared_link", link["_id"], f"Opened {link['scope']} link")

    uow.run(actor, work)
    return {"link": link, **view}


def confirm_via_link(token, customer_id, day, quantities=None, *, reason=None, ip):
    """Confirm one stop of the link's round through the delivery boy's own write path.

    Only that date and only customers on that round; anything else is audited and NotFound, with
    nothing else written. Returns {"link", "day", "can_confirm", "stop"} (the stop as it now stands)."""
    link = open_link(token, ip=ip, scope="round")
    _check_day(link, day, ip=ip)
    actor = Actor.for_link(link, ip)

    def work(u):
        count_use(u, link)
        return deliveries.confirm_stop(customer_id, link["date"], quantities, reason=reason,
                                       delivery_boy_id=link["delivery_boy_id"], actor=actor)

    try:
        stop = uow.run(actor, work)
    except deliveries.OrderNotAtStop:
        out_of_scope(link, "confirmation naming an order not at this stop", ip=ip)
    except NotFound:
        out_of_scope(link, f"confirmation for {str(customer_id)[:40]!r}, not on the round", ip=ip)
    day = clock.parse_day(link["date"])
    return {"link": link, "day": day, "can_confirm": rounds.may_confirm_on(actor, day), "stop": stop}


def round_stop(token, customer_id, *, day=None, ip):
    """One stop of the link's round: {"link", "day", "can_confirm", "stop", "customer"}; NotFound outside it."""
    link = open_link(token, ip=ip, scope="round")
    if day is not None:
        _check_day(link, day, ip=ip)
    view = _round_stop(link, customer_id, ip=ip)
    return {"link": link, **view, "customer": view["stop"]["customer"]}


def create_receipt_link(payment_id, *, actor, expires_at=None):
    """A read-only link to one payment's receipt (page and PDF); default expiry BILL_LINK_DAYS (30) days. Staff for
    any receipt; a customer for his own."""
    if not actor.has_role("customer"):
        actor.require(*STAFF_ROLES)
    payment = payments.receipt(payment_id, actor=actor)["payment"]
    login = get_db().users.find_one({"customer_id": payment["customer_id"]}, {"active": 1})
    expires_at = _clean_expiry(expires_at, clock.now() + timedelta(days=current_app.config["BILL_LINK_DAYS"]))

    def work(u):
        link = _insert(u, "receipt", {"payment_id": payment["_id"], "customer_id": payment["customer_id"]},
                       expires_at, login["_id"] if login else None)
        u.record("link.issue", "shared_link", link["_id"], f"Issued a receipt link for {payment['receipt_number']}",
                 changes={"scope": "receipt", "payment_id": payment["_id"], "expires_at": expires_at.isoformat()})
        return link

    return uow.run(actor, work)


def view_receipt(token, *, ip):
    """What a receipt link shows: `payments.receipt` of its payment, with "link"; the opening is counted and
    audited as a use. A link of another scope is refused like an unknown one."""
    link = open_link(token, ip=ip, scope="receipt")
    actor = Actor.for_link(link, ip)
    view = payments.receipt(link["payment_id"], actor=actor)

    def work(u):
        count_use(u, link)
        u.record("link.open", "shared_link", link["_id"], "Opened receipt link")

    uow.run(actor, work)
    return {"link": link, **view}
