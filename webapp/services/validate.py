"""Checks of what a person typed, shared by every service. Each raises ValidationError with the field."""
import re
import unicodedata
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext
from zxcvbn import zxcvbn

from webapp import clock, i18n
from webapp.presentation import format_day, format_month
from webapp.services import ValidationError

PHONE_RE = re.compile(r"[6-9][0-9]{9}")
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
DAY_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MONTH_RE = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
MAX_QTY = 50
MAX_NUMBER_DIGITS = 9
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
# zxcvbn refuses longer input; the first 72 characters of a password are at most as strong as all of it.
PASSWORD_ESTIMATE_LENGTH = 72
OWN_DETAILS_WARNING = "Your own name, email or mobile number is easy to guess."
MIN_PASSWORD_SCORE = 3  # zxcvbn: 3 = "safely unguessable", about 10^8 guesses or more
# Invisible characters that make two texts look alike but compare different, or reorder what is shown:
# zero-width space/joiners, word joiner, byte-order mark; bidi marks, embeddings, overrides and isolates.
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u061c"
                                   "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


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


def clean_text(value, *, multiline=False):
    """NFC-normalised text without invisible characters or control characters; a line break is kept in a
    multi-line field (as \\n), elsewhere it and a tab become a space."""
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n")).translate(INVISIBLE)
    kept = []
    for char in value:
        if char == "\n" and multiline:
            kept.append(char)
        elif char in "\t\n\r":
            kept.append(" ")
        elif unicodedata.category(char) != "Cc":
            kept.append(char)
    return "".join(kept)


def text(value, field, *, label, max_length=200, required=True, multiline=False):
    """Free text a person typed (names, addresses, notes, reasons), cleaned by `clean_text` and trimmed."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(gettext("%(label)s must be text.", label=gettext(label)), field=field)
    value = clean_text(value, multiline=multiline).strip()
    if required and not value:
        raise ValidationError(gettext("%(label)s is required.", label=gettext(label)), field=field)
    if len(value) > max_length:
        raise ValidationError(gettext("%(label)s is too long (at most %(count)s characters).", label=gettext(label),
                                      count=max_length), field=field)
    return value


def ascii_digits(value):
    """NFKC-normalised, with every decimal digit of any script (Devanagari ९, Gujarati ૯, full-width ９) as 0-9."""
    value = unicodedata.normalize("NFKC", value).translate(INVISIBLE)
    return "".join(str(unicodedata.decimal(char)) if char.isdecimal() else char for char in value)


def phone(value, field="phone"):
    """A 10-digit Indian mobile number, in ASCII digits whatever script it was typed in; spaces, dashes and a
    +91/0 prefix are dropped."""
    digits = re.sub(r"[\s\-()]", "", ascii_digits(value) if isinstance(value, str) else "")
    if digits.startswith("+91"):
        digits = digits[3:]
    elif len(digits) == 11 and digits.startswith("0"):
        digits = digits[1:]
    if not PHONE_RE.fullmatch(digits):
        raise ValidationError(gettext("Enter a 10-digit mobile number starting with 6, 7, 8 or 9."), field=field)
    return digits


def email(value, field="email", *, required=True):
    value = unicodedata.normalize("NFKC", value).translate(INVISIBLE).strip().lower() if isinstance(value, str) else ""
    if not value:
        if required:
            raise ValidationError(gettext("Email is required."), field=field)
        return None
    if not EMAIL_RE.fullmatch(value) or len(value) > 254:
        raise ValidationError(gettext("Enter a valid email address."), field=field)
    return value


def password(value, field="password", *, user_inputs=()):
    """A password hard to guess: at least 10 characters and a zxcvbn score of 3 or more, counting the person's
    own name, email and phone (`user_inputs`) as easy guesses. The refusal says why, in zxcvbn's words."""
    if not isinstance(value, str) or len(value) < MIN_PASSWORD_LENGTH:
        raise ValidationError(gettext("Choose a password of at least %(count)s characters.", count=MIN_PASSWORD_LENGTH),
                              field=field)
    if len(value) > MAX_PASSWORD_LENGTH:
        raise ValidationError(gettext("That password is too long."), field=field)
    estimate = zxcvbn(value[:PASSWORD_ESTIMATE_LENGTH], user_inputs=guessable_words(user_inputs))
    if estimate["score"] < MIN_PASSWORD_SCORE:
        feedback = estimate["feedback"]
        own = [OWN_DETAILS_WARNING] if any(match.get("dictionary_name") == "user_inputs"
                                           for match in estimate["sequence"]) else []
        why = (" ".join(part for part in [*own, feedback["warning"], *feedback["suggestions"]] if part)
               or gettext("Add another word or two."))
        raise ValidationError(gettext("That password is too easy to guess.") + " " + why, field=field)
    return value


