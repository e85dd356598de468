"""The legacy import: every mapping rule on a generated messy legacy database (tests/legacy_fixtures.py),
the report, idempotence, dry run, undo, and the end-to-end story: after the import and one billing run,
every delivered one-time order the old system never billed is on a bill, once."""
from collections import Counter
from datetime import date, datetime

import pytest

from tests.conftest import WORKER
from tests.legacy_fixtures import MONTH, make_legacy_db
from webapp import clock
from webapp.legacy import commands, run
from webapp.legacy.reader import Money
from webapp.legacy.report import Report
from webapp.services import Actor, billing

AS_OF = date(2026, 4, 30)
IMPORTED_AT = datetime(2026, 5, 1, 6, 0)
LEGACY_DB = f"earlybird_legacy_{WORKER}"
NOT_COMPARED = {"counters", "audit_log", "migrations"}  # ids move outside transactions; the audit log only grows


@pytest.fixture
def source(app):
    client = app.extensions["mongo"]
    client.drop_database(LEGACY_DB)
    yield client[LEGACY_DB]
    client.drop_database(LEGACY_DB)


@pytest.fixture
def notable(source):
    return make_legacy_db(source, customers=60, seed=3)


def import_now(source, **options):
    with clock.frozen(IMPORTED_AT):
        return run.import_legacy(source, as_of=AS_OF, **options)


@pytest.fixture
def report(source, notable):
    return import_now(source)


def by_legacy(db, collection, legacy_id):
    found = list(db[collection].find({"legacy_id": legacy_id}))
    assert len(found) == 1, (collection, legacy_id, found)
    return found[0]


def snapshot(db):
    return {name: sorted(db[name].find(), key=lambda doc: str(doc["_id"]))
            for name in sorted(db.list_collection_names()) if name not in NOT_COMPARED and db[name].count_documents({})}


def source_snapshot(source):
    return {name: sorted(source[name].find(), key=lambda doc: str(doc["_id"])) for name in source.list_collection_names()}


# ---------------------------------------------------------------- people

def test_a_person_in_both_generations_is_one_customer_with_one_login(db, report, notable):
    assert len(notable["paired"]) == 24
    for cv2_id, user_id in notable["paired"].items():
        customer = by_legacy(db, "customers", cv2_id)
        login = db.users.find_one({"_id": customer["user_id"]})
        assert login["legacy_id"] == user_id and login["customer_id"] == customer["_id"]
        assert login["role"] == "customer" and customer["source"] == "legacy"
        assert len(customer["phone"]) == 10
    # Paired by each rule: link on either side (c-0, c-1), phone only (c-2), email only (c-3).
    assert {by_legacy(db, "customers", f"c-{i}")["user_id"] for i in range(4)} == \
        {by_legacy(db, "users", f"u-{i}")["_id"] for i in range(4)}
    assert db.customers.count_documents({}) == 52 + 6
    assert db.users.count_documents({"role": "customer"}) == 58
    assert report["collections"]["users"]["merged"] >= 24


def test_a_customer_without_a_login_gets_one_with_an_invite_and_no_password(db, report, notable):
    for cv2_id in notable["customers_without_login"]:
        customer = by_legacy(db, "customers", cv2_id)
        login = db.users.find_one({"_id": customer["user_id"]})
        assert login["password_hash"] is None and login["invite"]["nonce"]
        assert login["invite"]["expires_at"] > IMPORTED_AT.astimezone()
        assert login["customer_id"] == customer["_id"] and login["legacy_collection"] == "customers_v2"
    # A legacy bcrypt hash cannot be checked by the app: the login gets an invite instead.
    assert by_legacy(db, "users", "u-0")["password_hash"] is None


def test_a_login_without_a_customer_becomes_a_customer_whose_address_is_to_complete(db, report, notable):
    for user_id in notable["login_only"]:
        login = by_legacy(db, "users", user_id)
        customer = db.customers.find_one({"_id": login["customer_id"]})
        assert customer["address_to_complete"] is True and customer["user_id"] == login["_id"]
    assert db.customers.find_one({"legacy_id": "u-8"})["address"] == "8 Hill Street, Bengaluru, 560038"


