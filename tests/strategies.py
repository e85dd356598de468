"""Hypothesis strategies for what a person (or a hand-crafted request) can send: text, numbers, dates,
months and choices, each mixing well-formed values with the awkward ones (unicode, control characters,
NUL, very long strings, huge and negative numbers, NaN/inf spellings, year 1 and 9999, impossible days,
trailing newlines).

The examples are the same on every run (derandomized); `PROPERTY_SCALE=10 pytest tests/test_properties.py`
tries ten times as many."""
import os
from datetime import date, datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Reproducible in CI: the same examples every run, nothing remembered between runs.
SETTINGS = settings(max_examples=30, deadline=None, derandomize=True, database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.filter_too_much])



def mostly(valid, junk):
    """Usually a valid value (so the call gets past its first check), sometimes junk. (Not `one_of`: it draws
    its branches about evenly, and the simplest draw is its first.)"""
    return st.integers(min_value=0, max_value=3).flatmap(lambda n: junk if n == 3 else valid)


AWKWARD_TEXT = ["", " ", "\x00", "a\x00b", "\t\n\r", "\u202eevil", "\ufeff", "ｍｉｌｋ", "١٢٣", "<script>x</script>",
                "{\"$gt\": \"\"}", "$where", "'; --", "=1+1", "Ω" * 301, "x" * 5000, "\x0b\x0c\x1c", "e\u0301"]
WORDS = ["Asha", "Ravi", "Milk", "Curd", "500 ml packet", "Indiranagar", "12 Lake Road", "rain", "Holi", "UPI-42"]
plain = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join)
text = st.one_of(
    plain,
    st.text(max_size=30),
    st.text(st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Mn"]), max_size=8),
    st.sampled_from(AWKWARD_TEXT),
)
typed = mostly(plain, text)  # a field a person fills in: usually sensible, sometimes anything

NUMBER_SPELLINGS = ["0", "-0", "1", "2", "50", "51", "-1", "1.5", "2.0", "1e3", "1E9", "NaN", "nan", "inf", "-inf",
                    "Infinity", "0x10", "1_000", " 3 ", "３", "٣", "1,000", "₹1,250.50", "32.50", "32.505", "",
                    "99999999999999999999999999", "-99999999999999999999", "1\n", "+5"]
number_text = st.one_of(st.sampled_from(NUMBER_SPELLINGS), st.integers().map(str),
                        st.floats(allow_nan=True, allow_infinity=True).map(repr), text)
number = st.one_of(st.integers(min_value=-(10 ** 30), max_value=10 ** 30), st.sampled_from([0, 1, 2, -1, 50, 51]),
                   st.floats(allow_nan=True, allow_infinity=True), st.booleans(), number_text, st.none())

DATE_SPELLINGS = ["0001-01-01", "9999-12-31", "9999-12-30", "2026-02-29", "2026-02-30", "2026-13-01", "2026-00-10",
                  "2026-04-31", "0000-00-00", "2026-4-5", "20260405", "2026-04-05\n", " 2026-04-05 ", "2026-04-05T00:00",
                  "2026-W14-1", "2026-04-05x", "yesterday", "", "2026-04-0５", "٢٠٢٦-٠٤-٠٥", "+2026-04-05"]


def date_text(near):
    """Date spellings: valid dates near `near` (today in the test's frozen clock), anywhere in 1..9999,
    and broken ones."""
    nearby = st.integers(min_value=-3, max_value=40).map(lambda n: (near + timedelta(days=n)).isoformat())
    return mostly(nearby, st.one_of(st.dates().map(date.isoformat), st.sampled_from(DATE_SPELLINGS), text))


def dates(near):
    """What a service may be handed as a date: a date, its text, or nothing."""
    nearby = st.integers(min_value=-3, max_value=40).map(lambda n: near + timedelta(days=n))
    return mostly(nearby, st.one_of(st.dates(), date_text(near), st.none()))


month_text = st.one_of(st.sampled_from(["2026-03", "2026-04", "0001-01", "9999-12", "2026-13", "2026-1", "2026-04\n",
                                        "", "April", "2026-00"]),
                       st.dates().map(lambda d: d.strftime("%Y-%m")), text)

DATETIME_SPELLINGS = ["2026-04-02T10:00", "2026-04-01T08:59", "9999-12-31T23:59", "0001-01-01T00:00",
                      "2026-02-30T10:00", "2026-04-02 10:00", "2026-04-02T25:00", "2027-04-02T10:00", ""]
datetime_text = st.one_of(st.sampled_from(DATETIME_SPELLINGS), st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
                          text)
expiry = st.one_of(st.none(), st.datetimes(), st.datetimes(timezones=st.timezones()), datetime_text,
                   st.just(datetime(2026, 4, 2, 10, 0)))


def examples(n):
    """SETTINGS with `n` examples (times PROPERTY_SCALE from the environment, to search deeper by hand)."""
    return settings(SETTINGS, max_examples=n * int(os.environ.get("PROPERTY_SCALE", "1")))


def choice(*valid):
    """One of the valid choices, or anything typed."""
    return mostly(st.sampled_from(valid), text)
