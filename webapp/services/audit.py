"""The audit log: append-only. Entries are written only by a unit of work (`uow.UnitOfWork.record`), in the
same transaction as the change they describe; this module reads them: one record's history, and the browser
(filters by who, what, which record and when, newest first, a page at a time)."""
from datetime import datetime, timedelta, timezone

from bson import ObjectId
from bson.errors import InvalidId

from webapp import clock
from webapp.db import get_db
from webapp.services import ValidationError, validate

BROWSERS = ("admin", "support")
PAGE_SIZE = 50


def history(entity, entity_id, limit=100):
    """Newest first: the audit entries of one record."""
    cursor = get_db().audit_log.find({"entity": entity, "entity_id": entity_id})
    return list(cursor.sort("at", -1).limit(limit))


def browse(*, who=None, action=None, entity=None, entity_id=None, first_day=None, last_day=None, after=None,
           actor):
    """A page of entries, newest first: {entries, next} where `next` is the token of the following page (None on
    the last). Filters: who (a login's id or email, or a system actor's name), action, kind of record and its id,
    business days from/to. Pages continue from the last entry shown (its time and id), so a page deep in a huge
    log costs what the first does. Admin and support (reading only)."""
    actor.require(*BROWSERS)
    errors = validate.Errors()
    query = []
    who = errors.check("who", validate.text, who or "", "who", label="Who", max_length=120, required=False)
    if who:
        query.append({"actor.id": _actor_id(who)})
    action = errors.check("action", validate.text, action or "", "action", label="Action", max_length=80,
                          required=False)
    if action:
        query.append({"action": action})
    entity = errors.check("entity", validate.text, entity or "", "entity", label="Record", max_length=40,
                          required=False)
    if entity:
        query.append({"entity": entity})
    entity_id = errors.check("entity_id", validate.text, entity_id or "", "entity_id", label="Record id",
                             max_length=80, required=False)
    if entity_id:
        query.append({"entity_id": entity_id})
    first = errors.check("first_day", validate.day, first_day, "first_day", label="From") if first_day else None
    last = errors.check("last_day", validate.day, last_day, "last_day", label="To") if last_day else None
    if first and last and last < first:
        errors.add("last_day", "To must not be before From.")
    errors.raise_if_any()
    if first:
        query.append({"at": {"$gte": clock.local_datetime(first, 0)}})
    if last:
        query.append({"at": {"$lt": clock.local_datetime(last + timedelta(days=1), 0)}})
    if after:
        at, entry_id = parse_page_token(after)
        query.append({"$or": [{"at": {"$lt": at}}, {"at": at, "_id": {"$lt": entry_id}}]})
    cursor = get_db().audit_log.find({"$and": query} if query else {})
    entries = list(cursor.sort([("at", -1), ("_id", -1)]).limit(PAGE_SIZE + 1))
    following = page_token(entries[PAGE_SIZE - 1]) if len(entries) > PAGE_SIZE else None
    return {"entries": entries[:PAGE_SIZE], "next": following}


def _actor_id(who):
    """A login's id from his email; anything else is taken as an actor's id as it is."""
    if "@" not in who:
        return who
    user = get_db().users.find_one({"email": who.lower()}, {"_id": 1})
    if user is None:
        raise ValidationError("No login has this email.", field="who")
    return user["_id"]


def page_token(entry):
    """Where the next page starts: the entry's time (milliseconds, as MongoDB keeps it) and its id."""
    return f"{round(entry['at'].timestamp() * 1000)}-{entry['_id']}"


def parse_page_token(token):
    millis, _, entry_id = str(token).partition("-")
    try:
        at = datetime.fromtimestamp(int(millis) / 1000, timezone.utc)
        return at, ObjectId(entry_id)
    except (ValueError, OverflowError, OSError, InvalidId):
        raise ValidationError("This page link is damaged; start from the first page.", field="after") from None


def browse_page(*, actor, **filters):
    """What the browser page shows: `browse`'s page with the filters' choices (actions, entities)."""
    page = browse(**filters, actor=actor)
    page["actions"], page["entities"] = filter_choices(actor=actor)
    return page


def filter_choices(*, actor):
    """The actions and kinds of record the log holds, for the browser's filters."""
    actor.require(*BROWSERS)
    db = get_db()
    return sorted(a for a in db.audit_log.distinct("action") if a), sorted(e for e in db.audit_log.distinct("entity")
                                                                            if e)
