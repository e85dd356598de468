"""Numbered, reversible migrations from migrations/NNNN_name.py (each with up(db) and down(db)).

Applied migrations are recorded in the `migrations` collection; applying is a no-op
for those already there.
"""
import importlib.util
import re

from webapp import clock
from webapp.config import PROJECT_ROOT

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
NAME_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.py$")


def available():
    """[(name, module)] in order."""
    found = []
    for path in sorted(MIGRATIONS_DIR.glob("*.py")):
        if NAME_RE.match(path.name):
            spec = importlib.util.spec_from_file_location(f"migrations.{path.stem}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            found.append((path.stem, module))
    return found


def applied(db):
    return {doc["_id"]: doc for doc in db.migrations.find()}


def latest_applied(db):
    doc = db.migrations.find_one(sort=[("_id", -1)])
    return doc["_id"] if doc else None


def status(db):
    """[(name, applied_at or None)] for every migration on disk."""
    done = applied(db)
    return [(name, done.get(name, {}).get("applied_at")) for name, _ in available()]


def upgrade(db):
    """Apply every migration not yet applied, in order; returns their names."""
    done = applied(db)
    ran = []
    for name, module in available():
        if name in done:
            continue
        module.up(db)
        db.migrations.update_one(
            {"_id": name}, {"$setOnInsert": {"applied_at": clock.now()}}, upsert=True
        )
        ran.append(name)
    return ran


def downgrade(db, steps=1):
    """Reverse the last `steps` applied migrations, newest first; returns their names."""
    modules = dict(available())
    reverted = []
    for name in sorted(applied(db), reverse=True)[:steps]:
        modules[name].down(db)
        db.migrations.delete_one({"_id": name})
        reverted.append(name)
    return reverted
