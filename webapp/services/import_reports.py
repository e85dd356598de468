"""Reading the legacy import's report: the newest saved report with the deliveries it could not match,
and the same as CSV rows. Reads only; the import (webapp.legacy) writes the reports.
"""
from webapp.db import get_db
from webapp.presentation import csv_rupees

COUNT_KINDS = ("read", "imported", "merged", "skipped")
CSV_HEADER = ["section", "collection", "legacy_id", "customer_legacy_id", "date", "item", "value", "note"]
# Unmatched deliveries all come from this legacy collection.
DELIVERY_COLLECTION = "delivery_statuses"


def latest_report(*, actor):
    """The newest import report (by `started_at`) with `unmatched`: its unmatched deliveries sorted by
    date; None when no import has been run. Admin only."""
    actor.require("admin")
    db = get_db()
    report = db.import_reports.find_one({}, sort=[("started_at", -1)])
    if report is None:
        return None
    report.setdefault("capped", [])  # partial deliveries cut to what was due; not in the first reports' shape
    report["unmatched"] = list(db.unmatched_legacy_deliveries.find({"import_id": report["_id"]}, {"record": 0})
                               .sort([("date", 1), ("_id", 1)]))
    return report


def report_csv_rows(report):
    """A header, then one row per collection count, skipped record, unmatched delivery, capped partial
    delivery, rounding note and check, then the recovered amount (rupees) and the unaccounted count; the
    header alone when there is no report."""
    rows = [CSV_HEADER]
    if report is None:
        return rows
    for collection, counts in report["collections"].items():
        rows += [["count", collection, "", "", "", kind, counts.get(kind, 0), ""] for kind in COUNT_KINDS]
    rows += [["skipped", skip["collection"], skip["legacy_id"], "", "", "", "", skip["reason"]]
             for skip in report["skipped"]]
    rows += [["unmatched delivery", DELIVERY_COLLECTION, item["legacy_id"], item.get("customer_legacy_id"),
              item.get("date"), "status", item.get("status"), item["reason"]] for item in report["unmatched"]]
    rows += [["capped", DELIVERY_COLLECTION, cap["legacy_id"], "", "", cap["product_id"], cap["legacy_qty"],
              f"capped at {cap['due_qty']} due"] for cap in report["capped"]]
    rows += [["rounding", note["collection"], note["legacy_id"], "", "", note["field"], note["legacy_value"],
              f"taken as {note['paise']} paise"] for note in report["rounding"]]
    rows += [["check", "", "", "", "", check["name"], check["actual"],
              "ok" if check["ok"] else f"expected {check['expected']}"] for check in report["checks"]]
    rows.append(["recovered", "", "", "", "", "unbilled delivered amount (rupees)",
                 csv_rupees(report["recovered_paise"]), ""])
    rows.append(["unaccounted", "", "", "", "", "legacy records not accounted for", report["unaccounted"], ""])
    return rows
