"""flask --app wsgi <command>: migrate, seed-demo, create-admin, db-start, db-stop, bill-month, reconcile, health-check,
charge-bottles.

Every command runs inside the app context Flask provides (`with_appcontext`), also when invoked
through `app.test_cli_runner()`.
"""
import click
from flask import current_app
from flask.cli import with_appcontext

from webapp import backup, demo
from webapp import migrate as migrations
from webapp.db import get_db, stop_embedded_server
from webapp.legacy import commands as legacy_commands
from webapp.services import Actor, Conflict, ServiceError, accounts, billing, bottles, health_runs


def init_app(app):
    for command in (migrate_command, seed_demo_command, create_admin_command, db_start_command, db_stop_command,
                    bill_month_command, reconcile_command, health_check_command, charge_bottles_command):
        app.cli.add_command(command)
    for command in legacy_commands.COMMANDS:  # import-legacy, undo-legacy-import
        app.cli.add_command(command)
    backup.init_app(app)  # backup, restore


@click.command("migrate")
@click.option("--down", "down", type=int, default=None, metavar="N", help="Reverse the last N applied migrations.")
@click.option("--status", "show_status", is_flag=True, help="List migrations and whether each is applied.")
@with_appcontext
def migrate_command(down, show_status):
    """Apply migrations up to the latest (a no-op when all are applied); refused when an applied file changed."""
    db = get_db()
    if show_status:
        for name, applied_at, changed in migrations.status(db):
            state = f"applied {applied_at.isoformat()}" if applied_at else "pending"
            click.echo(f"{state:<40} {name}{'  CHANGED since applied' if changed else ''}")
        return
    try:
        if down is not None:
            reverted = migrations.downgrade(db, down)
            click.echo("Reverted: " + (", ".join(reverted) if reverted else "nothing"))
            return
        ran = migrations.upgrade(db)
    except migrations.ChangedMigration as error:
        raise click.ClickException(str(error)) from None
    click.echo("Applied: " + (", ".join(ran) if ran else "nothing (up to date)"))


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Seed the demo business on first run, then print the demo logins."""
    if demo.seed_if_empty():
        click.echo("Seeded the demo business.")
    click.echo(demo.logins_text())


@click.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.password_option()
@with_appcontext
def create_admin_command(email, name, password):
    """Create an admin login."""
    try:
        user = accounts.create_user(email, name, "admin", password=password, actor=Actor.system("cli"))
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Created admin {user['email']} ({user['_id']}).")


@click.command("db-start")
@with_appcontext
def db_start_command():
    """Make sure the embedded database answers (started by the app factory when MONGO_URI is unset)."""
    click.echo(f"Database at {current_app.config['MONGO_URI']}")


@click.command("db-stop")
@with_appcontext
def db_stop_command():
    """Stop the embedded database started for this instance/ folder."""
    stopped = stop_embedded_server(current_app.config["EMBEDDED_DB_PATH"])
    click.echo("Stopped the embedded database." if stopped else "No embedded database was recorded as running.")


@click.command("bill-month")
@click.argument("month")
@with_appcontext
def bill_month_command(month):
    """Bill every delivered, not yet billed line of MONTH (YYYY-MM); safe to run again."""
    try:
        summary = billing.run_month(month, actor=Actor.system("cli"))
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"{summary['month']}: {summary['bills_issued']} bills issued ({summary['supplementary']} supplementary), "
               f"{summary['lines']} lines, {summary['amount_paise'] / 100:.2f} rupees; "
               f"{summary['already_billed']} deliveries already billed; {summary['seconds']} s.")


@click.command("reconcile")
@click.argument("month")
@with_appcontext
def reconcile_command(month):
    """Delivered vs billed lines for MONTH (YYYY-MM); exits with status 1 on any mismatch."""
    try:
        report = billing.reconcile(month)
    except ServiceError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"{report['month']}: delivered {report['delivered_lines']} lines {report['delivered_paise'] / 100:.2f}, "
               f"billed {report['billed_lines']} lines {report['billed_paise'] / 100:.2f}")
    for line in report["unbilled"]:
        click.echo(f"  unbilled  {line['date']} {line['customer_id']} {line['delivery_id']} {line['product_id']}: "
                   f"{line['why']}")
    for line in report["billed_without_delivery"]:
        click.echo(f"  no match  {line['bill_id']} {line['delivery_id']} {line['product_id']}: {line['why']}")
    for bad in report["bad_totals"]:
        click.echo(f"  bad total {bad['bill_id']}: {bad['total_paise']} != {bad['sum_paise']}")
    click.echo("OK" if report["ok"] else "MISMATCH")
    if not report["ok"]:
        raise SystemExit(1)


@click.command("health-check")
@with_appcontext
def health_check_command():
    """The data health checks (counts that must be zero), one line each, kept as the health page's latest run; exits
    with status 1 when any is not zero, 2 when a run was already on or the checks failed."""
    try:
        run = health_runs.run_now(actor=Actor.system("cli"))
    except Conflict as error:
        click.echo(str(error), err=True)
        raise SystemExit(2) from None
    if run["error"]:
        click.echo(f"The checks failed: {run['error']}", err=True)
        raise SystemExit(2)
    checks = run["results"]
    for check in checks:
        click.echo(f"{'OK ' if check['count'] == 0 else 'BAD'} {check['count']:>6}  {check['label']}")
    if any(check["count"] for check in checks):
        raise SystemExit(1)


@click.command("charge-bottles")
@with_appcontext
def charge_bottles_command():
    """Charge returnable bottles kept longer than BOTTLE_RETURN_DAYS (once per lot, on the next bill); for a nightly cron."""
    charged = bottles.charge_overdue(actor=Actor.system("cli"))
    click.echo(f"{charged['lots']} bottle lots charged, {charged['amount_paise'] / 100:.2f} rupees.")
