"""The audit log: append-only. Entries are written only by a unit of work (`uow.UnitOfWork.record`), in the
same transaction as the change they describe; this module reads them."""
from webapp.db import get_db


def history(entity, entity_id, limit=100):
    """Newest first: the audit entries of one record."""
    cursor = get_db().audit_log.find({"entity": entity, "entity_id": entity_id})
    return list(cursor.sort("at", -1).limit(limit))