def test_staff_keep_their_roles_and_delivery_boys_merge_by_phone(db, report):
    assert by_legacy(db, "users", "u-mkt")["role"] == "marketing"
    assert by_legacy(db, "users", "u-admin")["role"] == "admin"
    assert db.users.count_documents({"legacy_id": "u-intern"}) == 0
    assert {"collection": "users", "legacy_id": "u-intern",
            "reason": "unknown role 'intern': no login created"} in report["skipped"]
    boys = list(db.users.find({"role": "delivery_boy"}))
    assert sorted(boy["legacy_id"] for boy in boys) == ["b-1", "b-2", "b-3", "u-boy-9"]  # u-boy-1 merged into b-1
    ravi = by_legacy(db, "users", "b-1")
    assert ravi["phone"] == "9000000001"
    assert db.customers.find_one({"legacy_id": "c-0"})["delivery_boy_id"] == ravi["_id"]


def test_a_customer_without_a_valid_phone_is_skipped_with_the_reason(db, report, notable):
    for cv2_id in notable["bad_phone"]:
        assert db.customers.count_documents({"legacy_id": cv2_id}) == 0
        assert {"collection": "customers_v2", "legacy_id": cv2_id,
                "reason": "no valid phone number (a customer needs one)"} in report["skipped"]


# ---------------------------------------------------------------- orders

def test_old_orders_become_one_time_orders_in_paise_with_the_rounding_reported(db, report, notable):
    paneer = by_legacy(db, "products", "p-paneer")
    assert paneer["price_paise"] == 9000 and by_legacy(db, "products", "p-curd")["price_paise"] == 3050
    order = by_legacy(db, "orders", "o-1")  # paneer at 89.99999 rupees
    assert order["kind"] == "ONE_TIME" and order["items"] == [
        {"product_id": paneer["_id"], "qty": 2, "unit_price_paise": 9000}]
    assert {"collection": "orders", "legacy_id": "o-1", "field": "items.0.price", "legacy_value": 89.99999,
            "paise": 9000} in report["rounding"]
    for legacy_id in notable["cancelled_but_delivered"]:
        assert by_legacy(db, "orders", legacy_id)["status"] == "CANCELLED"
    for legacy_id in notable["pending_undelivered"]:
        assert by_legacy(db, "orders", legacy_id)["status"] == "PENDING"
    assert db.orders.count_documents({"kind": "ONE_TIME"}) == 30


def test_a_one_time_order_delivered_by_either_signal_has_exactly_one_delivery(db, report, notable):
    delivered = notable["record_only"] + notable["status_only"] + notable["unbilled_delivered_orders"] + \
        notable["billed_orders"]
    for legacy_id in set(delivered):
        order = by_legacy(db, "orders", legacy_id)
        found = list(db.deliveries.find({"order_id": order["_id"]}))
        assert len(found) == 1 and found[0]["date"] == order["delivery_date"]
        assert order["status"] == found[0]["status"] == "DELIVERED", legacy_id
        assert all(line["delivered_qty"] == line["ordered_qty"] for line in found[0]["lines"])
    for legacy_id in notable["pending_undelivered"] + notable["cancelled_but_delivered"]:
        assert db.deliveries.count_documents({"order_id": by_legacy(db, "orders", legacy_id)["_id"]}) == 0


def test_subscriptions_v2_in_both_spellings_with_pattern_overrides_and_pauses(db, report, source):
    assert db.orders.count_documents({"kind": "SUBSCRIPTION", "legacy_collection": "subscriptions_v2"}) == 52
    milk = by_legacy(db, "products", "p-milk")
    camel = by_legacy(db, "orders", "s-1")  # customerId / productId / qty, with overrides
    assert camel["items"] == [{"product_id": milk["_id"], "qty": 2, "unit_price_paise": 5000}]
    assert camel["customer_id"] == by_legacy(db, "customers", "c-1")["_id"]
    assert camel["overrides"] == {"2026-04-10": {milk["_id"]: 4}, "2026-04-11": {milk["_id"]: 0}}
    assert camel["status"] == "ACTIVE" and camel["pattern"] == {"kind": "daily"}
    assert by_legacy(db, "orders", "s-10")["pauses"] == [
        {"first_day": "2026-04-20", "last_day": "2026-04-22", "reason": None}]
    assert by_legacy(db, "orders", "s-4")["pattern"] == {"kind": "weekly", "weekdays": [0, 2, 4]}  # "Mon", "Wed"…
    assert by_legacy(db, "orders", "s-3")["pattern"] == {"kind": "alternate"}
    assert by_legacy(db, "orders", "s-5")["pattern"]["dates"][0] == "2026-04-02"
    stopped = by_legacy(db, "orders", "s-12")
    assert stopped["status"] == "STOPPED" and stopped["stopped_on"] == "2026-04-16"
    custom = by_legacy(db, "orders", "s-0")  # a custom price of 47.50 rupees
    assert custom["items"][0]["unit_price_paise"] == 9000  # paneer: no custom price for it


