"""Running the service: a request id on every request, one JSON log line per request, database round trips
counted per request, and Prometheus metrics (`/metrics`).

Metrics are multiprocess-safe under gunicorn: when `PROMETHEUS_MULTIPROC_DIR` is set (webapp/serving.py sets it
for its workers), every worker writes its values there and `/metrics` sums them over all workers.
"""
import contextlib
import ipaddress
import json
import logging
import re
import sys
import time
import uuid

from flask import current_app, g, has_request_context, request
from flask_login import current_user
from prometheus_client import CollectorRegistry, Histogram
from prometheus_flask_exporter import PrometheusMetrics
from pymongo import monitoring

REQUEST_ID_HEADER = "X-Request-ID"
# A request id from a proxy or client is kept when it is one short token of visible ASCII: no spaces or line
# breaks that could forge a log line; anything else is replaced by a fresh one.
REQUEST_ID_RE = re.compile(r"[\x21-\x7e]{1,64}")
REQUEST_LOGGER = "earlybird.requests"

DB_ROUND_TRIPS = Histogram(
    "earlybird_db_round_trips", "Database commands sent while serving one request", ["endpoint"],
    buckets=(0, 1, 2, 3, 4, 6, 8, 12, 16, 25, 50, 100))
JOB_DURATION = Histogram(
    "earlybird_job_duration_seconds", "How long a billing run or a legacy import took", ["job"],
    buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800))
CUSTOM_METRICS = (DB_ROUND_TRIPS, JOB_DURATION)


class RoundTripCounter(monitoring.CommandListener):
    """Counts the database commands a request sends (on `g`, so each request counts its own)."""

    def started(self, event):
        if has_request_context():
            g.db_round_trips = g.get("db_round_trips", 0) + 1

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


_listener = RoundTripCounter()
_listener_registered = []  # pymongo's registry is process-wide: register once, however many apps are built


def init_app(app):
    """Call before the MongoClient is built (pymongo reads registered listeners when a client is created)."""
    if not _listener_registered:
        monitoring.register(_listener)
        _listener_registered.append(_listener)
    registry = CollectorRegistry()
    for metric in CUSTOM_METRICS:
        registry.register(metric)
    # Registered before the other hooks: every request gets its id and start time, even one answered early.
    app.before_request(start_request)
    app.extensions["prometheus"] = PrometheusMetrics(app, path=None, registry=registry, group_by="endpoint")
    app.after_request(finish_request)
    _ensure_log_handler()


def _ensure_log_handler():
    logger = logging.getLogger(REQUEST_LOGGER)
    logger.setLevel(logging.INFO)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)


def request_id_from(value):
    """The caller's request id when it is acceptable, else a new one."""
    if value and REQUEST_ID_RE.fullmatch(value):
        return value
    return uuid.uuid4().hex


def start_request():
    g.request_started = time.perf_counter()
    g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
    g.db_round_trips = 0


def finish_request(response):
    request_id = g.get("request_id") or request_id_from(None)
    response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("request_started")
    latency_ms = round((time.perf_counter() - started) * 1000, 2) if started is not None else None
    endpoint = request.endpoint or "unmatched"
    round_trips = g.get("db_round_trips", 0)
    DB_ROUND_TRIPS.labels(endpoint=endpoint).observe(round_trips)
    logging.getLogger(REQUEST_LOGGER).info(json.dumps({
        "request_id": request_id,
        "method": request.method,
        "path": request.path,
        "endpoint": endpoint,
        "status": response.status_code,
        "latency_ms": latency_ms,
        "db_round_trips": round_trips,
        "ip": request.remote_addr,
    }, separators=(",", ":")))
    return response


def observe_duration(job, seconds):
    """Record how long a job took ("billing_run", "legacy_import")."""
    JOB_DURATION.labels(job=job).observe(seconds)


@contextlib.contextmanager
def timed(job):
    """`with timed("billing_run"):` or `@timed("billing_run")`: the block's duration, failed or not."""
    started = time.perf_counter()
    try:
        yield
    finally:
        observe_duration(job, time.perf_counter() - started)


def allowed_networks(app=None):
    config = (app or current_app).config
    return [ipaddress.ip_network(network, strict=False) for network in config["METRICS_ALLOWED_NETWORKS"]]


def may_read_metrics():
    """An admin, or a request from one of METRICS_ALLOWED_NETWORKS (the scraper's)."""
    if current_user.is_authenticated and current_user.role == "admin":
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in allowed_networks())


def metrics_page(accept_header=None):
    """(text, content type) of every metric, summed over the workers in multiprocess mode."""
    return current_app.extensions["prometheus"].generate_metrics(accept_header)
