"""The one customer master, linked 1:1 to a login.

Whoever creates a customer (staff, or the customer signing up) goes through `insert_customer`:
the customer and his login are written in one unit of work, with the audit entry.
"""
import math
import re

from pymongo import ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from webapp import clock
from webapp.db import get_db
from webapp.services import (
    STAFF_ROLES, Actor, Conflict, NotFound, ValidationError, accounts, audit, away, catalog, cutoff, tallies, uow,
    validate,
)

STATUSES = ("trial", "active", "paused", "stopped")
PER_PAGE = 25
MAX_STOP = 100_000


def clean_custom_prices(custom_prices):
    """{product_id: paise} for existing products; empty values dropped."""
    prices = {}
    known = catalog.products_by_id(list((custom_prices or {}).keys()))
    for product_id, price in (custom_prices or {}).items():
        if price in (None, ""):
            continue
        if product_id not in known:
            raise ValidationError("Custom price for an unknown product.", field="custom_prices")
        prices[product_id] = catalog.clean_price(price, field="custom_prices")
    return prices


def clean_stop(stop):
    if stop in (None, ""):
        return None
    return validate.whole_number(stop, "stop", label="Stop number", minimum=1, maximum=MAX_STOP)


def clean_delivery_boy(delivery_boy_id):
    """An active delivery boy's id, or None for "no delivery boy"."""
    if delivery_boy_id in (None, ""):
        return None
    if not isinstance(delivery_boy_id, str) or get_db().users.find_one(
            {"_id": delivery_boy_id, "role": "delivery_boy", "active": True}) is None:
        raise ValidationError("Choose an active delivery boy.", field="delivery_boy_id")
    return delivery_boy_id


def clean_route(errors, delivery_boy_id, stop):
    """(delivery boy id, stop), each wrong field noted on `errors`; no boy means no stop."""
    boy = errors.check("delivery_boy_id", clean_delivery_boy, delivery_boy_id)
    stop = errors.check("stop", clean_stop, stop)
    return boy, stop if boy else None


def clean_details(errors, name, phone, address, area, email, *, area_required=True):
    """The person's details, each wrong field noted on `errors`."""
    return {
        "name": errors.check("name", validate.text, name, "name", label="Name", max_length=100),
        "phone": errors.check("phone", validate.phone, phone),
        "email": errors.check("email", validate.email, email, required=False),
        "address": errors.check("address", validate.text, address, "address", label="Address", max_length=300),
        "area": errors.check("area", validate.text, area, "area", label="Area", max_length=60,
                             required=area_required),
    }


def check_status(errors, status):
    if status not in STATUSES:
        errors.add("status", "Choose a status.")


def place_on_route(u, customer_id, delivery_boy_id, stop):
    """The stop to store: the end of the route when none is given; a taken stop pushes the later ones down."""
    if delivery_boy_id is None:
        return None
    if stop is None:
        last = u.db.customers.find_one({"delivery_boy_id": delivery_boy_id, "stop": {"$type": "int"}},
                                       sort=[("stop", -1)])
        return (last["stop"] if last else 0) + 1
    others = {"delivery_boy_id": delivery_boy_id, "_id": {"$ne": customer_id}}
    if u.db.customers.find_one({**others, "stop": stop}):
        u.db.customers.update_many({**others, "stop": {"$gte": stop}}, {"$inc": {"stop": 1}})
    return stop


def insert_customer(u, details, status, route, prices, *, password_hash=None):
    """Write the customer and his login inside unit of work `u`; returns (customer, user)."""
    customer_id = u.new_id("CU")
    user = accounts.insert_user(u, accounts.new_user_doc(
        u, details["email"], details["name"], "customer", details["phone"], password_hash=password_hash,
        customer_id=customer_id))
    now = clock.now()
    customer = {
        "_id": customer_id,
        **details,
        "name_key": details["name"].casefold(),
        "delivery_boy_id": route[0],
        "stop": place_on_route(u, customer_id, route[0], route[1]),
        "status": status,
        "custom_prices": prices,
        "user_id": user["_id"],
        "created_at": now,
        "updated_at": now,
    }
    try:
        u.db.customers.insert_one(customer)
    except DuplicateKeyError:
        raise ValidationError("A customer with this phone number already exists.", field="phone") from None
    tallies.customers_added(u, [customer])
    return customer, user


