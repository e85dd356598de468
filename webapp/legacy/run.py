"""The import run: read the legacy database once, plan every document in memory, write in batches.

Nothing is read per legacy record: each legacy collection is read once, the app's people, products and
earlier imports once, and every join is a Python dict. Writes go in units of work of up to `BATCH`
documents (`insert_many`, one audit entry each); a customer and his new login go in the same one, as
`customers.create_customer` writes them, so an import stopped anywhere leaves no login without its customer
(the next run, finding neither, would make the login again). Ids are taken in blocks before the writes (a counter
moves outside transactions by design); bill numbers inside each bills' unit of work, as issuing takes them.
A dry run takes no ids and writes nothing: it plans with placeholder ids and returns the report.
Every document the import writes carries `source: "legacy"`, `legacy_id` and `import_id`, which is what
`undo` removes.
"""
from collections import defaultdict
from datetime import date, timedelta

from webapp import clock, observability
from webapp.db import get_db
from webapp.legacy import billing, deliveries, orders, people, reader
from webapp.legacy.report import Report
from webapp.services import Actor, bill_tallies, ids, tallies, uow
from webapp.services.bill_builder import DELIVERY_FIELDS

BATCH = 1000  # documents per unit of work
ID_BLOCK = 500  # ids taken per counter round trip
ACTOR = Actor.system("legacy-import")
# Where imported documents live, in the order they are written (and removed in reverse).
TARGETS = ("products", "users", "customers", "orders", "deliveries", "bills", "payments")
REPORTS, UNMATCHED = "import_reports", "unmatched_legacy_deliveries"
STEPS = ("read the legacy database", "products", "people", "orders", "deliveries", "billing history", "write",
         "report")


class Context:
    """What the planning steps share: the legacy records, the app's state, the report, the planned documents."""

    def __init__(self, legacy, report, *, dry_run, as_of):
        self.legacy = legacy
        self.report = report
        self.money = report.money
        self.import_id = report.import_id
        self.dry_run = dry_run
        self.as_of = as_of
        self.actor = ACTOR
        self.now = clock.now()
        self.new = defaultdict(list)
        self._ids = defaultdict(list)
        self._already = defaultdict(int)
        db = get_db()
        self.app = {
            "users": list(db.users.find({}, {"email": 1, "phone": 1, "role": 1, "source": 1, "legacy_id": 1})),
            "customers": list(db.customers.find({}, {"phone": 1, "custom_prices": 1, "delivery_boy_id": 1,
                                                     "source": 1, "legacy_id": 1})),
            "products": list(db.products.find({}, {"name_key": 1, "price_paise": 1, "source": 1, "legacy_id": 1})),
        }
        self.imported_orders = {order["legacy_id"]: order for order in db.orders.find({"source": "legacy"})}
        self.imported_delivery_keys = set()
        self.imported_legacy_ids = {"deliveries": set(), "bills": set(), "unmatched": set()}
        # An earlier run's deliveries (it may have stopped before their bills): billing history plans them too.
        self.imported_deliveries = list(db.deliveries.find({"source": "legacy"}, {**DELIVERY_FIELDS, "month": 1,
                                                                                  "legacy_id": 1}))
        for delivery in self.imported_deliveries:
            self.imported_delivery_keys.add((delivery["order_id"], delivery["date"]))
            self.imported_legacy_ids["deliveries"].add(delivery["legacy_id"])
        self.billed_delivery_ids = {line["delivery_id"] for bill in db.bills.find({}, {"lines.delivery_id": 1})
                                    for line in bill.get("lines") or []}
        self.imported_legacy_ids["bills"] = {b["legacy_id"] for b in db.bills.find({"source": "legacy"},
                                                                                   {"legacy_id": 1})}
        self.imported_legacy_ids["unmatched"] = {r["legacy_id"] for r in db[UNMATCHED].find({}, {"legacy_id": 1})}

    def mark(self, doc, legacy_collection, legacy_id):
        doc.update(source="legacy", legacy_collection=legacy_collection, legacy_id=legacy_id,
                   import_id=self.import_id)
        return doc

    def add(self, collection, doc):
        self.new[collection].append(doc)

    def already(self, collection):
        self._already[collection] += 1

    def new_id(self, prefix):
        """`PREFIX-YYYYMMDD-NNNN` of today, from blocks taken in one round trip each."""
        block = self._ids[prefix]
        if not block:
            block.extend(self.new_ids(prefix, ID_BLOCK))
        return block.pop(0)

    def new_ids(self, prefix, count, day=None):
        if self.dry_run:
            start = len(self._ids[f"dry-{prefix}"])
            self._ids[f"dry-{prefix}"].extend([None] * count)
            return [f"{prefix}-DRYRUN-{n:06d}" for n in range(start + 1, start + count + 1)]
        return ids.new_ids(prefix, count, day)

    def new_product_id(self):
        return self.new_ids("PR", 1)[0] if self.dry_run else ids.new_product_id()

    @staticmethod
    def next_day(iso):
        return (date.fromisoformat(iso) + timedelta(days=1)).isoformat()

    def finish_counts(self):
        for collection, count in self._already.items():
            self.report.already_imported(collection, count)


