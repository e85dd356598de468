"""The audit log: append-only, one helper that every write goes through."""
from webapp import clock
from webapp.db import get_db


def record(actor, action, entity, entity_id, summary, *, changes=None, session=None):
    """Append who did what to which record, when and from where."""
    entry = {
        "at": clock.now(),
        "actor": actor.as_doc(),
        "ip": actor.ip,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "summary": summary,
    }
    if changes:
        entry["changes"] = changes
    get_db().audit_log.insert_one(entry, session=session)
    return entry


def history(entity, entity_id, limit=100):
    """Newest first: the audit entries of one record."""
    cursor = get_db().audit_log.find({"entity": entity, "entity_id": entity_id})
    return list(cursor.sort("at", -1).limit(limit))
