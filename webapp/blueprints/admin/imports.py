"""The legacy import's report (admin only): the latest import as a page and as a CSV download."""
from flask import Response, render_template

from webapp.blueprints.admin import bp
from webapp.net import current_actor
from webapp.presentation import csv_text
from webapp.security import allow
from webapp.services import import_reports


@bp.get("/imports/latest")
@allow("admin")
def import_report():
    """The latest legacy import: counts, skipped and unmatched records, rounding, checks, money recovered."""
    return render_template("admin/imports/latest.html", report=import_reports.latest_report(actor=current_actor()))


@bp.get("/imports/latest.csv")
@allow("admin")
def import_report_csv():
    """The latest legacy import's report as a CSV download (the header alone when none has been run)."""
    report = import_reports.latest_report(actor=current_actor())
    name = f"import-{report['_id']}.csv" if report else "import-none.csv"
    return Response(csv_text(import_reports.report_csv_rows(report)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
