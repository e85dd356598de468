"""Runs of the data health checks, kept with their counts: the nightly command and the owner's button each record a
run; the health page and the morning page show the latest one without running the checks; one run at a time; a run
whose process stopped is marked failed when the next one starts."""
import time
from datetime import datetime, timedelta

import pytest

from tests.command_capture import listening
from tests.html_check import parse_problems
from webapp import clock
from webapp.services import Actor, Conflict, Forbidden, data_health, health_runs

MAY_12 = datetime(2026, 5, 12, 8, 0)


@pytest.fixture
def orphan(db):
    """One defect: an order whose customer does not exist."""
    db.orders.insert_one({"_id": "OR-x", "kind": "ONE_TIME", "customer_id": "CU-gone", "status": "PENDING"})


def wait_for_the_run(actor):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        runs = health_runs.latest(actor=actor)
        if runs["running"] is None:
            return runs
        time.sleep(0.2)
    raise AssertionError("the data health run did not finish within a minute")


def test_a_run_keeps_every_count_and_its_audit(orphan, db, system):
    with clock.frozen(MAY_12):
        run = health_runs.run_now(actor=system)
    assert run["status"] == "done" and run["red"] == 1 and "running_key" not in db.jobs.find_one({"_id": run["_id"]})
    counts = {check["key"]: check["count"] for check in run["results"]}
    assert set(counts) == {check.key for check in data_health.CHECKS}
    assert counts["orders-without-customer"] == 1 and sum(counts.values()) == 1
    assert [entry["action"] for entry in db.audit_log.find({"entity_id": run["_id"]}).sort("at", 1)] == \
        ["health.start", "health.finish"]
    latest = health_runs.latest(actor=system)
    assert latest["done"]["_id"] == run["_id"] and latest["running"] is None


def test_one_run_at_a_time_and_a_stalled_one_is_marked_failed(db, system):
    with clock.frozen(MAY_12):
        on, started = health_runs._begin(system)
        assert started
        with pytest.raises(Conflict):
            health_runs.run_now(actor=system)
        again, started = health_runs._begin(system)
        assert not started and again["_id"] == on["_id"]
        assert health_runs.latest(actor=system)["running"]["_id"] == on["_id"]
    later = MAY_12 + health_runs.STALLED_AFTER + timedelta(minutes=1)
    with clock.frozen(later):
        assert health_runs.latest(actor=system)["running"] is None
        run = health_runs.run_now(actor=system)
    stalled = db.jobs.find_one({"_id": on["_id"]})
    assert stalled["status"] == "failed" and stalled["error"] == health_runs.STALLED and "running_key" not in stalled
    assert run["status"] == "done" and db.audit_log.count_documents({"action": "health.stalled"}) == 1


def test_a_run_that_fails_says_why(db, system, monkeypatch):
    def broken(*, actor):
        raise RuntimeError("the server went away")

    monkeypatch.setattr(data_health, "run_checks", broken)
    run = health_runs.run_now(actor=system)
    assert run["status"] == "failed" and "the server went away" in run["error"]
    assert health_runs.latest(actor=system)["done"] is None


@pytest.mark.parametrize("role", ["support", "marketing", "delivery_boy"])
def test_only_the_owner_starts_a_run(make_user, role):
    with pytest.raises(Forbidden):
        health_runs.run_now(actor=Actor.for_user(make_user(role)))


def test_the_page_shows_the_latest_run_without_running_the_checks(orphan, client, login_as, system):
    login_as("admin")
    empty = client.get("/staff/health").get_data(as_text=True)
    assert "Not checked yet" in empty and "Check now" in empty and "health-check " not in empty
    with clock.frozen(MAY_12):
        health_runs.run_now(actor=system)
    with listening() as commands:
        page = client.get("/staff/health")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and body.count("health-bad") == 1
    assert body.count("health-ok") == len(data_health.CHECKS) - 1 and "Check again" in body
    assert commands.on("orders") == [] and commands.on("deliveries") == []  # no check ran
    assert parse_problems(body) == (True, [], [], 1)


def test_the_owner_starts_a_run_from_the_page_and_it_finishes_in_the_background(orphan, app, client, login_as,
                                                                                 db):
    admin = login_as("admin")
    answer = client.post("/staff/health/run", htmx=True)
    assert answer.status_code == 204 and answer.headers["HX-Redirect"].endswith("/staff/health")
    runs = wait_for_the_run(Actor.for_user(admin))
    assert runs["done"]["red"] == 1 and runs["done"]["started_at"] is not None
    assert db.audit_log.find_one({"action": "health.start"})["actor"]["id"] == admin["_id"]


def test_a_run_on_shows_and_asks_again(client, login_as, system):
    health_runs._begin(system)
    login_as("support")
    partial = client.get("/staff/health", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Checking now" in partial and 'hx-trigger="every 3s"' in partial and "<html" not in partial
    assert "<form" not in partial  # support reads; only the owner starts a run


def test_starting_a_run_needs_the_owner_and_a_token(client, login_as, db):
    login_as("support")
    assert client.post("/staff/health/run").status_code == 403
    login_as("admin")
    assert client.post("/staff/health/run", csrf=False).status_code == 400
    assert db.jobs.count_documents({}) == 0


def test_the_nightly_command_records_its_run_and_refuses_beside_another(orphan, db, runner, system):
    with clock.frozen(MAY_12):
        bad = runner.invoke(args=["health-check"])
        assert bad.exit_code == 1 and "BAD      1  Orders without a customer" in bad.output
        assert db.jobs.find_one({"kind": health_runs.KIND})["red"] == 1
        health_runs._begin(system)
        busy = runner.invoke(args=["health-check"])
    assert busy.exit_code == 2 and "running already" in busy.output