def create_customer(name, phone, address, area, *, delivery_boy_id=None, stop=None, email=None,
                    status="active", custom_prices=None, delivery_note=None, actor):
    """Create the customer, his login, his place on the route and his set-password link in one unit of work;
    returns (customer, invite_url)."""
    actor.require(*STAFF_ROLES)
    errors = validate.Errors()
    details = clean_delivery_note(errors, clean_details(errors, name, phone, address, area, email), delivery_note)
    check_status(errors, status)
    route = clean_route(errors, delivery_boy_id, stop)
    prices = errors.check("custom_prices", clean_custom_prices, custom_prices)
    errors.raise_if_any()

    def work(u):
        customer, user = insert_customer(u, details, status, route, prices)
        if status == "paused":  # his orders, once placed, wait until he is active
            away.status_effects(u, customer, status, cutoff.first_open_day(), None)
        u.record("customer.create", "customer", customer["_id"],
                 f"Created customer {details['name']} ({details['phone']})")
        return customer, accounts.create_invite(user["_id"], actor=actor)

    return uow.run(actor, work)


def sign_up(name, phone, address, password, *, area=None, ip=None):
    """A person registers himself: a `trial` customer waiting for a delivery boy. Returns his login, or None
    when the number has a login already: then nothing is written but an audit entry, and the caller answers
    as for a new one (a sign-up page must not tell who is a customer)."""
    errors = validate.Errors()
    details = clean_details(errors, name, phone, address, area, None, area_required=False)
    errors.check("password", validate.password, password, "password", user_inputs=[name, phone])
    errors.raise_if_any()
    password_hash = accounts.hash_password(password)
    actor = Actor("system", "signup", "anonymous", ip)

    def work(u):
        customer, user = insert_customer(u, details, "trial", (None, None), {}, password_hash=password_hash)
        # The entry's author is the new login: a unit joined with that actor (same transaction).
        uow.run(Actor.for_user(user, ip), lambda joined: joined.record(
            "customer.signup", "customer", customer["_id"], f"Signed up {details['name']} ({details['phone']})"))
        return user

    try:
        return uow.run(actor, work)
    except ValidationError as error:
        if error.field != "phone":  # only a taken number is a field error of the insert
            raise

    def taken(u):
        login = u.db.users.find_one({"phone": details["phone"]}, {"_id": 1})
        u.record("customer.signup_taken", "user", login["_id"] if login else None,
                 f"Sign-up for {details['phone']}, which has a login already: nothing created")

    uow.run(actor, taken)
    return None


def get_customer(customer_id):
    customer = get_db().customers.find_one({"_id": customer_id}) if isinstance(customer_id, str) else None
    if customer is None:
        raise NotFound("No such customer.")
    return customer


def staff_customer(customer_id, *, actor):
    """A customer as staff may see him."""
    actor.require(*STAFF_ROLES)
    return get_customer(customer_id)


def new_invite(customer_id, *, actor):
    """A fresh set-password link for the customer's login; returns (customer, url)."""
    customer = staff_customer(customer_id, actor=actor)
    return customer, accounts.create_invite(customer["user_id"], actor=actor)