def test_old_subscriptions_still_active_are_imported_and_the_others_reported(db, report):
    assert by_legacy(db, "orders", "os-1")["kind"] == "SUBSCRIPTION"
    assert db.orders.count_documents({"legacy_id": "os-2"}) == 0
    assert {"collection": "subscriptions", "legacy_id": "os-2",
            "reason": "old-generation subscription no longer active (status 'cancelled')"} in report["skipped"]


# ---------------------------------------------------------------- deliveries

def test_deliveries_have_the_shape_the_product_writes(db, report):
    delivery = db.deliveries.find_one({"order_kind": "SUBSCRIPTION", "status": "DELIVERED"})
    assert set(delivery) == {"_id", "order_id", "date", "order_kind", "customer_id", "delivery_boy_id", "month",
                             "status", "reason", "lines", "amount_paise", "via", "confirmed_by", "confirmed_at", "ip",
                             "created_at", "updated_at", "revisions", "source", "legacy_collection", "legacy_id",
                             "import_id"}
    assert delivery["_id"].startswith("DL-" + delivery["date"].replace("-", "") + "-")
    assert delivery["via"] == "legacy" and delivery["confirmed_by"] == Actor.system("legacy-import").as_doc()
    assert delivery["revisions"] == 1 and delivery["ip"] is None and delivery["month"] == delivery["date"][:7]
    assert set(delivery["lines"][0]) == {"product_id", "ordered_qty", "delivered_qty", "unit_price_paise",
                                         "amount_paise"}
    assert db.deliveries.count_documents({"status": "NOT_DELIVERED", "reason": "other"}) > 0


def test_a_record_without_a_link_covers_every_order_due_at_the_door_that_day(db, report):
    order = by_legacy(db, "orders", "o-0")  # c-0's daily subscription and this order share one record
    subscription = by_legacy(db, "orders", "s-0")
    assert db.deliveries.count_documents({"order_id": {"$in": [order["_id"], subscription["_id"]]},
                                          "date": order["delivery_date"]}) == 2


def test_a_partial_delivery_above_what_was_ordered_is_capped_and_reported(db, report, notable):
    for legacy_id in notable["partial_over"]:
        order = by_legacy(db, "orders", legacy_id)
        delivery = db.deliveries.find_one({"order_id": order["_id"]})
        assert [line["delivered_qty"] for line in delivery["lines"]] == [2]
        key = f"delivery_statuses:u-{legacy_id[2:]}:{order['delivery_date']}"
        assert {"legacy_id": key, "product_id": order["items"][0]["product_id"], "legacy_qty": 7,
                "due_qty": 2} in report["capped"]
    partial = by_legacy(db, "orders", "s-2")  # day 12: more than ordered recorded on a subscription
    delivery = db.deliveries.find_one({"order_id": partial["_id"], "date": "2026-04-12"})
    assert delivery["lines"][0]["delivered_qty"] == delivery["lines"][0]["ordered_qty"] == 3


def test_records_that_match_nothing_are_kept_with_their_reason(db, report, notable):
    unmatched = {doc["legacy_id"]: doc for doc in db.unmatched_legacy_deliveries.find()}
    assert set(unmatched) == set(notable["orphans"]) and report["unmatched_deliveries"] == len(unmatched)
    ghost = unmatched["delivery_statuses:c-ghost:2026-04-03"]
    assert ghost["reason"] == "its customer is not in the import" and ghost["import_id"] == report["_id"]
    assert ghost["record"]["customer_id"] == "c-ghost" and "_id" not in ghost["record"]
    assert ghost["_id"].startswith("UL-") and ghost["customer_legacy_id"] == "c-ghost"
    legacy_id = notable["cancelled_but_delivered"][0]
    cancelled = by_legacy(db, "orders", legacy_id)
    assert unmatched[f"delivery_statuses:u-{legacy_id[2:]}:{cancelled['delivery_date']}"]["reason"] == \
        f"its order {cancelled['_id']} has nothing due on {cancelled['delivery_date']} (cancelled or not scheduled)"
    assert unmatched["delivery_statuses:c-4:2026-03-01"]["reason"] == "no order of this customer was due that day"
    assert {"collection": "delivery_statuses", "legacy_id": notable["duplicate"],
            "reason": "a second record for the same customer and date"} in report["skipped"]


