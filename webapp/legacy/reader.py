"""Reading the legacy database: every collection once, values normalised the same way everywhere."""
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from webapp.services import ValidationError, validate

COLLECTIONS = ("users", "addresses", "products", "customers_v2", "delivery_boys_v2", "orders", "subscriptions",
               "subscriptions_v2", "delivery_statuses", "billing_records")


def load(source):
    """{collection: [documents without _id]}: one read per legacy collection, nothing written."""
    return {name: list(source[name].find({}, {"_id": 0}, batch_size=5000)) for name in COLLECTIONS}


def pick(doc, *names, default=None):
    """The first of `names` present (and not None) in `doc`: the two generations spell fields differently."""
    for name in names:
        if doc.get(name) is not None:
            return doc[name]
    return default


def status(value):
    """'Delivered ', 'DELIVERED' and 'delivered' alike."""
    return str(value or "").strip().lower().replace(" ", "_").replace("-", "_")


def phone(value):
    """A 10-digit mobile number, or None when the record holds none that is valid."""
    try:
        return validate.phone(value)
    except ValidationError:
        return None


def email(value):
    try:
        return validate.email(value, required=False)
    except ValidationError:
        return None


def day(value):
    """'YYYY-MM-DD' from a date, a datetime or a string starting with one; None otherwise."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            return None
    return None


def quantity(value):
    """A whole quantity from 2, 2.0 or "2"; None when it is not one."""
    try:
        number = Decimal(str(value))
    except (ArithmeticError, ValueError, TypeError):
        return None
    return int(number) if number == number.to_integral_value() and number >= 0 else None


class Money:
    """Floating-point rupees to integer paise, every value that needed rounding noted for the report."""

    def __init__(self):
        self.rounding = []

    def paise(self, rupees, collection, legacy_id, field):
        """Paise (half up) of `rupees`, or None when there is no number."""
        if rupees is None or isinstance(rupees, bool):
            return None
        try:
            exact = Decimal(str(rupees)) * 100
        except (ArithmeticError, ValueError, TypeError):
            return None
        rounded = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if exact != rounded:
            self.rounding.append({"collection": collection, "legacy_id": legacy_id, "field": field,
                                  "legacy_value": rupees, "paise": rounded})
        return rounded
