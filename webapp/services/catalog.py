"""Products: what is sold, at which price."""
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from webapp import clock
from webapp.db import get_db
from webapp.presentation import format_rupees
from webapp.services import NotFound, ValidationError, bottles, ids, uow, validate

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


def clean_product_fields(name, unit, price_paise):
    errors = validate.Errors()
    name = errors.check("name", validate.text, name, "name", label="Name", max_length=80)
    unit = errors.check("unit", validate.text, unit, "unit", label="Unit", max_length=60)
    price_paise = errors.check("price_paise", clean_price, price_paise)
    errors.raise_if_any()
    return name, unit, price_paise


LABELS = {"name": "name", "unit": "unit", "price_paise": "price"}


def shown(key, value):
    return format_rupees(value) if key == "price_paise" else value


def duplicate_name():
    return ValidationError("A product with this name already exists.", field="name")


def create_product(name, unit, price_paise, *, actor):
    """Add a product to the catalogue; names are unique whatever their case."""
    actor.require("admin")
    name, unit, price_paise = clean_product_fields(name, unit, price_paise)
    product_id = ids.new_product_id()

    def work(u):
        now = clock.now()
        product = {"_id": product_id, "name": name, "name_key": name.casefold(), "unit": unit,
                   "price_paise": price_paise, "status": "active", "created_at": now, "updated_at": now}
        try:
            u.db.products.insert_one(product)
        except DuplicateKeyError:
            raise duplicate_name() from None
        u.record("product.create", "product", product_id, f"Created {name} ({unit}) at {format_rupees(price_paise)}")
        return product

    return uow.run(actor, work)


def update_product(product_id, name, unit, price_paise, *, actor):
    """Change a product's name, unit or price; the audit keeps every value before and after."""
    actor.require("admin")
    name, unit, price_paise = clean_product_fields(name, unit, price_paise)
    before = get_product(product_id)
    wanted = {"name": name, "name_key": name.casefold(), "unit": unit, "price_paise": price_paise}
    changes = {key: {"before": before[key], "after": value}
               for key, value in wanted.items() if before[key] != value and key != "name_key"}
    if not changes:
        return before
    summary = ", ".join(f"{LABELS[key]} {shown(key, change['before'])} → {shown(key, change['after'])}"
                        for key, change in changes.items())

    def work(u):
        try:
            product = u.db.products.find_one_and_update(
                {"_id": product_id}, {"$set": {**wanted, "updated_at": clock.now()}},
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            raise duplicate_name() from None
        if product is None:
            raise NotFound("No such product.")
        u.record("product.update", "product", product_id, f"Changed {before['name']}: {summary}", changes=changes)
        return product

    return uow.run(actor, work)


def set_status(product_id, status, *, actor):
    """Discontinue a product (no new orders may name it) or offer it again. Existing orders keep it."""
    actor.require("admin")
    if status not in STATUSES:
        raise ValidationError("Choose a status.", field="status")

    def work(u):
        before = u.db.products.find_one_and_update(
            {"_id": product_id}, {"$set": {"status": status, "updated_at": clock.now()}}
        ) if isinstance(product_id, str) else None
        if before is None:
            raise NotFound("No such product.")
        if before["status"] != status:
            verb = "discontinue" if status == "discontinued" else "reactivate"
            u.record(f"product.{verb}", "product", product_id,
                     f"{'Discontinued' if status == 'discontinued' else 'Offered again'}: {before['name']}",
                     changes={"status": {"before": before["status"], "after": status}})
        return {**before, "status": status}

    return uow.run(actor, work)


def set_returnable(product_id, returnable, deposit_paise, *, actor):
    """Mark a product returnable with its deposit per bottle (or not returnable). Bottles already given keep the
    deposit of their day."""
    actor.require("admin")
    returnable, deposit_paise = bottles.clean_deposit(bool(returnable), deposit_paise)

    def work(u):
        before = u.db.products.find_one_and_update(
            {"_id": product_id}, {"$set": {"returnable": returnable, "deposit_paise": deposit_paise,
                                          "updated_at": clock.now()}}) if isinstance(product_id, str) else None
        if before is None:
            raise NotFound("No such product.")
        was = (bool(before.get("returnable")), before.get("deposit_paise") or 0)
        if was != (returnable, deposit_paise):
            u.record("product.bottles", "product", product_id,
                     f"{before['name']}: " + (f"returnable, deposit {deposit_paise} paise" if returnable
                                              else "not returnable"),
                     changes={"before": {"returnable": was[0], "deposit_paise": was[1]},
                              "after": {"returnable": returnable, "deposit_paise": deposit_paise}})
        return {**before, "returnable": returnable, "deposit_paise": deposit_paise}

    return uow.run(actor, work)


def get_product(product_id):
    product = get_db().products.find_one({"_id": product_id}) if isinstance(product_id, str) else None
    if product is None:
        raise NotFound("No such product.")
    return product


def ensure_orderable(product, field="items"):
    """The product if it may go on a new order (None: unknown); ValidationError on `field` if unknown or
    discontinued. Only active products go on new orders."""
    if product is None:
        raise ValidationError("Choose a product from the catalogue.", field=field)
    if product["status"] != "active":
        raise ValidationError(f"{product['name']} is discontinued and cannot be ordered.", field=field)
    return product


def products_by_id(product_ids):
    """{id: product} for the given ids, in one query."""
    return {p["_id"]: p for p in get_db().products.find({"_id": {"$in": list(product_ids)}})}


def list_products(include_discontinued=True):
    """Products by name; discontinued ones only when asked (the catalogue page shows them, order forms do not)."""
    query = {} if include_discontinued else {"status": "active"}
    return list(get_db().products.find(query).sort("name_key", 1))
