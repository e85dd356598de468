"""Products: what is sold, at which price."""
from pymongo.errors import DuplicateKeyError

from webapp import clock
from webapp.db import get_db
from webapp.services import NotFound, ValidationError, audit, ids, validate

STATUSES = ("active", "discontinued")
MAX_PRICE_PAISE = 10_000_000  # ₹1,00,000: anything above is a typing slip


def clean_price(price_paise, field="price_paise"):
    if isinstance(price_paise, bool) or not isinstance(price_paise, int):
        raise ValidationError("Price must be an amount like 32.50.", field=field)
    if price_paise <= 0:
        raise ValidationError("Price must be more than zero.", field=field)
    if price_paise > MAX_PRICE_PAISE:
        raise ValidationError("That price is too high.", field=field)
    return price_paise


def create_product(name, unit, price_paise, *, actor):
    actor.require("admin")
    errors = validate.Errors()
    name = errors.check("name", validate.text, name, "name", label="Name", max_length=80)
    unit = errors.check("unit", validate.text, unit, "unit", label="Unit", max_length=60)
    price_paise = errors.check("price_paise", clean_price, price_paise)
    errors.raise_if_any()
    now = clock.now()
    product = {
        "_id": ids.new_product_id(),
        "name": name,
        "name_key": name.casefold(),
        "unit": unit,
        "price_paise": price_paise,
        "status": "active",
        "created_at": now,
        "updated_at": now,
    }
    try:
        get_db().products.insert_one(product)
    except DuplicateKeyError:
        raise ValidationError("A product with this name already exists.", field="name") from None
    audit.record(actor, "product.create", "product", product["_id"], f"Created {name} ({unit}) at {price_paise} paise")
    return product


def get_product(product_id):
    product = get_db().products.find_one({"_id": product_id})
    if product is None:
        raise NotFound("No such product.")
    return product


def products_by_id(product_ids=None):
    """{id: product} for the given ids (all products when None), in one query."""
    query = {} if product_ids is None else {"_id": {"$in": list(product_ids)}}
    return {p["_id"]: p for p in get_db().products.find(query)}


def list_products(include_discontinued=True):
    query = {} if include_discontinued else {"status": "active"}
    return list(get_db().products.find(query).sort("name_key", 1))