def _assign_delivery_ids(ctx, planned):
    """Ids `DL-<date>-NNNN` of each delivery's own date, one round trip per date."""
    by_day = defaultdict(list)
    for delivery in planned:
        by_day[delivery["date"]].append(delivery)
    for day, batch in sorted(by_day.items()):
        for delivery, new_id in zip(batch, ctx.new_ids("DL", len(batch), date.fromisoformat(day))):
            delivery["_id"] = new_id


def _insert(collection, docs, summary):
    """`docs` in units of work of BATCH documents, one audit entry each."""
    for start in range(0, len(docs), BATCH):
        batch = docs[start:start + BATCH]

        def work(u, batch=batch):
            u.db[collection].insert_many(batch, ordered=False)
            u.record("legacy.import", collection, batch[0].get("import_id"), f"{summary}: {len(batch)} {collection}",
                     changes={"count": len(batch)})

        uow.run(ACTOR, work)


def _insert_customers(customers, logins, summary):
    """New customers with their new logins (`logins`: {user id: user}), in units of work of BATCH customers."""
    for start in range(0, len(customers), BATCH):
        batch = customers[start:start + BATCH]
        their_logins = [logins[customer["user_id"]] for customer in batch if customer["user_id"] in logins]

        def work(u, batch=batch, their_logins=their_logins):
            if their_logins:
                u.db.users.insert_many(their_logins, ordered=False)
                u.record("legacy.import", "users", batch[0].get("import_id"),
                         f"{summary}: {len(their_logins)} users (customers' logins)",
                         changes={"count": len(their_logins)})
            u.db.customers.insert_many(batch, ordered=False)
            tallies.customers_added(u, batch)
            u.record("legacy.import", "customers", batch[0].get("import_id"), f"{summary}: {len(batch)} customers",
                     changes={"count": len(batch)})

        uow.run(ACTOR, work)


def _insert_bills(bills_by_month, payments, summary):
    """Historical bills, numbered inside each unit of work as issuing numbers them, with their settling
    payments."""
    payments_of = defaultdict(list)
    for payment in payments:
        payments_of[payment["legacy_id"]].append(payment)
    for month, bills in sorted(bills_by_month.items()):
        for start in range(0, len(bills), BATCH):
            batch = bills[start:start + BATCH]

            def work(u, batch=batch, month=month):
                numbers = ids.new_bill_ids(u, month, len(batch))  # first: see ids.new_bill_ids
                numbered = [dict(bill, _id=number) for bill, number in zip(batch, numbers)]
                u.db.bills.insert_many(numbered)
                bill_tallies.bills_added(u, numbered)
                settled = [p for bill in batch for p in payments_of[bill["legacy_id"]]]
                if settled:
                    u.db.payments.insert_many(settled)
                u.record("legacy.import", "bills", batch[0]["import_id"],
                         f"{summary}: {len(numbered)} historical bills for {month}", changes={"bills": numbers})

            uow.run(ACTOR, work)