def save_details(customer, details, *, actor, action, summary):
    """Write changed person details to the customer and his login in one unit of work, audited before/after."""
    changes = {key: {"before": customer.get(key), "after": value}
               for key, value in details.items() if customer.get(key) != value}
    if not changes:
        return customer
    update = {**details, "updated_at": clock.now()}
    if "name" in details:
        update["name_key"] = details["name"].casefold()
    login_fields = {key: details[key] for key in ("name", "phone", "email") if key in details}

    def work(u):
        try:
            saved = u.db.customers.find_one_and_update({"_id": customer["_id"]}, {"$set": update},
                                                       return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:
            raise ValidationError("A customer with this phone number already exists.", field="phone") from None
        accounts.update_contact(u, customer["user_id"], login_fields)
        u.record(action, "customer", customer["_id"], f"{summary}: {', '.join(changes)}", changes=changes)
        return saved

    return uow.run(actor, work)


def clean_delivery_note(errors, details, delivery_note):
    """The note the delivery boy reads at the door ("leave at the gate"); None leaves it as it is."""
    if delivery_note is not None:
        details["delivery_note"] = errors.check("delivery_note", validate.text, delivery_note, "delivery_note",
                                                label="Note for the delivery boy", max_length=200, required=False)
    return details


def update_customer(customer_id, name, phone, address, area, *, email=None, delivery_note=None, actor):
    """Staff edit a customer's name, phone, email, address, area and the note for his delivery boy."""
    customer = staff_customer(customer_id, actor=actor)
    errors = validate.Errors()
    details = clean_delivery_note(errors, clean_details(errors, name, phone, address, area, email), delivery_note)
    errors.raise_if_any()
    return save_details(customer, details, actor=actor, action="customer.update",
                        summary=f"Edited {customer['name']}")


def own_profile(*, actor):
    """The signed-in customer's own record (there is no way to name another)."""
    actor.require("customer")
    if not actor.customer_id:
        raise NotFound("No customer record for this login.")
    return get_customer(actor.customer_id)


def update_own_profile(address, phone, *, delivery_note=None, actor):
    """A customer changes his own address, phone and the note for his delivery boy."""
    customer = own_profile(actor=actor)
    errors = validate.Errors()
    details = clean_delivery_note(errors, {
        "address": errors.check("address", validate.text, address, "address", label="Address", max_length=300),
        "phone": errors.check("phone", validate.phone, phone),
    }, delivery_note)
    errors.raise_if_any()
    return save_details(customer, details, actor=actor, action="customer.update_own",
                        summary=f"{customer['name']} changed his profile")


def set_status(customer_id, status, *, from_day=None, reason=None, override_cutoff=False, actor):
    """trial / active / paused / stopped, governing every order of his from `from_day` (default: the first open
    day): paused holds them until he is active again, stopped ends his subscriptions and cancels his open
    one-time orders, each with the reason he sees. A closed day needs staff's override with a reason."""
    actor.require(*STAFF_ROLES)
    if status not in STATUSES:
        raise ValidationError("Choose a status.", field="status")
    customer = get_customer(customer_id)
    reason = validate.text(reason, "reason", label="Reason", max_length=200, required=False) or None
    day = cutoff.first_open_day() if from_day in (None, "") else cutoff.change_day(from_day, "from_day", "From")
    # Paused and stopped are applied again when asked again: customers set so before statuses governed the
    # orders get their orders held or ended then.
    governs = customer["status"] != status or status in ("paused", "stopped")
    overridden = False
    if governs:
        overridden = away.check_open(day, actor=actor, override_cutoff=override_cutoff, reason=reason,
                                     field="from_day")

    def work(u):
        before = u.db.customers.find_one_and_update(
            {"_id": customer_id, "status": customer["status"]}, {"$set": {"status": status, "updated_at": clock.now()}}
        )
        if before is None:
            raise Conflict("This customer was changed meanwhile. Reload and try again.")
        effects = away.status_effects(u, before, status, day, reason) if governs else {}
        if before["status"] != status or any(effects.values()):
            u.record("customer.status", "customer", customer_id,
                     f"{before['name']}: {before['status']} → {status} from {day}"
                     + (f" (after the cut-off: {reason})" if overridden else f": {reason}" if reason else ""),
                     changes={"status": {"before": before["status"], "after": status}, "from_day": day.isoformat(),
                              "reason": reason, "override_cutoff": overridden, **effects})
            tallies.status_changed(u, before["status"], status)
        return {**before, "status": status}

    return uow.run(actor, work)


def set_custom_prices(customer_id, custom_prices, *, actor):
    """Replace the customer's own prices ({product_id: paise}; a missing product pays the list price)."""
    customer = staff_customer(customer_id, actor=actor)
    prices = clean_custom_prices(custom_prices)
    if prices == customer.get("custom_prices", {}):
        return customer

    def work(u):
        saved = u.db.customers.find_one_and_update(
            {"_id": customer_id}, {"$set": {"custom_prices": prices, "updated_at": clock.now()}},
            return_document=ReturnDocument.AFTER,
        )
        u.record("customer.prices", "customer", customer_id, f"Custom prices of {customer['name']} changed",
                 changes={"custom_prices": {"before": customer.get("custom_prices", {}), "after": prices}})
        return saved

    return uow.run(actor, work)


def unit_price(customer, product):
    """What this customer pays for one unit: his custom price, else the product's price."""
    return (customer.get("custom_prices") or {}).get(product["_id"], product["price_paise"])


def assign_route(customer_id, delivery_boy_id, stop=None, *, actor):
    """Put a customer on a delivery boy's route at `stop` (default: the end; a taken stop pushes the later
    ones down), or take him off (no boy)."""
    customer = staff_customer(customer_id, actor=actor)
    errors = validate.Errors()
    boy_id, stop = clean_route(errors, delivery_boy_id, stop)
    errors.raise_if_any()
    before = {"delivery_boy_id": customer.get("delivery_boy_id"), "stop": customer.get("stop")}
    boy = boy_name(boy_id)

    def work(u):
        after = {"delivery_boy_id": boy_id, "stop": place_on_route(u, customer_id, boy_id, stop)}
        u.db.customers.update_one({"_id": customer_id}, {"$set": {**after, "updated_at": clock.now()}})
        # His orders carry his round (rounds.stops_for reads them by it); set even when it stays, which puts right
        # orders found off their round (data_health).
        u.db.orders.update_many({"customer_id": customer_id}, {"$set": {"delivery_boy_id": boy_id}})
        changes = {key: {"before": before[key], "after": after[key]} for key in after if before[key] != after[key]}
        if changes:
            u.record("customer.route", "customer", customer_id,
                     f"{customer['name']} moved to {boy}, stop {after['stop'] or '—'}", changes=changes)
        return {**customer, **after}

    return uow.run(actor, work)


def move_stop(delivery_boy_id, customer_id, direction, *, actor):
    """Swap a customer with his neighbour on the route ("up" = earlier); returns the renumbered route."""
    customer = staff_customer(customer_id, actor=actor)
    if direction not in ("up", "down"):
        raise ValidationError("Move up or down.", field="direction")
    boy_id = customer.get("delivery_boy_id")
    if not boy_id or boy_id != delivery_boy_id:
        raise NotFound("This customer is not on that route.")

    def work(u):
        stops = route(boy_id, u=u)
        index = next((i for i, stop in enumerate(stops) if stop["_id"] == customer_id), None)
        if index is None:  # moved off this route a moment ago
            raise NotFound("This customer is not on that route.")
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(stops):
            stops[index], stops[other] = stops[other], stops[index]
        # Renumber the whole route 1..n so gaps and equal stop numbers disappear.
        writes = [UpdateOne({"_id": stop["_id"]}, {"$set": {"stop": number}})
                  for number, stop in enumerate(stops, start=1) if stop.get("stop") != number]
        if writes:
            u.db.customers.bulk_write(writes)
        new_stop = next(n for n, stop in enumerate(stops, start=1) if stop["_id"] == customer_id)
        if new_stop != customer.get("stop"):
            u.record("customer.route", "customer", customer_id,
                     f"{customer['name']} moved {direction} to stop {new_stop}", changes={"stop": {"before": customer.get("stop"), "after": new_stop}})
        for number, stop in enumerate(stops, start=1):
            stop["stop"] = number
        return stops

    return {"boy": accounts.get_user(boy_id), "stops": uow.run(actor, work)}


def deletion_blocker(db, customer_id):
    """"orders" or "bills" when the customer has some (he is stopped then, never deleted), else None."""
    return next((collection for collection in ("orders", "bills")
                 if db[collection].find_one({"customer_id": customer_id}, {"_id": 1})), None)


def may_delete(customer_id, actor):
    """Whether `actor` may delete this customer now (the delete button shows only then)."""
    return (actor.is_system or actor.has_role("admin")) and deletion_blocker(get_db(), customer_id) is None


def delete_customer(customer_id, *, actor):
    """Delete a customer and his login in one unit of work; refused once he has orders or bills (stop him instead)."""
    actor.require("admin")
    customer = get_customer(customer_id)

    def work(u):
        kept_by = deletion_blocker(u.db, customer_id)
        if kept_by:
            raise Conflict(f"{customer['name']} has {kept_by}; set the status to stopped instead.")
        deleted = u.db.customers.find_one_and_delete({"_id": customer_id})
        tallies.customers_removed(u, [deleted] if deleted else [])
        accounts.delete_login(u, customer["user_id"])
        u.record("customer.delete", "customer", customer_id,
                 f"Deleted customer {customer['name']} ({customer['phone']}) and his login")

    uow.run(actor, work)


def search_text(text):
    """Typed search text as a regex may take it: trimmed, at most 60 characters, without NUL (MongoDB refuses a
    regular expression holding one)."""
    return validate.ascii_digits(text if isinstance(text, str) else "").replace("\x00", "").strip()[:60]


def name_words_pattern(text):
    """The regex on `name_key` for names with a word starting with `text` (any case)."""
    return rf"(^|\s){re.escape(search_text(text).casefold())}"


def search_query(text, status=None, area=None, delivery_boy_id=None):
    """The MongoDB filter for the staff list: prefix search on name words, phone and area (no text index)."""
    query = {}
    text = search_text(text)
    if text:
        alternatives = [{"name_key": {"$regex": name_words_pattern(text)}},
                        {"area": {"$regex": rf"^{re.escape(text)}", "$options": "i"}}]
        if re.fullmatch(r"[\d\s+\-]+", text):
            digits = re.sub(r"\D", "", text.removeprefix("+91"))
            alternatives.append({"phone": {"$regex": "^" + digits}})
        query["$or"] = alternatives
    if status in STATUSES:
        query["status"] = status
    if area:
        query["area"] = area
    if delivery_boy_id == "none":
        query["delivery_boy_id"] = None
    elif delivery_boy_id:
        query["delivery_boy_id"] = delivery_boy_id
    return query


def list_customers(text=None, *, status=None, area=None, delivery_boy_id=None, page=1, actor):
    """One page of customers by name, with the total, and the areas and delivery boys to filter by."""
    actor.require(*STAFF_ROLES)
    query = search_query(text, status, area, delivery_boy_id)
    customers = get_db().customers
    total = customers.count_documents(query)
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(max(1, page if isinstance(page, int) else 1), pages)
    items = list(customers.find(query).sort([("name_key", 1), ("_id", 1)]).skip((page - 1) * PER_PAGE)
                 .limit(PER_PAGE))
    boys = accounts.delivery_boys(active_only=False)
    return {"items": items, "total": total, "page": page, "pages": pages, "areas": areas(), "delivery_boys": boys,
            "boys": {boy["_id"]: boy["name"] for boy in boys}}


def boy_name(boy_id):
    """A delivery boy's name (deactivated ones too: their old customers still name them)."""
    boy = get_db().users.find_one({"_id": boy_id, "role": "delivery_boy"}, {"name": 1}) if boy_id else None
    return boy["name"] if boy else "no delivery boy"


def areas():
    """Every area that has customers, sorted."""
    return sorted(area for area in get_db().customers.distinct("area") if area)


def customer_details(customer_id, *, actor):
    """What the staff customer page shows: the record, his delivery boy, prices and audit history."""
    customer = staff_customer(customer_id, actor=actor)
    prices = [{"product": product, "price_paise": unit_price(customer, product),
               "custom": product["_id"] in (customer.get("custom_prices") or {})}
              for product in catalog.list_products()]
    return {
        "customer": customer,
        "delivery_boy": boy_name(customer["delivery_boy_id"]) if customer.get("delivery_boy_id") else None,
        "login": get_db().users.find_one({"_id": customer["user_id"]}),
        "prices": prices,
        "history": audit.history("customer", customer_id),
        "boys": accounts.delivery_boys(),
        "may_delete": may_delete(customer_id, actor),
    }


def route(delivery_boy_id, *, u=None):
    """A delivery boy's customers in stop order (customers without a stop number last, by name);
    read inside unit of work `u` when given."""
    stops = list((u.db if u else get_db()).customers.find({"delivery_boy_id": delivery_boy_id}))
    return sorted(stops, key=lambda c: (c.get("stop") is None, c.get("stop") or 0, c["name_key"]))


def route_for(delivery_boy_id, *, actor):
    """A route as staff see it, or as the delivery boy sees his own (never another boy's)."""
    if actor.has_role("delivery_boy"):
        if delivery_boy_id != actor.id:
            raise NotFound("No such route.")
    else:
        actor.require(*STAFF_ROLES)
    boy = get_db().users.find_one({"_id": delivery_boy_id, "role": "delivery_boy"}) \
        if isinstance(delivery_boy_id, str) else None
    if boy is None:
        raise NotFound("No such delivery boy.")
    return {"boy": boy, "stops": route(delivery_boy_id)}


def routes_overview(*, actor):
    """Each delivery boy with how many customers he serves, and the customers waiting for one."""
    actor.require(*STAFF_ROLES)
    counts = {row["_id"]: row["n"] for row in get_db().customers.aggregate(
        [{"$group": {"_id": "$delivery_boy_id", "n": {"$sum": 1}}}])}
    boys = [{"boy": boy, "count": counts.get(boy["_id"], 0)} for boy in accounts.delivery_boys(active_only=False)]
    waiting = list(get_db().customers.find({"delivery_boy_id": None, "status": {"$ne": "stopped"}})
                   .sort("created_at", 1).limit(200))
    return {"boys": boys, "waiting": waiting}

