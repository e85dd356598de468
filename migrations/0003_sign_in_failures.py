"""Failed sign-in counts (webapp/services/sign_in_guard.py): one document per (identity, source), and the
TTL index that forgets a count a day after its last failure."""
from pymongo import ASCENDING as ASC
from pymongo import IndexModel

from webapp import migrate

INDEXES = {
    "sign_in_failures": [
        IndexModel([("identity", ASC), ("source", ASC)], name="identity_source_unique", unique=True),
        IndexModel([("expires_at", ASC)], name="expires_at_ttl", expireAfterSeconds=0),
    ],
}


def up(db):
    migrate.create_indexes(db, INDEXES)


def down(db):
    migrate.drop_indexes(db, INDEXES)
