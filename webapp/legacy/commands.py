"""flask --app wsgi import-legacy / undo-legacy-import."""

import click
from flask.cli import with_appcontext
from pymongo import MongoClient

from webapp.legacy import report, run


@click.command("import-legacy")
@click.option("--source", "source_uri", required=True, metavar="MONGO_URI", help="The legacy server (only read).")
@click.option("--source-db", required=True, metavar="NAME", help="The legacy database, e.g. earlybird.")
@click.option("--dry-run", is_flag=True, help="Plan and print the report; write nothing.")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Ignore delivery records after this date (YYYY-MM-DD).")
@with_appcontext
def import_legacy_command(source_uri, source_db, dry_run, as_of):
    """Import the old EarlyBird database into this one; exits 1 if any legacy record is unaccounted for."""
    client = MongoClient(source_uri)
    try:
        with click.progressbar(length=len(run.STEPS), label="Importing", item_show_func=lambda step: step) as bar:
            doc = run.import_legacy(client[source_db], dry_run=dry_run,
                                    as_of=as_of.date() if as_of else None,
                                    progress=lambda step: bar.update(1, step))
    finally:
        client.close()
    click.echo(report.text(doc))
    if not doc["ok"]:
        raise SystemExit(1)


@click.command("undo-legacy-import")
@click.confirmation_option(prompt="Remove everything the legacy import created?")
@with_appcontext
def undo_legacy_import_command():
    """Remove exactly what the legacy import(s) created."""
    removed = run.undo()
    click.echo("Removed: " + ", ".join(f"{count} {name}" for name, count in removed.items()))


COMMANDS = (import_legacy_command, undo_legacy_import_command)
