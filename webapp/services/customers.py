"""The one customer master, linked 1:1 to a login.

Whoever creates a customer (staff, or the customer signing up) goes through `insert_customer`,
which writes the customer and his login in one transaction.
"""
import math
import re

from pymongo import ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from webapp import clock
from webapp.db import get_db, in_transaction
from webapp.services import (
    STAFF_ROLES, Actor, Conflict, NotFound, ValidationError, accounts, audit, catalog, ids, validate,
)

STATUSES = ("trial", "active", "paused", "stopped")
PER_PAGE = 25
MAX_STOP = 100_000
DETAIL_FIELDS = ("name", "phone", "email", "address", "area")


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


def place_on_route(customer_id, delivery_boy_id, stop, *, session):
    """The stop to store: the end of the route when none is given; a taken stop pushes the later ones down."""
    if delivery_boy_id is None:
        return None
    customers = get_db().customers
    if stop is None:
        last = customers.find_one({"delivery_boy_id": delivery_boy_id, "stop": {"$type": "int"}},
                                  sort=[("stop", -1)], session=session)
        return (last["stop"] if last else 0) + 1
    others = {"delivery_boy_id": delivery_boy_id, "_id": {"$ne": customer_id}}
    if customers.find_one({**others, "stop": stop}, session=session):
        customers.update_many({**others, "stop": {"$gte": stop}}, {"$inc": {"stop": 1}}, session=session)
    return stop


def insert_customer(details, status, route, prices, *, actor, password=None, self_signup=False):
    """Write the customer and his login in one transaction; returns (customer, user)."""
    customer_id = ids.new_id("CU")
    user = accounts.new_user_doc(details["email"], details["name"], "customer", details["phone"], actor=actor,
                                 password=password, customer_id=customer_id)
    author = Actor.for_user(user, actor.ip) if self_signup else actor
    now = clock.now()
    customer = {
        "_id": customer_id,
        **details,
        "name_key": details["name"].casefold(),
        "delivery_boy_id": route[0],
        "stop": None,
        "status": status,
        "custom_prices": prices,
        "user_id": user["_id"],
        "created_at": now,
        "updated_at": now,
    }

    def write(session):
        accounts.insert_user(user, session=session)
        customer["stop"] = place_on_route(customer_id, route[0], route[1], session=session)
        try:
            get_db().customers.insert_one(customer, session=session)
        except DuplicateKeyError:
            raise ValidationError("A customer with this phone number already exists.", field="phone") from None
        how = "Signed up" if self_signup else "Created customer"
        audit.record(author, "customer.signup" if self_signup else "customer.create", "customer", customer_id,
                     f"{how} {details['name']} ({details['phone']})", session=session)

    in_transaction(write)
    return customer, user


def create_customer(name, phone, address, area, *, delivery_boy_id=None, stop=None, email=None,
                    status="active", custom_prices=None, actor):
    """Create the customer and his login in one unit; returns (customer, invite_url)."""
    actor.require(*STAFF_ROLES)
    errors = validate.Errors()
    details = clean_details(errors, name, phone, address, area, email)
    check_status(errors, status)
    route = clean_route(errors, delivery_boy_id, stop)
    prices = errors.check("custom_prices", clean_custom_prices, custom_prices)
    errors.raise_if_any()
    customer, user = insert_customer(details, status, route, prices, actor=actor)
    return customer, accounts.create_invite(user["_id"], actor=actor)


def sign_up(name, phone, address, password, *, area=None, ip=None):
    """A person registers himself: a `trial` customer waiting for a delivery boy. Returns his login."""
    errors = validate.Errors()
    details = clean_details(errors, name, phone, address, area, None, area_required=False)
    errors.check("password", validate.password, password)
    errors.raise_if_any()
    _, user = insert_customer(details, "trial", (None, None), {}, actor=Actor("system", "signup", "anonymous", ip),
                              password=password, self_signup=True)
    return user


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
    """Write changed person details to the customer and his login together; audited with before/after."""
    changes = {key: {"before": customer.get(key), "after": value}
               for key, value in details.items() if customer.get(key) != value}
    if not changes:
        return customer
    update = {**details, "updated_at": clock.now()}
    if "name" in details:
        update["name_key"] = details["name"].casefold()

    def write(session):
        try:
            saved = get_db().customers.find_one_and_update(
                {"_id": customer["_id"]}, {"$set": update}, return_document=ReturnDocument.AFTER, session=session
            )
        except DuplicateKeyError:
            raise ValidationError("A customer with this phone number already exists.", field="phone") from None
        login_fields = {key: details[key] for key in ("name", "phone", "email") if key in details}
        accounts.update_contact(customer["user_id"], login_fields, session=session)
        audit.record(actor, action, "customer", customer["_id"], f"{summary}: {', '.join(changes)}",
                     changes=changes, session=session)
        return saved

    return in_transaction(write)


def update_customer(customer_id, name, phone, address, area, *, email=None, actor):
    """Staff edit a customer's name, phone, email, address and area."""
    customer = staff_customer(customer_id, actor=actor)
    errors = validate.Errors()
    details = clean_details(errors, name, phone, address, area, email)
    errors.raise_if_any()
    return save_details(customer, details, actor=actor, action="customer.update",
                        summary=f"Edited {customer['name']}")


def own_profile(*, actor):
    """The signed-in customer's own record (there is no way to name another)."""
    actor.require("customer")
    if not actor.customer_id:
        raise NotFound("No customer record for this login.")
    return get_customer(actor.customer_id)


