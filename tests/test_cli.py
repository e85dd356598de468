"""Every `flask --app wsgi` command runs under the app context Flask provides: invoked through
`app.test_cli_runner()` with no context pushed by the test, on the invoking app's own database."""

import pytest

from tests.test_migrations import invoke
from webapp import migrate

@pytest.fixture
def cli_app(empty_app):
    """An app on its own, empty database: a command that used another app's context would miss it."""
    return empty_app("cli")


@pytest.fixture
def cli_db(cli_app):
    return cli_app.extensions["mongo"][cli_app.config["MONGO_DBNAME"]]


@pytest.fixture
def migrated(cli_app, cli_db):
    result = invoke(cli_app, "migrate")
    assert result.exit_code == 0, result.output
    return cli_db


def test_migrate_and_its_status(cli_app, cli_db):
    result = invoke(cli_app, "migrate")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Applied: 0001_initial")
    assert migrate.latest_applied(cli_db) == migrate.available()[-1].name
    result = invoke(cli_app, "migrate", "--status")
    assert result.exit_code == 0 and "pending" not in result.output and "0001_initial" in result.output


def test_create_admin_prompts_for_what_it_needs(cli_app, migrated, db):
    result = invoke(cli_app, "create-admin", input="Root@Example.test\nRoot\nlong-enough-1\nlong-enough-1\n")
    assert result.exit_code == 0, result.output
    assert "Created admin root@example.test" in result.output
    assert migrated.users.find_one({"email": "root@example.test"})["role"] == "admin"
    assert db.users.count_documents({}) == 0  # the test app's database is untouched
    again = invoke(cli_app, "create-admin", input="root@example.test\nRoot\nlong-enough-1\nlong-enough-1\n")
    assert again.exit_code != 0 and "already exists" in again.output


def test_bill_month_and_reconcile_on_an_empty_month(cli_app, migrated):
    result = invoke(cli_app, "bill-month", "2020-01")
    assert result.exit_code != 0 and "Nothing has been delivered yet" in result.output
    result = invoke(cli_app, "reconcile", "2020-01")
    assert result.exit_code == 0, result.output
    assert result.output == "2020-01: delivered 0 lines 0.00, billed 0 lines 0.00\nOK\n"
    assert invoke(cli_app, "bill-month", "January").exit_code != 0


def test_seed_demo_on_an_empty_database_then_only_the_logins(cli_app, migrated):
    from webapp import demo

    result = invoke(cli_app, "seed-demo")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Seeded the demo business.") and "admin@earlybird.test" in result.output
    assert migrated.users.count_documents({}) > len(demo.DEMO_LOGINS)
    assert migrated.customers.count_documents({}) >= 60 and migrated.deliveries.count_documents({}) > 0
    again = invoke(cli_app, "seed-demo")
    assert again.exit_code == 0 and "Seeded" not in again.output and "admin@earlybird.test" in again.output

