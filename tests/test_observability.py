"""Running the service: /metrics for an admin or a configured private address, a JSON log line per request with
its id, latency and database round trips, the request id echoed (or replaced when unusable), job durations."""
import json
import logging
import os
import types

import pytest

from webapp import observability, serving

PUBLIC_ADDRESS = {"REMOTE_ADDR": "203.0.113.9"}


def request_lines(caplog):
    return [json.loads(record.getMessage()) for record in caplog.records if record.name == observability.REQUEST_LOGGER]


def test_metrics_refuse_a_customer_and_an_address_outside_the_networks(client, login_as):
    assert client.get("/metrics", environ_base=PUBLIC_ADDRESS).status_code == 403
    login_as("customer")
    assert client.get("/metrics", environ_base=PUBLIC_ADDRESS).status_code == 403


@pytest.mark.parametrize("role", ["support", "marketing", "delivery_boy", "supplier"])
def test_metrics_refuse_every_role_but_admin_from_outside(client, login_as, role):
    login_as(role)
    assert client.get("/metrics", environ_base=PUBLIC_ADDRESS).status_code == 403


def test_metrics_for_an_admin_anywhere_with_requests_latency_round_trips_and_jobs(client, login_as):
    observability.observe_duration("billing_run", 2.5)
    client.get("/health")
    login_as("admin")
    response = client.get("/metrics", environ_base=PUBLIC_ADDRESS)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert 'flask_http_request_duration_seconds_count{endpoint="main.health",method="GET",status="200"}' in text
    assert "flask_http_request_total{" in text and "flask_http_request_exceptions_total" in text
    assert 'earlybird_db_round_trips_count{endpoint="main.health"}' in text
    assert 'earlybird_job_duration_seconds_count{job="billing_run"}' in text


def test_metrics_for_the_scraper_on_a_private_address(client, make_app):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200
    scraped = make_app(METRICS_ALLOWED_NETWORKS=["10.0.0.0/8"]).test_client()
    assert scraped.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert scraped.get("/metrics", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 403


def test_one_json_line_per_request_with_its_id_latency_and_round_trips(client, caplog):
    with caplog.at_level(logging.INFO, logger=observability.REQUEST_LOGGER):
        response = client.get("/health", headers={"X-Request-ID": "edge-7f3a.42"})
    assert response.headers["X-Request-ID"] == "edge-7f3a.42"
    [line] = request_lines(caplog)
    assert set(line) == {"request_id", "method", "path", "endpoint", "status", "latency_ms", "db_round_trips", "ip"}
    assert line["request_id"] == "edge-7f3a.42" and line["endpoint"] == "main.health" and line["status"] == 200
    assert line["method"] == "GET" and line["path"] == "/health"
    assert line["db_round_trips"] == 1  # the ping
    assert isinstance(line["latency_ms"], float) and line["latency_ms"] >= 0


def test_round_trips_are_counted_per_request(client, login_as, caplog):
    login_as("admin")
    with caplog.at_level(logging.INFO, logger=observability.REQUEST_LOGGER):
        client.get("/staff/audit")
        client.get("/health")
    audit_line, health_line = request_lines(caplog)
    assert audit_line["db_round_trips"] >= 3  # the login, the page of entries, the filters' choices
    assert health_line["db_round_trips"] == 2  # the signed-in user, the ping


@pytest.mark.parametrize("sent", ["x" * 65, "two words", "", "ünïcode"])
def test_an_unusable_request_id_is_replaced(client, caplog, sent):
    with caplog.at_level(logging.INFO, logger=observability.REQUEST_LOGGER):
        response = client.get("/health", headers={"X-Request-ID": sent})
    given = response.headers["X-Request-ID"]
    assert given != sent and len(given) == 32 and given.isalnum()
    assert request_lines(caplog)[0]["request_id"] == given


def test_a_request_without_an_id_gets_one_even_when_refused_early(client, caplog):
    with caplog.at_level(logging.INFO, logger=observability.REQUEST_LOGGER):
        refused = client.post("/auth/login", json={"email": "x"})
    assert refused.status_code == 400 and len(refused.headers["X-Request-ID"]) == 32
    assert request_lines(caplog)[0]["status"] == 400


def test_request_ids_with_line_breaks_never_reach_the_log():
    assert observability.request_id_from("abc\r\nforged") != "abc\r\nforged"
    assert observability.request_id_from("abc") == "abc"


def test_gunicorn_start_prepares_the_metrics_directory(monkeypatch, tmp_path):
    (tmp_path / "counter_123.db").write_bytes(b"old")
    (tmp_path / "keep.txt").write_text("not ours")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    given = types.SimpleNamespace()
    serving.on_starting(given)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]
    serving.on_exit(given)
    assert tmp_path.is_dir()  # a directory the operator gave is kept
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    server = types.SimpleNamespace()
    serving.on_starting(server)
    made = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    assert os.path.isdir(made) and server.made_metrics_dir == made
    serving.on_exit(server)
    assert not os.path.exists(made)


def test_a_bad_metrics_network_stops_the_app_at_start(monkeypatch):
    from webapp.config import load_config

    monkeypatch.setenv("METRICS_ALLOWED_NETWORKS", "10.0.0.0/8, not-a-network")
    with pytest.raises(RuntimeError, match="METRICS_ALLOWED_NETWORKS"):
        load_config({"SECRET_KEY": "x" * 32})


def test_timed_observes_a_jobs_duration_even_when_it_fails():
    def count():
        return next((sample.value for metric in observability.JOB_DURATION.collect() for sample in metric.samples
                     if sample.name.endswith("_count") and sample.labels == {"job": "legacy_import"}), 0)

    before = count()

    @observability.timed("legacy_import")
    def failing_import():
        raise RuntimeError("source went away")

    with pytest.raises(RuntimeError):
        failing_import()
    with observability.timed("legacy_import"):
        pass
    assert count() == before + 2
