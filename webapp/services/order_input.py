"""What an order is made of, checked: the customer, the items at his price, the dates, the pattern,
one day's quantities. Each cleaner returns the stored form or raises ValidationError on its field."""
from webapp.services import NotFound, ValidationError, catalog, customers, cutoff, validate

PATTERN_KINDS = ("daily", "alternate", "weekly", "custom")
MAX_ITEMS = 20
MAX_CUSTOM_DATES = 366


def clean_customer(customer_id):
    if not isinstance(customer_id, str) or not customer_id:
        raise ValidationError("Choose a customer.", field="customer_id")
    try:
        customer = customers.get_customer(customer_id)
    except NotFound:
        raise ValidationError("No such customer.", field="customer_id") from None
    if customer.get("status") == "stopped":
        raise ValidationError("This customer is stopped; set them active before ordering.", field="customer_id")
    return customer


def clean_items(items, customer):
    """[{product_id, qty, unit_price_paise}] at the customer's price in force now."""
    if not isinstance(items, (list, tuple)) or not items:
        raise ValidationError("Add at least one product.", field="items")
    if len(items) > MAX_ITEMS:
        raise ValidationError(f"At most {MAX_ITEMS} products in one order.", field="items")
    wanted = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("product_id"), str):
            raise ValidationError("Choose a product for every line.", field="items")
        qty = validate.whole_number(item.get("qty"), "items", minimum=1)
        wanted.append((item["product_id"], qty))
    product_ids = [product_id for product_id, _ in wanted]
    if len(set(product_ids)) != len(product_ids):
        raise ValidationError("Each product may appear only once; change its quantity instead.", field="items")
    products = catalog.products_by_id(product_ids)
    cleaned = []
    for product_id, qty in wanted:
        product = catalog.ensure_orderable(products.get(product_id), field="items")
        cleaned.append({"product_id": product_id, "qty": qty,
                        "unit_price_paise": customers.unit_price(customer, product)})
    return cleaned


def clean_day(value, field, label, *, actor, earliest=None):
    """A date not in the past; a customer may only choose dates whose changes are still open (`earliest`)."""
    day = validate.day(value, field, label=label)
    if not actor.is_system:  # the system (demo seeding, imports) may record orders that began earlier
        validate.not_past(day, field, label=label)
    if earliest is not None and day < earliest:
        raise ValidationError(f"{cutoff.cutoff_message(day)} The earliest date is {earliest.strftime('%a %d %b')}.",
                              field=field)
    return day


def clean_pattern(pattern, start, end):
    """{kind, weekdays, dates} as stored; dates must lie within start..end."""
    if not isinstance(pattern, dict) or pattern.get("kind") not in PATTERN_KINDS:
        raise ValidationError("Choose how often: daily, alternate days, weekly or on chosen dates.",
                              field="pattern")
    kind = pattern["kind"]
    weekdays, dates = [], []
    if kind == "weekly":
        raw = pattern.get("weekdays") or []
        if not isinstance(raw, (list, tuple)) or not raw:
            raise ValidationError("Choose at least one weekday.", field="weekdays")
        for value in raw:
            weekday = validate.whole_number(value, "weekdays", label="Weekday", minimum=0, maximum=6)
            if weekday not in weekdays:
                weekdays.append(weekday)
        weekdays.sort()
    if kind == "custom":
        raw = pattern.get("dates") or []
        if not isinstance(raw, (list, tuple)) or not raw:
            raise ValidationError("Choose at least one date.", field="dates")
        if len(raw) > MAX_CUSTOM_DATES:
            raise ValidationError(f"At most {MAX_CUSTOM_DATES} dates.", field="dates")
        for value in raw:
            day = validate.day(value, "dates", label="Each date")
            if start is not None and day < start:
                raise ValidationError("Every date must be on or after the start date.", field="dates")
            if end is not None and day > end:
                raise ValidationError("Every date must be on or before the end date.", field="dates")
            if day.isoformat() not in dates:
                dates.append(day.isoformat())
        dates.sort()
    return {"kind": kind, "weekdays": weekdays, "dates": dates}


def clean_day_quantities(order, items):
    """{product_id: qty} for products of this subscription, 0..50 each."""
    if not isinstance(items, (list, tuple)) or not items:
        raise ValidationError("Give a quantity for at least one product.", field="items")
    known = {item["product_id"] for item in order["items"]}
    quantities = {}
    for item in items:
        if not isinstance(item, dict) or item.get("product_id") not in known:
            raise ValidationError("That product is not part of this subscription.", field="items")
        quantities[item["product_id"]] = validate.whole_number(item.get("qty"), "items", minimum=0)
    return quantities
