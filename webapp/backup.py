"""`flask --app wsgi backup PATH` / `restore PATH`: the whole database in one .tar.gz archive.

The archive holds `manifest.json` (format, database, time, latest applied migration, per collection
its document count and the sha256 of its files) and, per collection, `NAME.bson` (its documents as
raw BSON, concatenated, as mongodump writes them) and `NAME.indexes.json` (its options and index specs,
in canonical extended JSON so every type comes back as it was). The `migrations` collection is a
collection like the others, so the migration state travels with the data.

Like migrations, this manages data wholesale rather than acting for someone, so it writes outside a
unit of work; a restore is recorded in the audit log once the data is in.
"""
import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import zlib
from pathlib import Path

import bson
import click
from bson import json_util
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from flask.cli import with_appcontext
from pymongo import ReadPreference
from pymongo.errors import ConfigurationError, OperationFailure, PyMongoError
from pymongo.read_concern import ReadConcern

from webapp import clock
from webapp import migrate as migrations
from webapp.db import get_db
from webapp.services import Actor, uow

FORMAT = 1
MANIFEST = "manifest.json"
INSERT_BATCH = 1000
RAW = CodecOptions(document_class=RawBSONDocument)  # documents travel as their exact bytes
EXACT_JSON = json_util.CANONICAL_JSON_OPTIONS


class BackupError(Exception):
    """A backup or restore that cannot be done as asked; the message says why and what to do."""


def init_app(app):
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


def _layout(db):
    """{name: {"options": …, "indexes": [spec, …]}} of every collection, as the server describes them."""
    layout = {}
    for info in sorted(db.list_collections(), key=lambda info: info["name"]):
        name = info["name"]
        if info.get("type", "collection") != "collection" or name.startswith("system."):
            continue
        indexes = sorted(db[name].list_indexes(), key=lambda spec: spec["name"])
        layout[name] = json.loads(json_util.dumps({"options": info.get("options", {}), "indexes": indexes},
                                                  json_options=EXACT_JSON))
    return layout


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _dump_documents(db, names, folder):
    """Write every collection's documents from one snapshot; returns ({name: count}, latest migration).

    A read-only transaction with snapshot read concern: its reads all see one point in time on a
    replica set and on the embedded server alike. (A `snapshot=True` session is accepted by the
    embedded server but its reads are not pinned: a probe saw a write made between two of them.)"""
    counts = {}
    try:
        with db.client.start_session() as session:
            with session.start_transaction(read_concern=ReadConcern("snapshot"),
                                           read_preference=ReadPreference.PRIMARY):
                for name in names:
                    count = 0
                    with open(folder / f"{name}.bson", "wb") as out:
                        for doc in db.get_collection(name, codec_options=RAW).find(sort=[("_id", 1)],
                                                                                    session=session):
                            out.write(doc.raw)
                            count += 1
                    counts[name] = count
                latest = db.migrations.find_one(sort=[("_id", -1)], session=session)
    except (OperationFailure, ConfigurationError) as error:
        raise BackupError(
            f"The database server refused a consistent snapshot read ({error}); no backup was written. "
            "It needs a server with transactions (a replica set, as the app itself does); for a database too "
            "large to read within one transaction use mongodump --archive --gzip --oplog.") from None
    return counts, latest["_id"] if latest else None


def backup(db, path):
    """Write every collection of `db` (documents, options, indexes) into the archive at `path`; returns
    the manifest. The archive appears only once complete."""
    path = Path(path)
    before = _layout(db)
    with tempfile.TemporaryDirectory(prefix="earlybird-backup-") as work:
        folder = Path(work)
        counts, latest = _dump_documents(db, list(before), folder)
        if _layout(db) != before:
            raise BackupError("Collections or indexes changed while the backup was read (a migration ran?); "
                              "no backup was written: run it again.")
        for name, layout in before.items():
            (folder / f"{name}.indexes.json").write_text(json.dumps(layout, indent=1))  # key order is index order
        manifest = {
            "format": FORMAT,
            "database": db.name,
            "created_at": clock.now().isoformat(),
            "latest_migration": latest,
            "collections": {
                name: {"count": counts[name],
                       "sha256": {f"{name}{suffix}": _sha256(folder / f"{name}{suffix}")
                                  for suffix in (".bson", ".indexes.json")}}
                for name in before
            },
        }
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=1))
        partial = path.with_name(path.name + ".partial")
        try:
            with tarfile.open(partial, "w:gz") as tar:
                tar.add(folder / MANIFEST, MANIFEST)
                for name in before:
                    for suffix in (".bson", ".indexes.json"):
                        tar.add(folder / f"{name}{suffix}", f"{name}{suffix}")
            os.replace(partial, path)
        except OSError as error:
            raise BackupError(f"Cannot write {path}: {error}") from None
        finally:
            partial.unlink(missing_ok=True)
    return manifest


