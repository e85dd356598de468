"""The one source of the current time. Tests freeze it with `frozen(...)`."""
import contextlib
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TZ = "Asia/Kolkata"
_frozen_at = None


def business_tz():
    name = current_app.config["BUSINESS_TZ"] if has_app_context() else DEFAULT_TZ
    return ZoneInfo(name)


def now():
    """Aware UTC datetime."""
    return _frozen_at if _frozen_at is not None else datetime.now(timezone.utc)


def today():
    """The business date (Asia/Kolkata by default)."""
    return now().astimezone(business_tz()).date()


def local_datetime(day, hour, minute=0):
    """An aware UTC datetime for `hour:minute` business time on `day`."""
    return datetime.combine(day, time(hour, minute), business_tz()).astimezone(timezone.utc)


def parse_day(value):
    """`date` from a date or an ISO 'YYYY-MM-DD' string; ValueError otherwise."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    return date.fromisoformat(str(value).strip())


def iso(day):
    return day.isoformat()


def month_of(day):
    return day.strftime("%Y-%m")


def month_days(month):
    """All dates of a 'YYYY-MM' month."""
    first = date.fromisoformat(month + "-01")
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return [first + timedelta(days=n) for n in range((following - first).days)]


@contextlib.contextmanager
def frozen(moment):
    """Freeze now() at an aware datetime (or a business-time naive one) for the block."""
    global _frozen_at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=business_tz())
    previous, _frozen_at = _frozen_at, moment.astimezone(timezone.utc)
    try:
        yield _frozen_at
    finally:
        _frozen_at = previous
