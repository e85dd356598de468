"""gunicorn settings, one module for `make run`, the rush bench, the tests and production:

    gunicorn -c python:webapp.serving wsgi:app

Command-line options given after `-c` override these (e.g. `--bind 0.0.0.0:8000`).

gevent workers: each connection is a greenlet, so a client that sends half a request and stalls parks
one greenlet and holds no thread; the page is served by the next. gunicorn monkey-patches each worker
before it loads the app, and pymongo (the app's client and the rate limiter's) cooperates with gevent.
"""
import glob
import os
import shutil
import tempfile

bind = "127.0.0.1:5000"
# The pages are CPU-bound Python: about one worker per core, plus one to cover a worker's pauses.
workers = int(os.environ.get("WEB_CONCURRENCY") or 3)
worker_class = "gevent"
# Open connections per worker, idle or slow ones included; beyond that a worker stops accepting.
worker_connections = 500
# With gevent, `keepalive` also bounds how long a client may take to send a request's headers (the
# worker reads each request line and headers under a timeout of this many seconds): a stalled
# client is dropped after it.
keepalive = 5
# A worker that does not report for this long (a page stuck in Python code) is killed and replaced.
timeout = 30
# On reload or stop, requests in flight get this long to finish.
graceful_timeout = 20
# The longest URL here is a shared link (~150 characters); a browser sends ~15 header lines.
limit_request_line = 2048
limit_request_fields = 50
limit_request_field_size = 8190
accesslog = "-"
# gunicorn's control socket lives at one path per user ($HOME/.gunicorn/gunicorn.ctl), which two
# servers on one machine (the app, a test, the bench) would share; nothing here uses it.
control_socket_disable = True


def on_starting(server):
    """Metrics from every worker go to one directory (prometheus_client's multiprocess mode), emptied at each start
    so a previous run's counts do not carry over. Set here, in the master, so every worker inherits it."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        for stale in glob.glob(os.path.join(directory, "*.db")):
            os.remove(stale)
    else:
        directory = tempfile.mkdtemp(prefix="earlybird-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
        server.made_metrics_dir = directory


def on_exit(server):
    """A metrics directory made by on_starting goes with the server; one given in the environment stays."""
    directory = getattr(server, "made_metrics_dir", None)
    if directory:
        shutil.rmtree(directory, ignore_errors=True)


def child_exit(server, worker):
    """A worker's gauges stop counting when it exits (its counters and histograms are kept in the sums)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
