"""Checks of what a person typed, shared by every service. Each raises ValidationError with the field."""
import re
from datetime import date

from webapp import clock
from webapp.services import ValidationError

PHONE_RE = re.compile(r"^[6-9]\d{9}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_QTY = 50


class Errors:
    """Collects field errors so a form shows all of them at once; `raise_if_any()` at the end."""

    def __init__(self):
        self.errors = {}

    def add(self, field, message):
        self.errors.setdefault(field, message)

    def check(self, field, func, *args, **kwargs):
        """Run a cleaner; on ValidationError remember it and return None."""
        try:
            return func(*args, **kwargs)
        except ValidationError as error:
            self.add(field, error.message)
            return None

    def raise_if_any(self):
        if self.errors:
            field, first = next(iter(self.errors.items()))
            raise ValidationError(first, field=field, errors=self.errors)


def text(value, field, *, label, max_length=200, required=True):
    value = (value or "").strip()
    if required and not value:
        raise ValidationError(f"{label} is required.", field=field)
    if len(value) > max_length:
        raise ValidationError(f"{label} is too long (at most {max_length} characters).", field=field)
    return value


def phone(value, field="phone"):
    """A 10-digit Indian mobile number; spaces, dashes and a +91/0 prefix are dropped."""
    digits = re.sub(r"[\s\-()]", "", str(value or ""))
    if digits.startswith("+91"):
        digits = digits[3:]
    elif len(digits) == 11 and digits.startswith("0"):
        digits = digits[1:]
    if not PHONE_RE.match(digits):
        raise ValidationError("Enter a 10-digit mobile number starting with 6, 7, 8 or 9.", field=field)
    return digits


def email(value, field="email", *, required=True):
    value = (value or "").strip().lower()
    if not value:
        if required:
            raise ValidationError("Email is required.", field=field)
        return None
    if not EMAIL_RE.match(value) or len(value) > 254:
        raise ValidationError("Enter a valid email address.", field=field)
    return value


def password(value, field="password"):
    if not value or len(value) < 8:
        raise ValidationError("Choose a password of at least 8 characters.", field=field)
    if len(value) > 200:
        raise ValidationError("That password is too long.", field=field)
    return value


def whole_number(value, field, *, label="Quantity", minimum=0, maximum=MAX_QTY):
    """An int within bounds; rejects bools, fractions and text."""
    if isinstance(value, bool):
        raise ValidationError(f"{label} must be a whole number.", field=field)
    if isinstance(value, str):
        value = value.strip()
        if not re.fullmatch(r"-?\d+", value):
            raise ValidationError(f"{label} must be a whole number.", field=field)
        value = int(value)
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValidationError(f"{label} must be a whole number.", field=field)
        value = int(value)
    elif not isinstance(value, int):
        raise ValidationError(f"{label} must be a whole number.", field=field)
    if value < minimum:
        raise ValidationError(f"{label} cannot be less than {minimum}.", field=field)
    if value > maximum:
        raise ValidationError(f"{label} cannot be more than {maximum}.", field=field)
    return value


def day(value, field="date", *, label="Date"):
    """A `date` from a date or 'YYYY-MM-DD'."""
    if value in (None, ""):
        raise ValidationError(f"{label} is required.", field=field)
    try:
        return clock.parse_day(value)
    except ValueError:
        raise ValidationError(f"{label} must be a date like 2026-01-31.", field=field) from None


def not_past(value, field="date", *, label="Date"):
    if value < clock.today():
        raise ValidationError(f"{label} cannot be in the past.", field=field)
    return value


def month(value, field="month"):
    """'YYYY-MM'."""
    value = (value or "").strip()
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        raise ValidationError("Month must look like 2026-01.", field=field)
    return value


def as_date(value):
    """Stored 'YYYY-MM-DD' → date (None stays None)."""
    return date.fromisoformat(value) if value else None