# ---------------------------------------------------------------- billing history and the report

def test_billing_records_become_historical_bills_marking_their_deliveries_billed(db, report, notable):
    historical = list(db.bills.find({"kind": "historical"}))
    assert historical and all(bill["_id"].startswith("BI-202604-") for bill in historical)
    for cv2_id in notable["billed_customers"]:
        customer = by_legacy(db, "customers", cv2_id)
        subscription_deliveries = {d["_id"] for d in db.deliveries.find(
            {"customer_id": customer["_id"], "order_kind": "SUBSCRIPTION", "amount_paise": {"$gt": 0}})}
        bill = db.bills.find_one({"customer_id": customer["_id"], "kind": "historical"})
        assert {line["delivery_id"] for line in bill["lines"] if line["order_kind"] == "SUBSCRIPTION"} == \
            subscription_deliveries
        assert bill["status"] == "PAID" and bill["total_paise"] == sum(line["amount_paise"] for line in bill["lines"])
        assert db.payments.find_one({"customer_id": customer["_id"]})["amount_paise"] == bill["total_paise"]
    for legacy_id in notable["billed_orders"]:
        delivery = db.deliveries.find_one({"order_id": by_legacy(db, "orders", legacy_id)["_id"]})
        assert db.bills.count_documents({"kind": "historical", "lines.delivery_id": delivery["_id"]}) == 1


def test_the_report_accounts_for_every_record_and_is_saved(db, report, source):
    saved = db.import_reports.find_one({"_id": report["_id"]})
    assert saved["_id"].startswith("IM-") and saved["ok"] is True and saved["unaccounted"] == 0
    assert set(saved) >= {"_id", "started_at", "finished_at", "source_db", "as_of", "dry_run", "collections",
                          "skipped", "unmatched_deliveries", "checks", "rounding", "recovered_paise", "unaccounted",
                          "ok"}
    assert saved["as_of"] == "2026-04-30" and saved["source_db"] == LEGACY_DB and saved["dry_run"] is False
    for name in ("orders", "subscriptions_v2", "subscriptions", "delivery_statuses", "customers_v2", "users"):
        counts = saved["collections"][name]
        assert counts["read"] == source[name].count_documents({})
        assert counts["read"] == counts["imported"] + counts["merged"] + counts["skipped"], name
    assert saved["collections"]["orders"] == {"read": 30, "imported": 30, "merged": 0, "skipped": 0}
    assert all(check["ok"] for check in saved["checks"])
    for name in ("orders", "customers", "users", "deliveries", "bills", "payments", "products"):
        assert db[name].count_documents({"source": "legacy", "import_id": report["_id"]}) == \
            db[name].count_documents({"source": "legacy"}) > 0
    assert db.audit_log.count_documents({"action": "legacy.import"}) >= 7


def test_a_report_with_records_unaccounted_for_is_not_ok():
    report = Report("IM-x", "earlybird", None, False, Money())
    report.read("orders", 3)
    report.imported("orders")
    doc = report.document()
    assert doc["unaccounted"] == 2 and doc["ok"] is False


# ---------------------------------------------------------------- the story: nothing lost, nothing twice

def test_after_the_import_one_billing_run_bills_every_unbilled_delivered_one_time_order_once(db, report, notable):
    with clock.frozen(datetime(2026, 5, 2, 7, 0)):
        summary = billing.run_month(MONTH, actor=Actor.system("test"))
    assert summary["amount_paise"] == report["recovered_paise"] > 0
    lines = Counter(line["delivery_id"] for bill in db.bills.find() for line in bill["lines"])
    assert set(lines.values()) == {1}  # nothing billed twice
    for legacy_id in notable["unbilled_delivered_orders"]:
        delivery = db.deliveries.find_one({"order_id": by_legacy(db, "orders", legacy_id)["_id"]})
        bills = list(db.bills.find({"lines.delivery_id": delivery["_id"]}))
        assert [bill["kind"] for bill in bills] == ["regular"], legacy_id
    for legacy_id in notable["billed_orders"]:
        delivery = db.deliveries.find_one({"order_id": by_legacy(db, "orders", legacy_id)["_id"]})
        assert [bill["kind"] for bill in db.bills.find({"lines.delivery_id": delivery["_id"]})] == ["historical"]
    # Historical bills were settled in the old system: no old balance lands on the new bills.
    assert all(bill["previous_balance_paise"] == 0 for bill in db.bills.find({"kind": "regular"}))
    assert billing.reconcile(MONTH)["ok"]
    with clock.frozen(datetime(2026, 5, 2, 8, 0)):
        assert billing.run_month(MONTH, actor=Actor.system("test"))["bills_issued"] == 0