def update_own_profile(address, phone, *, actor):
    """A customer changes his own address and phone."""
    customer = own_profile(actor=actor)
    errors = validate.Errors()
    details = {
        "address": errors.check("address", validate.text, address, "address", label="Address", max_length=300),
        "phone": errors.check("phone", validate.phone, phone),
    }
    errors.raise_if_any()
    return save_details(customer, details, actor=actor, action="customer.update_own",
                        summary=f"{customer['name']} changed his profile")


def set_status(customer_id, status, *, actor):
    """trial / active / paused / stopped."""
    actor.require(*STAFF_ROLES)
    if status not in STATUSES:
        raise ValidationError("Choose a status.", field="status")
    before = get_db().customers.find_one_and_update(
        {"_id": customer_id}, {"$set": {"status": status, "updated_at": clock.now()}}
    ) if isinstance(customer_id, str) else None
    if before is None:
        raise NotFound("No such customer.")
    if before["status"] != status:
        audit.record(actor, "customer.status", "customer", customer_id,
                     f"{before['name']}: {before['status']} → {status}",
                     changes={"status": {"before": before["status"], "after": status}})
    return {**before, "status": status}


def set_custom_prices(customer_id, custom_prices, *, actor):
    """Replace the customer's own prices ({product_id: paise}; a missing product pays the list price)."""
    customer = staff_customer(customer_id, actor=actor)
    prices = clean_custom_prices(custom_prices)
    if prices == customer.get("custom_prices", {}):
        return customer
    saved = get_db().customers.find_one_and_update(
        {"_id": customer_id}, {"$set": {"custom_prices": prices, "updated_at": clock.now()}},
        return_document=ReturnDocument.AFTER,
    )
    audit.record(actor, "customer.prices", "customer", customer_id, f"Custom prices of {customer['name']} changed",
                 changes={"custom_prices": {"before": customer.get("custom_prices", {}), "after": prices}})
    return saved


def unit_price(customer, product):
    """What this customer pays for one unit: his custom price, else the product's price."""
    return (customer.get("custom_prices") or {}).get(product["_id"], product["price_paise"])


def assign_route(customer_id, delivery_boy_id, stop=None, *, actor):
    """Put a customer on a delivery boy's route at `stop` (default: the end), or take him off (no boy)."""
    customer = staff_customer(customer_id, actor=actor)
    errors = validate.Errors()
    route = clean_route(errors, delivery_boy_id, stop)
    errors.raise_if_any()
    before = {"delivery_boy_id": customer.get("delivery_boy_id"), "stop": customer.get("stop")}

    def write(session):
        after = {"delivery_boy_id": route[0],
                 "stop": place_on_route(customer_id, route[0], route[1], session=session)}
        get_db().customers.update_one({"_id": customer_id}, {"$set": {**after, "updated_at": clock.now()}},
                                      session=session)
        changes = {key: {"before": before[key], "after": after[key]} for key in after if before[key] != after[key]}
        if changes:
            audit.record(actor, "customer.route", "customer", customer_id,
                         f"{customer['name']} moved to {boy_name(route[0])}, stop {after['stop'] or '—'}",
                         changes=changes, session=session)
        return {**customer, **after}

    return in_transaction(write)


def move_stop(delivery_boy_id, customer_id, direction, *, actor):
    """Swap a customer with his neighbour on the route ("up" = earlier); returns the renumbered route."""
    customer = staff_customer(customer_id, actor=actor)
    if direction not in ("up", "down"):
        raise ValidationError("Move up or down.", field="direction")
    boy_id = customer.get("delivery_boy_id")
    if not boy_id or boy_id != delivery_boy_id:
        raise NotFound("This customer is not on that route.")

    def write(session):
        stops = route(boy_id, session=session)
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
            get_db().customers.bulk_write(writes, session=session)
        new_stop = next(n for n, stop in enumerate(stops, start=1) if stop["_id"] == customer_id)
        if new_stop != customer.get("stop"):
            audit.record(actor, "customer.route", "customer", customer_id,
                         f"{customer['name']} moved {direction} to stop {new_stop}",
                         changes={"stop": {"before": customer.get("stop"), "after": new_stop}}, session=session)
        for number, stop in enumerate(stops, start=1):
            stop["stop"] = number
        return stops

    return {"boy": accounts.get_user(boy_id), "stops": in_transaction(write)}


def delete_customer(customer_id, *, actor):
    """Delete a customer and his login; refused once he has orders or bills (stop him instead)."""
    actor.require("admin")
    customer = get_customer(customer_id)

    def write(session):
        db = get_db()
        for collection, what in (("orders", "orders"), ("bills", "bills")):
            if db[collection].find_one({"customer_id": customer_id}, {"_id": 1}, session=session):
                raise Conflict(f"{customer['name']} has {what}; set the status to stopped instead.")
        db.customers.delete_one({"_id": customer_id}, session=session)
        accounts.delete_login(customer["user_id"], session=session)
        audit.record(actor, "customer.delete", "customer", customer_id,
                     f"Deleted customer {customer['name']} ({customer['phone']}) and his login", session=session)

    in_transaction(write)


def search_query(text, status=None, area=None, delivery_boy_id=None):
    """The MongoDB filter for the staff list: prefix search on name words, phone and area (no text index)."""
    query = {}
    text = (text or "").strip()[:60]
    if text:
        words = re.escape(text.casefold())
        alternatives = [{"name_key": {"$regex": rf"(^|\s){words}"}},
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
    }


def route(delivery_boy_id, *, session=None):
    """A delivery boy's customers in stop order (customers without a stop number last, by name)."""
    stops = list(get_db().customers.find({"delivery_boy_id": delivery_boy_id}, session=session))
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

