"""How numbers, dates and orders read to people: one formatter each. Services return paise, dates and
documents; templates (through `template_helpers`) and audit summaries turn them into text here."""
import csv
import io
from decimal import Decimal

from babel.dates import format_date, format_datetime, get_day_names
from babel.numbers import format_currency

from webapp import clock

# Indian digit grouping (₹1,00,000.00) by Babel's CLDR rules for the locale, not by hand.
MONEY_LOCALE = "en_IN"
# Dates in English read as they always have ("Fri 13 Mar", "Sep"): Babel's plain English, not en_IN's "Sept".
DATE_LOCALE = "en"
DAY_PATTERNS = {"short": "EEE dd MMM", "long": "dd MMM y", "words": "d MMMM y"}


def format_rupees(paise, locale=MONEY_LOCALE):
    """The one money formatter: 12345 → '₹123.45'; 10000000 → '₹1,00,000.00'; -500 → '−₹5.00' (a real minus)."""
    if paise is None:
        return ""
    sign = "−" if paise < 0 else ""
    return sign + format_currency(Decimal(abs(int(paise))) / 100, "INR", locale=locale)


def format_month(month, locale=DATE_LOCALE, style="month"):
    """'2026-10' (or a date in it) → 'October 2026'; style 'name': 'October' alone."""
    if not month:
        return ""
    first = clock.parse_day(f"{month}-01") if isinstance(month, str) else month
    return format_date(first, "MMMM" if style == "name" else "MMMM y", locale=locale)


def format_day(value, style="short", locale=DATE_LOCALE):
    """'2026-01-31' or a date → 'Sat 31 Jan' (short), '31 Jan 2026' (long) or '31 January 2026' (words)."""
    if not value:
        return ""
    return format_date(clock.parse_day(value), DAY_PATTERNS[style], locale=locale)


def format_time(moment, locale=DATE_LOCALE):
    """A UTC datetime shown in business time."""
    if not moment:
        return ""
    return format_datetime(moment.astimezone(clock.business_tz()), "dd MMM y HH:mm", locale=locale)


def weekday_names(locale=DATE_LOCALE):
    """Monday first: 'Mon' … 'Sun' in the language."""
    names = get_day_names("abbreviated", locale=locale)
    return [names[weekday] for weekday in range(7)]


def untranslated(text, **values):
    return text % values


def describe_pattern(pattern, locale=DATE_LOCALE, gettext=untranslated):
    """A subscription's pattern in words: 'Daily', 'Weekly: Mon, Thu', 'On 3 chosen dates'. English (audit
    summaries) unless the page passes its language and Flask-Babel's gettext."""
    kind = pattern.get("kind")
    if kind == "weekly":
        names = weekday_names(locale)
        return gettext("Weekly: %(days)s", days=", ".join(names[d] for d in pattern.get("weekdays") or []))
    if kind == "custom":
        return gettext("On %(count)s chosen dates", count=len(pattern.get("dates") or []))
    return {"daily": gettext("Daily"), "alternate": gettext("Every second day")}.get(kind, kind or "")


def calendar_weeks(days):
    """The month's days (consecutive, from the calendar read model) as weeks of 7, Monday first;
    None fills the days before the 1st and after the last."""
    if not days:
        return []
    weeks, week = [], [None] * days[0]["date"].weekday()
    for day in days:
        week.append(day)
        if len(week) == 7:
            weeks.append(week)
            week = []
    if week:
        weeks.append(week + [None] * (7 - len(week)))
    return weeks


# A spreadsheet reads a text cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """One CSV cell: text that a spreadsheet would run as a formula gets a leading apostrophe;
    numbers stay numbers, None becomes an empty cell."""
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_rupees(paise):
    """A money cell: rupees with two decimals as a number (12345 → 123.45, -500 → -5.00), no symbol or
    grouping, so a spreadsheet sums it."""
    return Decimal(int(paise)).scaleb(-2)


def csv_text(rows):
    """Rows (lists of values) as CSV text, every cell through `csv_cell`."""
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return out.getvalue()