# ---------------------------------------------------------------- safe to repeat, to try and to undo

def test_the_source_is_only_read(source, notable):
    before = source_snapshot(source)
    import_now(source)
    assert source_snapshot(source) == before


def test_a_second_run_imports_nothing_new(db, source, report):
    before = snapshot(db)
    again = import_now(source)
    after = snapshot(db)
    assert after.pop("import_reports") != before.pop("import_reports")
    assert after == before
    assert all(counts["imported"] == 0 for counts in again["collections"].values())
    assert again["ok"] and again["recovered_paise"] == report["recovered_paise"]


def test_a_run_that_stopped_half_way_is_finished_by_the_next(db, source, notable, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(run, "_insert_bills", fail)
    with pytest.raises(RuntimeError):
        import_now(source)
    monkeypatch.undo()
    finished = import_now(source)
    assert finished["ok"]
    for legacy_id in notable["billed_orders"]:
        delivery = db.deliveries.find_one({"order_id": by_legacy(db, "orders", legacy_id)["_id"]})
        assert db.bills.count_documents({"kind": "historical", "lines.delivery_id": delivery["_id"]}) == 1


def test_a_dry_run_writes_nothing_and_returns_the_report(db, source, notable):
    before = {name: list(db[name].find()) for name in db.list_collection_names()}
    dry = import_now(source, dry_run=True)
    assert {name: list(db[name].find()) for name in db.list_collection_names()} == before
    assert dry["dry_run"] is True and dry["ok"] and dry["collections"]["orders"]["imported"] == 30
    real = import_now(source)
    assert real["collections"] == dry["collections"] and real["recovered_paise"] == dry["recovered_paise"]


def test_undo_leaves_the_database_as_it_was_before_the_import(db, source, notable, make_product, make_customer):
    make_product("Milk", "1 litre", 5200)  # already in the app: the legacy Milk merges into it
    make_customer(phone="9800000004")  # c-4 is already a customer of the app
    before = snapshot(db)
    report = import_now(source)
    assert report["collections"]["products"]["merged"] == 1 and report["collections"]["customers_v2"]["merged"] == 1
    assert snapshot(db) != before
    removed = run.undo()
    assert removed["deliveries"] > 0 and removed["import_reports"] == 1
    assert snapshot(db) == before
    assert db.audit_log.count_documents({"action": "legacy.undo"}) >= 1


# ---------------------------------------------------------------- the commands

def test_the_commands_import_print_and_undo(db, runner, source, notable, mongo_uri):
    args = ["import-legacy", "--source", mongo_uri, "--source-db", LEGACY_DB, "--as-of", "2026-04-30"]
    dry = runner.invoke(args=args + ["--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run: nothing written" in dry.output and db.orders.count_documents({}) == 0
    done = runner.invoke(args=args)
    assert done.exit_code == 0 and done.output.rstrip().endswith("OK")
    assert db.import_reports.count_documents({}) == 1 and db.orders.count_documents({"source": "legacy"}) > 0
    undone = runner.invoke(args=["undo-legacy-import", "--yes"])
    assert undone.exit_code == 0 and db.orders.count_documents({}) == 0 and db.import_reports.count_documents({}) == 0


def test_the_command_exits_non_zero_when_anything_is_unaccounted_for(runner, mongo_uri, monkeypatch):
    def unaccounted(source, **options):
        report = Report("IM-x", source.name, None, False, Money())
        report.read("orders", 1)
        return report.document()

    monkeypatch.setattr(commands.run, "import_legacy", unaccounted)
    result = runner.invoke(args=["import-legacy", "--source", mongo_uri, "--source-db", LEGACY_DB])
    assert result.exit_code == 1 and "NOT OK: 1 legacy orders/subscriptions unaccounted for" in result.output
