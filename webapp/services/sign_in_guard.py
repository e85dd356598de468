"""Growing waits after failed sign-ins, counted in MongoDB so every worker sees the same counts.

A failure is counted per (identity, source). The source is the client address, plus the identity's
overall count (source `*`, with more free failures) against guessing spread over many addresses. A
device that signed in as that user before (a known device, see webapp.auth_session) is its own source
and skips both, so the owner's usual phone is not held back by failures other devices caused. Nobody
is locked out: past the free failures each failure doubles the wait, up to a cap, and a success
clears the counts it was checked against. The writes join the unit of work that audits the attempt.
"""
import math
from datetime import timedelta

from flask import current_app

from webapp import clock
from webapp.db import get_db
from webapp.services import ServiceError, ValidationError, validate

EVERYWHERE = "*"
# A count is forgotten a day after its last failure (the TTL index on expires_at removes it).
MEMORY = timedelta(days=1)


class SignInDelayed(ServiceError):
    """Too many failed sign-ins for this login from here: try again after `retry_after` seconds."""

    status = 429

    def __init__(self, retry_after):
        amount, unit = (retry_after, "second") if retry_after < 60 else (math.ceil(retry_after / 60), "minute")
        wait = f"{amount} {unit}{'s' if amount > 1 else ''}"
        super().__init__(f"Too many failed sign-ins. Try again in {wait}.", field="login")
        self.retry_after = retry_after


def identity(login):
    """The one spelling of a login: an email as validate.email cleans it (lower case, no invisible or full-width
    characters), a mobile number as its 10 digits; anything else stripped and lower-cased."""
    login = login.strip() if isinstance(login, str) else ""
    try:
        return validate.email(login) if "@" in login else validate.phone(login)
    except ValidationError:
        return login.lower()


def sources(ip, device_id=None):
    """What an attempt is counted against: its known device alone, else its address and the overall count."""
    if device_id:
        return [f"device:{device_id}"]
    return [ip or "unknown", EVERYWHERE]


def free_failures(source):
    config = current_app.config
    return config["LOGIN_FREE_FAILURES_OVERALL" if source == EVERYWHERE else "LOGIN_FREE_FAILURES"]


def wait_after(failures, free):
    """Seconds to wait after `failures` failures: none while free, then doubling from the base to the cap."""
    if failures < free:
        return 0
    config = current_app.config
    return min(config["LOGIN_MAX_DELAY_SECONDS"], config["LOGIN_DELAY_SECONDS"] * 2 ** (failures - free))


def check(identity_key, attempt_sources):
    """Raise SignInDelayed while any of the attempt's counts still holds it back (reads only)."""
    now = clock.now()
    retry_after = 0
    query = {"identity": identity_key, "source": {"$in": attempt_sources}, "expires_at": {"$gt": now}}
    for count in get_db().sign_in_failures.find(query):
        until = count["last_failure_at"] + timedelta(seconds=wait_after(count["failures"],
                                                                         free_failures(count["source"])))
        retry_after = max(retry_after, math.ceil((until - now).total_seconds()))
    if retry_after > 0:
        raise SignInDelayed(retry_after)


def record_failure(u, identity_key, attempt_sources, user_id=None):
    """Count a failure against each source, inside unit of work `u` (the one auditing the attempt)."""
    now = clock.now()
    for source in attempt_sources:
        key = {"identity": identity_key, "source": source}
        # A count past its memory (not yet removed by the TTL monitor) starts again from nothing.
        u.db.sign_in_failures.delete_one({**key, "expires_at": {"$lte": now}})
        u.db.sign_in_failures.find_one_and_update(
            key,
            {"$inc": {"failures": 1},
             "$set": {"last_failure_at": now, "expires_at": now + MEMORY, "user_id": user_id}},
            upsert=True,
        )


def record_success(u, identity_key, attempt_sources):
    """A success clears the counts the attempt was checked against."""
    u.db.sign_in_failures.delete_many({"identity": identity_key, "source": {"$in": attempt_sources}})


def lift(u, identities):
    """Clear every count of these identities, from every address and device (an admin's decision)."""
    return u.db.sign_in_failures.delete_many({"identity": {"$in": [key for key in identities if key]}}).deleted_count

