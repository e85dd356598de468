"""The cash a boy holds is asked by (collected_by, handover_id): the embedded server never answers a query from a
partial index, so 0010's partial `collected_by_handover` becomes a whole one (payments not taken at a door sit
under a null `collected_by`)."""
from pymongo import ASCENDING as ASC
from pymongo import IndexModel

from webapp import migrate

KEYS = [("collected_by", ASC), ("handover_id", ASC)]
WHOLE = {"payments": [IndexModel(KEYS, name="collected_by_handover")]}
PARTIAL = {"payments": [IndexModel(KEYS, name="collected_by_handover",
                                   partialFilterExpression={"collected_by": {"$type": "string"}})]}


def up(db):
    migrate.drop_indexes(db, PARTIAL)
    migrate.create_indexes(db, WHOLE)


def down(db):
    migrate.drop_indexes(db, WHOLE)
    migrate.create_indexes(db, PARTIAL)