@observability.timed("legacy_import")
def import_legacy(source, *, source_name=None, dry_run=False, as_of=None, progress=None):
    """Import the legacy database `source` (a pymongo Database, only read); returns the report document.
    `as_of` (a date): delivery records after it are not imported. `progress(step)` is told each step done."""
    def done(step):
        if progress is not None:
            progress(step)

    money = reader.Money()
    import_id = "IM-DRYRUN" if dry_run else ids.new_id("IM")
    report = Report(import_id, source_name or source.name, as_of.isoformat() if as_of else None, dry_run, money)
    legacy = reader.load(source)
    done(STEPS[0])
    ctx = Context(legacy, report, dry_run=dry_run, as_of=as_of or clock.today())
    products = orders.plan_products(ctx)
    done(STEPS[1])
    customers, boys = people.plan(ctx, products)
    ctx.customers_by_id = {c["_id"]: c for c in ctx.new["customers"]}
    ctx.customers_by_id.update({c["_id"]: c for c in ctx.app["customers"]})
    done(STEPS[2])
    one_time = orders.plan_one_time(ctx, products, customers)
    subscriptions = orders.plan_subscriptions(ctx, products, customers)
    ctx.new_orders_by_id = {order["_id"]: order for order in ctx.new["orders"]}
    done(STEPS[3])
    planned = deliveries.plan(ctx, products, customers, boys, one_time, subscriptions)
    _assign_delivery_ids(ctx, planned)
    ctx.new["deliveries"] = planned
    done(STEPS[4])
    bills, payments = billing.plan(ctx, customers, one_time, planned)
    done(STEPS[5])
    ctx.finish_counts()
    delivered_one_time = [o for o in ctx.new["orders"] if o["kind"] == "ONE_TIME" and o["status"] != "PENDING"
                          and o["status"] != "CANCELLED"]
    delivered_on = {(d["order_id"], d["date"]) for d in planned}
    report.check("delivered one-time orders with exactly one delivery record", len(delivered_one_time),
                 sum(1 for o in delivered_one_time if (o["_id"], o["delivery_date"]) in delivered_on))
    if not dry_run:
        summary = f"Legacy import {import_id} from {report.source_db}"
        logins = {user["_id"]: user for user in ctx.new["users"] if user.get("customer_id")}
        _insert("products", ctx.new["products"], summary)
        _insert("users", [user for user in ctx.new["users"] if user["_id"] not in logins], summary)
        _insert_customers(ctx.new["customers"], logins, summary)
        for collection in ("orders", "deliveries"):
            _insert(collection, ctx.new[collection], summary)
        _insert_bills(bills, payments, summary)
        _insert(UNMATCHED, ctx.new[UNMATCHED], summary)
    done(STEPS[6])
    doc = report.document()
    if not dry_run:
        uow.run(ACTOR, lambda u: (u.db[REPORTS].insert_one(doc),
                                  u.record("legacy.report", "import", import_id,
                                           f"Legacy import {import_id}: {'ok' if doc['ok'] else 'NOT OK'}")))
    done(STEPS[7])
    return doc


def undo():
    """Remove everything the imports created (every `source: "legacy"` document, the reports and the unmatched
    records), in units of work of BATCH documents; returns {collection: documents removed}."""
    db, removed = get_db(), {}
    plan = [(name, {"source": "legacy"}) for name in reversed(TARGETS)] + [(UNMATCHED, {}), (REPORTS, {})]
    for collection, query in plan:
        found = [doc["_id"] for doc in db[collection].find(query, {"_id": 1})]
        for start in range(0, len(found), BATCH):
            batch = found[start:start + BATCH]

            def work(u, batch=batch, collection=collection):
                if collection == "customers":
                    tallies.customers_removed(u, list(u.db.customers.find({"_id": {"$in": batch}, **query},
                                                                          {"status": 1, "created_at": 1})))
                elif collection == "bills":
                    bill_tallies.bills_removed(u, list(u.db.bills.find({"_id": {"$in": batch}, **query},
                                                                       bill_tallies.BILL_FIELDS)))
                gone = u.db[collection].delete_many({"_id": {"$in": batch}, **query}).deleted_count
                u.record("legacy.undo", collection, None, f"Undid the legacy import: {gone} {collection} removed",
                         changes={"count": gone})

            uow.run(ACTOR, work)
        removed[collection] = len(found)
    return removed
