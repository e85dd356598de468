"""Backup and restore: a real business goes into one archive and comes back identical — every document,
every index (the unique ones that keep a delivery from being billed twice included) — into an empty
database only, and a damaged archive is refused before anything is written."""
import hashlib
import io
import json
import tarfile
from datetime import date
from types import SimpleNamespace

import pytest
from bson import encode
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo.errors import DuplicateKeyError

from tests.conftest import built_once
from tests.billing_fixtures import AFTER_MONTH, APRIL, BEFORE_MONTH, MONTH
from tests.test_migrations import invoke
from webapp import backup, clock, migrate
from webapp.db import get_db
from webapp.services import billing, links

RAW = CodecOptions(document_class=RawBSONDocument)


@pytest.fixture
def target_app(empty_app):
    """Another app, on its own empty database: where the archive is restored."""
    return empty_app("restore")


@pytest.fixture
def target_db(target_app):
    return target_app.extensions["mongo"][target_app.config["MONGO_DBNAME"]]


@pytest.fixture
def business(db, system, make_user, make_customer, milk, paneer, subscribe, order_once, deliver):
    """What build_business makes, built once per worker (conftest.built_once)."""
    return built_once("backup.business", [db],
                      lambda: build_business(db, system, make_user, make_customer, milk, paneer, subscribe, order_once,
                                             deliver))


def build_business(db, system, make_user, make_customer, milk, paneer, subscribe, order_once, deliver):
    """Two customers with logins on Ravi's round, subscriptions and a one-time order delivered in April,
    April billed, a payment, shared links: every kind of record the business keeps."""
    with clock.frozen(BEFORE_MONTH):
        ravi = make_user("delivery_boy", name="Ravi")
        anil = make_customer(name="Anil", email="anil@example.test", delivery_boy_id=ravi["_id"], stop=1)
        bina = make_customer(name="Bina", email="bina@example.test", delivery_boy_id=ravi["_id"], stop=2)
    anil_milk = subscribe(anil, milk, qty=2)
    bina_milk = subscribe(bina, milk)
    bina_paneer = order_once(bina, paneer, day=APRIL[14])
    deliver(anil_milk, APRIL[:10])
    deliver(bina_milk, APRIL[:5])
    deliver(bina_paneer, [APRIL[14]])
    with clock.frozen(AFTER_MONTH):
        billing.run_month(MONTH, actor=system)
        bill = db.bills.find_one({"customer_id": anil["_id"]})
        billing.record_payment(anil["_id"], 30_000, "upi", reference="UPI-42", actor=system)
        links.issue_bill_link(bill["_id"], actor=system)
        links.issue_round_link(ravi["_id"], date(2026, 5, 1), actor=system)
    assert db.users.count_documents({"customer_id": {"$in": [anil["_id"], bina["_id"]]}}) == 2
    assert db.audit_log.count_documents({}) > 10
    return SimpleNamespace(anil=anil, bina=bina, bill=bill)


def contents(db):
    """{collection: [each document's exact BSON bytes]}, in _id order."""
    return {name: [doc.raw for doc in db.get_collection(name, codec_options=RAW).find(sort=[("_id", 1)])]
            for name in sorted(db.list_collection_names())}


def index_specs(db):
    """{collection: [every index spec as the server lists it: name, key, unique, partialFilterExpression…]}."""
    return {name: sorted((dict(spec) for spec in db[name].list_indexes()), key=lambda spec: spec["name"])
            for name in sorted(db.list_collection_names())}


def without_restore_entry(found):
    """The restore adds its own audit entry (checked on its own); the rest must match the source."""
    restored = found["audit_log"]
    found["audit_log"] = [raw for raw in restored if RawBSONDocument(raw)["action"] != "backup.restore"]
    assert len(restored) == len(found["audit_log"]) + 1
    return found