def guessable_words(user_inputs):
    """What a person's details give a guesser: each value whole and its words (of an email, the words before
    the @: a shared domain such as the business's own is no personal detail), digits in ASCII."""
    words = []
    for value in user_inputs:
        if not isinstance(value, str) or not value.strip():
            continue
        value = ascii_digits(value).strip().lower()
        words += [value, *re.split(r"[\W_]+", value.split("@")[0])]
    return [word for word in dict.fromkeys(words) if len(word) > 1]


def whole_number(value, field, *, label="Quantity", minimum=0, maximum=MAX_QTY):
    """An int within bounds; rejects bools, fractions and text."""
    if isinstance(value, bool):
        raise ValidationError(gettext("%(label)s must be a whole number.", label=gettext(label)), field=field)
    if isinstance(value, str):
        value = ascii_digits(value).strip()
        if not re.fullmatch(r"-?[0-9]+", value):
            raise ValidationError(gettext("%(label)s must be a whole number.", label=gettext(label)), field=field)
        if len(value.lstrip("-")) > MAX_NUMBER_DIGITS:  # out of bounds anyway; int() refuses thousands of digits
            value = minimum - 1 if value.startswith("-") else maximum + 1
        else:
            value = int(value)
    elif isinstance(value, float):
        if not value.is_integer():
            raise ValidationError(gettext("%(label)s must be a whole number.", label=gettext(label)), field=field)
        value = int(value)
    elif not isinstance(value, int):
        raise ValidationError(gettext("%(label)s must be a whole number.", label=gettext(label)), field=field)
    if value < minimum:
        raise ValidationError(gettext("%(label)s cannot be less than %(number)s.", label=gettext(label),
                                      number=minimum), field=field)
    if value > maximum:
        raise ValidationError(gettext("%(label)s cannot be more than %(number)s.", label=gettext(label),
                                      number=maximum), field=field)
    return value


def business_start():
    """The day the business started (BUSINESS_START_DATE): nothing a person types is dated earlier."""
    return date.fromisoformat(current_app.config["BUSINESS_START_DATE"])


def one_year_after(day):
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def latest_day():
    """The furthest date anything may be planned for: one year from today."""
    return one_year_after(clock.today())


def day(value, field="date", *, label="Date", earliest=None, latest=None):
    """A `date` from a date or 'YYYY-MM-DD' (ASCII digits, nothing after), between `earliest` (default: the
    business start) and `latest` (default: one year from today), so that no date near year 1 or 9999 reaches
    the date arithmetic of the services."""
    if value is None or value == "":
        raise ValidationError(gettext("%(label)s is required.", label=gettext(label)), field=field)
    if isinstance(value, date) and not isinstance(value, datetime):
        parsed = value
    else:
        text_value = value.strip() if isinstance(value, str) else ""
        try:
            if not DAY_RE.fullmatch(text_value):
                raise ValueError(text_value)
            parsed = date.fromisoformat(text_value)
        except ValueError:
            raise ValidationError(gettext("%(label)s must be a date like 2026-01-31.", label=gettext(label)),
                                  field=field) from None
    earliest = business_start() if earliest is None else earliest
    latest = latest_day() if latest is None else latest
    if parsed < earliest:
        raise ValidationError(gettext("Choose a date from %(day)s.",
                                      day=format_day(earliest, "words", i18n.language())), field=field)
    if parsed > latest:
        raise ValidationError(gettext("Choose a date up to %(day)s.",
                                      day=format_day(latest, "words", i18n.language())), field=field)
    return parsed


def not_past(value, field="date", *, label="Date"):
    if value < clock.today():
        raise ValidationError(gettext("%(label)s cannot be in the past.", label=gettext(label)), field=field)
    return value


def month(value, field="month"):
    """'YYYY-MM' (ASCII digits, nothing after), from the business start's month to one year from now's."""
    value = value.strip() if isinstance(value, str) else ""
    if not MONTH_RE.fullmatch(value):
        raise ValidationError(gettext("Month must look like 2026-01."), field=field)
    earliest, latest = business_start(), latest_day()
    if value < clock.month_of(earliest):
        raise ValidationError(gettext("Choose a month from %(month)s.", month=format_month(earliest, i18n.language())),
                              field=field)
    if value > clock.month_of(latest):
        raise ValidationError(gettext("Choose a month up to %(month)s.", month=format_month(latest, i18n.language())),
                              field=field)
    return value


def as_date(value):
    """Stored 'YYYY-MM-DD' → date (None stays None)."""
    return date.fromisoformat(value) if value else None
