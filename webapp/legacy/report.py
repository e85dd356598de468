"""The import report: per legacy collection what was read, imported, merged and skipped (each skip with its
reason), the checks that prove every order and subscription is accounted for, the money rounded and the
delivered value the old system never billed."""
from webapp import clock

# Legacy collections whose every record must end imported, merged or skipped with a reason.
ACCOUNTED = ("orders", "subscriptions_v2", "subscriptions")


class Report:
    def __init__(self, import_id, source_db, as_of, dry_run, money):
        self.import_id = import_id
        self.started_at = clock.now()
        self.source_db = source_db
        self.as_of = as_of
        self.dry_run = dry_run
        self.money = money
        self.collections = {}
        self.skipped = []
        self.capped = []
        self.checks = []
        self.unmatched = 0
        self.recovered_paise = 0

    def _counts(self, collection):
        return self.collections.setdefault(collection, {"read": 0, "imported": 0, "merged": 0, "skipped": 0})

    def read(self, collection, count):
        self._counts(collection)["read"] = count

    def imported(self, collection, count=1):
        self._counts(collection)["imported"] += count

    def merged(self, collection, count=1):
        self._counts(collection)["merged"] += count

    def skip(self, collection, legacy_id, reason):
        self._counts(collection)["skipped"] += 1
        self.skipped.append({"collection": collection, "legacy_id": legacy_id, "reason": reason})

    def already_imported(self, collection, count):
        """Records an earlier run imported: skipped, with one entry saying so rather than one each."""
        if count:
            self._counts(collection)["skipped"] += count
            self.skipped.append({"collection": collection, "legacy_id": None,
                                 "reason": f"{count} already imported by an earlier run"})

    def check(self, name, expected, actual):
        self.checks.append({"name": name, "expected": expected, "actual": actual, "ok": expected == actual})

    def unaccounted(self):
        """Legacy orders and subscriptions neither imported, merged nor skipped with a reason."""
        return sum(max(0, c["read"] - c["imported"] - c["merged"] - c["skipped"])
                   for name, c in self.collections.items() if name in ACCOUNTED)

    def document(self):
        for name in ACCOUNTED:
            counts = self._counts(name)
            self.check(f"every legacy {name} record accounted for", counts["read"],
                       counts["imported"] + counts["merged"] + counts["skipped"])
        unaccounted = self.unaccounted()
        return {
            "_id": self.import_id,
            "started_at": self.started_at,
            "finished_at": clock.now(),
            "source_db": self.source_db,
            "as_of": self.as_of,
            "dry_run": self.dry_run,
            "collections": self.collections,
            "skipped": self.skipped,
            "unmatched_deliveries": self.unmatched,
            "checks": self.checks,
            "rounding": self.money.rounding,
            "capped": self.capped,
            "recovered_paise": self.recovered_paise,
            "unaccounted": unaccounted,
            "ok": unaccounted == 0 and all(check["ok"] for check in self.checks),
        }


def text(doc):
    """The report as the terminal shows it."""
    lines = [f"Legacy import {doc['_id']} from {doc['source_db']}" + (" (dry run: nothing written)" if doc["dry_run"]
                                                                      else ""),
             f"{'collection':<20} {'read':>8} {'imported':>9} {'merged':>7} {'skipped':>8}"]
    for name, c in doc["collections"].items():
        lines.append(f"{name:<20} {c['read']:>8} {c['imported']:>9} {c['merged']:>7} {c['skipped']:>8}")
    for skip in doc["skipped"]:
        lines.append(f"  skipped {skip['collection']} {skip['legacy_id'] or ''}: {skip['reason']}")
    for cap in doc["capped"]:
        lines.append(f"  capped  delivery_statuses {cap['legacy_id']}: {cap['product_id']} {cap['legacy_qty']} "
                     f"recorded, {cap['due_qty']} due")
    lines.append(f"Unmatched deliveries (see unmatched_legacy_deliveries): {doc['unmatched_deliveries']}")
    lines.append(f"Amounts rounded to the paisa: {len(doc['rounding'])}")
    for check in doc["checks"]:
        lines.append(f"  {'ok ' if check['ok'] else 'BAD'} {check['name']}: expected {check['expected']}, "
                     f"got {check['actual']}")
    lines.append(f"Delivered but never billed (the first billing run bills it): "
                 f"{doc['recovered_paise'] / 100:.2f} rupees")
    lines.append("OK" if doc["ok"] else f"NOT OK: {doc['unaccounted']} legacy orders/subscriptions unaccounted for")
    return "\n".join(lines)