def rewrite(archive, into, change):
    """A copy of `archive` with `change(name, data) -> data` applied to each member."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(into, "w:gz") as copy:
        for member in source.getmembers():
            data = change(member.name, source.extractfile(member).read())
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            copy.addfile(info, io.BytesIO(data))
    return into


def test_a_business_comes_back_identical(app, db, business, target_app, target_db, tmp_path):
    archive = tmp_path / "earlybird.tar.gz"
    result = invoke(app, "backup", str(archive))
    assert result.exit_code == 0, result.output
    assert f"Backed up {db.name}:" in result.output

    with tarfile.open(archive, "r:gz") as tar:
        names = set(tar.getnames())
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["format"] == backup.FORMAT and manifest["database"] == db.name
    assert manifest["latest_migration"] == migrate.latest_applied(db)
    assert {name: entry["count"] for name, entry in manifest["collections"].items()} == \
        {name: db[name].count_documents({}) for name in db.list_collection_names()}
    assert names == {"manifest.json"} | {f"{name}{suffix}" for name in manifest["collections"]
                                         for suffix in (".bson", ".indexes.json")}
    assert {"migrations", "bills", "deliveries", "payments", "shared_links", "audit_log"} <= set(manifest["collections"])

    result = invoke(target_app, "restore", str(archive))
    assert result.exit_code == 0, result.output
    assert without_restore_entry(contents(target_db)) == contents(db)
    assert index_specs(target_db) == index_specs(db)
    bills_index = next(spec for spec in index_specs(target_db)["bills"] if spec["name"] == "delivery_billed_once")
    assert bills_index["unique"] is True and bills_index["partialFilterExpression"] == \
        {"lines.delivery_id": {"$exists": True}}

    entry = target_db.audit_log.find_one({"action": "backup.restore"})
    assert entry["actor"]["id"] == "restore" and entry["entity_id"] == target_db.name
    assert entry["changes"]["archive"] == str(archive) and entry["changes"]["counts"]["bills"] == 2
    # Dates come back as dates, tz-aware through the app's client.
    restored_bill = target_db.bills.find_one({"_id": business.bill["_id"]})
    assert restored_bill == db.bills.find_one({"_id": business.bill["_id"]}) and restored_bill["issued_at"].tzinfo is not None


def test_the_restored_bills_still_refuse_a_delivery_billed_twice(db, business, target_db, tmp_path):
    archive = tmp_path / "b.tar.gz"
    backup.backup(db, archive)
    backup.restore(target_db, archive)
    line = business.bill["lines"][0]
    with pytest.raises(DuplicateKeyError, match="delivery_billed_once"):
        target_db.bills.insert_one({"_id": "BL-2026-04-9999", "customer_id": business.anil["_id"], "month": MONTH,
                                    "kind": "supplementary", "lines": [line]})


def test_a_database_with_documents_is_refused_unless_replace(app, db, business, target_app, target_db, tmp_path):
    archive = tmp_path / "b.tar.gz"
    backup.backup(db, archive)
    target_db.customers.insert_one({"_id": "CU-LOCAL", "name": "Someone already here"})

    refused = invoke(target_app, "restore", str(archive))
    assert refused.exit_code != 0
    assert f"Database {target_db.name} is not empty (customers hold documents)" in refused.output and "--replace" in refused.output
    assert target_db.list_collection_names() == ["customers"] and target_db.customers.count_documents({}) == 1

    replaced = invoke(target_app, "restore", "--replace", str(archive))
    assert replaced.exit_code == 0, replaced.output
    assert without_restore_entry(contents(target_db)) == contents(db)
    assert index_specs(target_db) == index_specs(db)


def test_empty_collections_are_no_obstacle(db, business, target_db, tmp_path):
    archive = tmp_path / "b.tar.gz"
    backup.backup(db, archive)
    target_db.create_collection("bills")
    target_db.bills.create_index("stray", name="stray")
    backup.restore(target_db, archive)
    assert contents(target_db) == contents(db) and index_specs(target_db) == index_specs(db)


def test_the_backup_reads_one_snapshot(db, business, tmp_path, monkeypatch):
    """A payment recorded while the backup is being read is not in it, though its collection comes later."""
    real_open = open
    archive = tmp_path / "b.tar.gz"
    payments_before = db.payments.count_documents({})

    def open_then_write(path, *args, **kwargs):
        if str(path).endswith("/bills.bson") and args[:1] == ("wb",):
            get_db().payments.insert_one({"_id": "PY-LATE", "amount_paise": 1})
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(backup, "open", open_then_write, raising=False)
    manifest = backup.backup(db, archive)
    assert list(manifest["collections"]).index("bills") < list(manifest["collections"]).index("payments")
    assert manifest["collections"]["payments"]["count"] == payments_before
    assert db.payments.count_documents({}) == payments_before + 1


def test_an_index_made_during_the_backup_stops_it(db, business, tmp_path, monkeypatch):
    real_dump = backup._dump_documents

    def dump_while_migrating(*args):
        done = real_dump(*args)
        db.bills.create_index("note", name="made_meanwhile")
        return done

    monkeypatch.setattr(backup, "_dump_documents", dump_while_migrating)
    with pytest.raises(backup.BackupError, match="changed while the backup was read"):
        backup.backup(db, tmp_path / "b.tar.gz")
    assert list(tmp_path.iterdir()) == []
    db.bills.drop_index("made_meanwhile")


def test_a_backup_that_cannot_be_written_says_so(app, db, tmp_path):
    result = invoke(app, "backup", str(tmp_path / "no-such-folder" / "b.tar.gz"))
    assert result.exit_code != 0 and "Cannot write" in result.output, result.output


@pytest.fixture
def archive(db, business, tmp_path):
    path = tmp_path / "good.tar.gz"
    backup.backup(db, path)
    return path


def refused(target_app, target_db, path, message):
    result = invoke(target_app, "restore", str(path))
    assert result.exit_code != 0 and message in result.output, result.output
    assert [name for name in target_db.list_collection_names() if target_db[name].count_documents({})] == []
    return result


def test_a_garbage_file_is_refused(target_app, target_db, tmp_path):
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"this is not an archive at all" * 100)
    refused(target_app, target_db, garbage, "is not a readable EarlyBird backup")


def test_a_count_that_does_not_match_is_refused(archive, target_app, target_db, tmp_path):
    def one_more_bill(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["collections"]["bills"]["count"] += 1
        return json.dumps(manifest).encode()

    tampered = rewrite(archive, tmp_path / "counts.tar.gz", one_more_bill)
    refused(target_app, target_db, tampered, "bills holds 2 documents, the manifest says 3")
    assert target_db.list_collection_names() == []


def test_an_edited_file_is_refused(archive, target_app, target_db, tmp_path):
    tampered = rewrite(archive, tmp_path / "edited.tar.gz",
                       lambda name, data: data.replace(b"Anil", b"Anel") if name == "customers.bson" else data)
    refused(target_app, target_db, tampered, "customers.bson does not match its checksum")


def test_another_format_is_refused(archive, target_app, target_db, tmp_path):
    def future(name, data):
        return json.dumps({**json.loads(data), "format": 99}).encode() if name == "manifest.json" else data

    refused(target_app, target_db, rewrite(archive, tmp_path / "future.tar.gz", future), "another format (99")


def test_documents_a_unique_index_refuses_leave_the_database_empty(archive, target_app, target_db, tmp_path):
    """An archive whose bills bill one delivery twice (checksums and counts made to match): the unique index,
    created before the documents, refuses it and nothing stays half restored."""
    with tarfile.open(archive, "r:gz") as tar:
        bills = tar.extractfile("bills.bson").read()
    first = RawBSONDocument(bills[:int.from_bytes(bills[:4], "little")])
    twin = {**{key: first[key] for key in first}, "_id": "BL-2026-04-9999", "kind": "supplementary"}
    doubled = bills + encode(twin)

    def double_billed(name, data):
        if name == "bills.bson":
            return doubled
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["collections"]["bills"]["count"] += 1
            manifest["collections"]["bills"]["sha256"]["bills.bson"] = hashlib.sha256(doubled).hexdigest()
            return json.dumps(manifest).encode()
        return data

    tampered = rewrite(archive, tmp_path / "double.tar.gz", double_billed)
    result = refused(target_app, target_db, tampered, "Restoring bills failed")
    assert "delivery_billed_once" in result.output and f"database {target_db.name} is empty" in result.output
    assert target_db.list_collection_names() == []