def _unpack(path, folder):
    """Check the archive whole before anything is written: the manifest's format, every file present with
    its recorded sha256, every document count. Returns (manifest, {name: (layout, documents file)})."""
    try:
        with tarfile.open(path, "r:gz") as tar:
            manifest = json.load(tar.extractfile(MANIFEST))
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise BackupError(f"{path} is a backup of another format ({manifest.get('format')!r}, "
                                  f"this app reads {FORMAT}).")
            contents = {}
            for number, (name, entry) in enumerate(manifest["collections"].items()):
                files = {}
                for suffix in (".bson", ".indexes.json"):
                    member = f"{name}{suffix}"
                    local = folder / f"{number}{suffix}"  # never a path taken from the archive
                    with open(local, "wb") as out:
                        shutil.copyfileobj(tar.extractfile(member), out)
                    if _sha256(local) != entry["sha256"][member]:
                        raise BackupError(f"{path}: {member} does not match its checksum in the manifest "
                                          "(damaged or edited); nothing was restored.")
                    files[suffix] = local
                with open(files[".bson"], "rb") as documents:
                    found = sum(1 for _ in bson.decode_file_iter(documents, codec_options=RAW))
                if found != entry["count"]:
                    raise BackupError(f"{path}: {name} holds {found} documents, the manifest says "
                                      f"{entry['count']}; nothing was restored.")
                contents[name] = (json.loads(files[".indexes.json"].read_text()), files[".bson"])
    except BackupError:
        raise
    except (tarfile.TarError, zlib.error, EOFError, OSError, KeyError, TypeError, AttributeError, ValueError,
            bson.InvalidBSON) as error:
        raise BackupError(f"{path} is not a readable EarlyBird backup ({type(error).__name__}: {error}); "
                          "nothing was restored.") from None
    return manifest, contents


def _restore_collection(db, name, layout, documents):
    """Create the collection and its indexes first (a unique index then refuses a duplicate loudly),
    then insert the documents in ordered batches."""
    options = json_util.loads(json.dumps(layout["options"]))
    db.create_collection(name, **options)
    indexes = [spec for spec in json_util.loads(json.dumps(layout["indexes"])) if spec["name"] != "_id_"]
    if indexes:
        db.command("createIndexes", name, indexes=indexes)
    collection = db.get_collection(name, codec_options=RAW)
    with open(documents, "rb") as file:
        batch = []
        for doc in bson.decode_file_iter(file, codec_options=RAW):
            batch.append(doc)
            if len(batch) == INSERT_BATCH:
                collection.insert_many(batch, ordered=True)
                batch = []
        if batch:
            collection.insert_many(batch, ordered=True)


def _drop_all(db):
    for name in db.list_collection_names():
        if not name.startswith("system."):
            db.drop_collection(name)


def restore(db, path, *, replace=False):
    """Bring the archive at `path` into `db`, which must hold no document unless `replace` (then its
    collections are dropped first); returns the manifest. A failure part way leaves `db` empty."""
    with tempfile.TemporaryDirectory(prefix="earlybird-restore-") as work:
        manifest, contents = _unpack(path, Path(work))
        occupied = [name for name in db.list_collection_names()
                    if not name.startswith("system.") and db[name].find_one({}, {"_id": 1}) is not None]
        if occupied and not replace:
            raise BackupError(f"Database {db.name} is not empty ({', '.join(sorted(occupied))} hold documents): "
                              "restore into an empty database, or pass --replace to drop its collections first.")
        _drop_all(db)
        name = None
        try:
            for name, (layout, documents) in contents.items():
                _restore_collection(db, name, layout, documents)
            restored = {name: db[name].count_documents({}) for name in contents}
        except PyMongoError as error:
            _drop_all(db)
            raise BackupError(f"Restoring {name} failed ({error}); the restored collections were dropped, "
                              f"database {db.name} is empty.") from None
    expected = {name: entry["count"] for name, entry in manifest["collections"].items()}
    if restored != expected:
        _drop_all(db)
        wrong = ", ".join(f"{name} {restored[name]} != {expected[name]}" for name in expected
                          if restored[name] != expected[name])
        raise BackupError(f"Document counts after the restore differ from the manifest ({wrong}); "
                          f"the restored collections were dropped, database {db.name} is empty.")
    return manifest


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(path):
    """Write every collection (documents, indexes, migration state) into the archive PATH (.tar.gz)."""
    db = get_db()
    try:
        manifest = backup(db, path)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    counts = manifest["collections"]
    click.echo(f"Backed up {db.name}: {len(counts)} collections, {sum(c['count'] for c in counts.values())} "
               f"documents, migration {manifest['latest_migration']} → {path}")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--replace", is_flag=True, help="Drop the database's collections first (refused otherwise "
                                              "when it holds any document).")
@with_appcontext
def restore_command(path, replace):
    """Bring the archive PATH into this app's database, which must be empty unless --replace."""
    db = get_db()
    try:
        manifest = restore(db, path, replace=replace)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    counts = {name: entry["count"] for name, entry in manifest["collections"].items()}
    total = sum(counts.values())
    uow.run(Actor.system("restore"), lambda u: u.record(
        "backup.restore", "database", db.name,
        f"Restored {Path(path).name} ({total} documents, backed up {manifest['created_at']})",
        changes={"archive": str(Path(path).resolve()), "backed_up_at": manifest["created_at"], "counts": counts}))
    click.echo(f"Restored {path} into {db.name}: {len(counts)} collections, {total} documents, "
               f"migration {manifest['latest_migration']}.")
    latest = migrations.available()[-1].name
    if manifest["latest_migration"] != latest:
        click.echo(f"This app's latest migration is {latest}: run `flask --app wsgi migrate` before serving.")
