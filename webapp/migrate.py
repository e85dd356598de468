"""Numbered, reversible migrations from migrations/NNNN_name.py (each with up(db) and down(db)).

Migrations are history: a file that has been applied is never edited again; a change is a new
number. The `migrations` collection records each applied file with the sha256 of its bytes, and
nothing runs while an applied file differs from what was applied (`ChangedMigration`).
"""
import hashlib
import importlib.util
import re
from pathlib import Path
from typing import NamedTuple

from webapp import clock
from webapp.config import PROJECT_ROOT

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
NAME_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.py$")


class ChangedMigration(Exception):
    """An applied migration file was edited or removed since it was applied."""


class Migration(NamedTuple):
    name: str
    path: Path
    checksum: str

    def load(self):
        spec = importlib.util.spec_from_file_location(f"migrations.{self.name}", self.path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module


def create_indexes(db, indexes):
    """A migration's `up` for {collection: [IndexModel]}."""
    for collection, models in indexes.items():
        db[collection].create_indexes(models)


def drop_indexes(db, indexes):
    """A migration's `down` for the same {collection: [IndexModel]}: drops those that exist."""
    for collection, models in indexes.items():
        existing = db[collection].index_information()
        for model in models:
            name = model.document["name"]
            if name in existing:
                db[collection].drop_index(name)


def checksum(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def available(folder=MIGRATIONS_DIR):
    """[Migration] on disk, in order."""
    return [Migration(path.stem, path, checksum(path))
            for path in sorted(folder.glob("*.py")) if NAME_RE.match(path.name)]


def applied(db):
    """{name: record} of the applied migrations."""
    return {doc["_id"]: doc for doc in db.migrations.find()}


def latest_applied(db):
    doc = db.migrations.find_one(sort=[("_id", -1)])
    return doc["_id"] if doc else None


def changed(done, on_disk):
    """Names of applied migrations whose file is gone or differs from the recorded checksum."""
    files = {migration.name: migration for migration in on_disk}
    return [name for name, record in sorted(done.items())
            if name not in files or record.get("checksum", files[name].checksum) != files[name].checksum]


def check_history(db, folder=MIGRATIONS_DIR):
    """Raise ChangedMigration if an applied file changed; record the checksum of applied files that have
    none (applied before checksums were kept). Returns (applied records, migrations on disk)."""
    done, on_disk = applied(db), available(folder)
    bad = changed(done, on_disk)
    if bad:
        name = bad[0]
        path = folder / f"{name}.py"
        what = "was edited after it was applied" if path.exists() else "was applied but its file is missing"
        raise ChangedMigration(
            f"Migration {name} ({path}) {what}. An applied migration is history: restore the file as it was "
            f"and put the change in a new numbered migration.")
    for migration in on_disk:
        record = done.get(migration.name)
        if record is not None and "checksum" not in record:
            db.migrations.update_one({"_id": migration.name, "checksum": {"$exists": False}},
                                     {"$set": {"checksum": migration.checksum}})
            record["checksum"] = migration.checksum
    return done, on_disk


def status(db, folder=MIGRATIONS_DIR):
    """[(name, applied_at or None, changed)] for every migration on disk (reads only)."""
    done, on_disk = applied(db), available(folder)
    bad = set(changed(done, on_disk))
    return [(m.name, done.get(m.name, {}).get("applied_at"), m.name in bad) for m in on_disk]


def upgrade(db, folder=MIGRATIONS_DIR):
    """Apply every migration not yet applied, in order; returns their names."""
    done, on_disk = check_history(db, folder)
    ran = []
    for migration in on_disk:
        if migration.name in done:
            continue
        migration.load().up(db)
        db.migrations.update_one(
            {"_id": migration.name},
            {"$setOnInsert": {"applied_at": clock.now(), "checksum": migration.checksum}}, upsert=True,
        )
        ran.append(migration.name)
    return ran


def downgrade(db, steps=1, folder=MIGRATIONS_DIR):
    """Reverse the last `steps` applied migrations, newest first; returns their names."""
    done, on_disk = check_history(db, folder)
    files = {migration.name: migration for migration in on_disk}
    reverted = []
    for name in sorted(done, reverse=True)[:steps]:
        files[name].load().down(db)
        db.migrations.delete_one({"_id": name})
        reverted.append(name)
    return reverted
