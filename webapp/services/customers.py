"""The one customer master, linked 1:1 to a login."""
from pymongo.errors import DuplicateKeyError

from webapp import clock
from webapp.db import get_db, in_transaction
from webapp.services import STAFF_ROLES, NotFound, ValidationError, accounts, audit, catalog, ids, validate

STATUSES = ("trial", "active", "paused", "stopped")


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


def clean_route(delivery_boy_id, stop):
    if delivery_boy_id in (None, ""):
        return None, None
    boy = get_db().users.find_one({"_id": delivery_boy_id, "role": "delivery_boy", "active": True})
    if boy is None:
        raise ValidationError("Choose an active delivery boy.", field="delivery_boy_id")
    if stop in (None, ""):
        return delivery_boy_id, None
    return delivery_boy_id, validate.whole_number(stop, "stop", label="Stop number", minimum=1, maximum=100_000)


def create_customer(name, phone, address, area, *, delivery_boy_id=None, stop=None, email=None,
                    status="active", custom_prices=None, actor):
    """Create the customer and his login in one unit; returns (customer, invite_url)."""
    actor.require(*STAFF_ROLES)
    errors = validate.Errors()
    name = errors.check("name", validate.text, name, "name", label="Name", max_length=100)
    phone = errors.check("phone", validate.phone, phone)
    email = errors.check("email", validate.email, email, required=False)
    address = errors.check("address", validate.text, address, "address", label="Address", max_length=300)
    area = errors.check("area", validate.text, area, "area", label="Area", max_length=60)
    if status not in STATUSES:
        errors.add("status", "Choose a status.")
    route = errors.check("delivery_boy_id", clean_route, delivery_boy_id, stop)
    prices = errors.check("custom_prices", clean_custom_prices, custom_prices)
    errors.raise_if_any()

    customer_id = ids.new_id("CU")
    user = accounts.new_user_doc(email, name, "customer", phone, actor=actor, customer_id=customer_id)
    now = clock.now()
    customer = {
        "_id": customer_id,
        "name": name,
        "name_key": name.casefold(),
        "phone": phone,
        "email": email,
        "address": address,
        "area": area,
        "delivery_boy_id": route[0],
        "stop": route[1],
        "status": status,
        "custom_prices": prices,
        "user_id": user["_id"],
        "created_at": now,
        "updated_at": now,
    }

    def write(session):
        accounts.insert_user(user, session=session)
        try:
            get_db().customers.insert_one(customer, session=session)
        except DuplicateKeyError:
            raise ValidationError("A customer with this phone number already exists.", field="phone") from None
        audit.record(actor, "customer.create", "customer", customer_id, f"Created customer {name} ({phone})",
                     session=session)

    in_transaction(write)
    invite_url = accounts.create_invite(user["_id"], actor=actor)
    return customer, invite_url


def get_customer(customer_id):
    customer = get_db().customers.find_one({"_id": customer_id})
    if customer is None:
        raise NotFound("No such customer.")
    return customer
