"""Runs of the data health checks, kept with their counts: the health page and the owner's morning page show the
latest run at once, where running the checks reads every delivery (minutes at 10,000 customers). A run is started
from the health page (in a thread that outlives the request) or by the nightly `flask --app wsgi health-check`.

A run is a job record: `{_id, kind: "health_check", status: running|done|failed, running_key (while running),
results: [{key, label, count, fix}], red (checks not at zero), error, started_at, updated_at}`. The unique running key
allows one run at a time; a run still running after STALLED_AFTER lost its process and is marked failed when the next
one is asked for.
"""
import threading
from datetime import timedelta

from flask import current_app
from pymongo.errors import DuplicateKeyError

from webapp import clock
from webapp.db import get_db
from webapp.services import Conflict, data_health, uow

KIND = "health_check"
RUNNING_KEY = "health-check"
START_ROLES = ("admin",)  # support reads the counts (read-only); a run writes its record
STALLED_AFTER = timedelta(hours=1)  # the checks take minutes at 10,000 customers
STALLED = "the process stopped before the checks finished; check again"
RECENT = 20  # runs looked through for the latest finished one (failed ones may come between)


def _begin(actor):
    """The running job, created in its unit of work (a run whose process stopped is marked failed first): (job,
    started); started is False when another run is on."""

    def work(u):
        now = clock.now()
        # A run still on is the newest (no run starts beside it): asked by the index (kind, started_at).
        newest = u.db.jobs.find_one({"kind": KIND}, {"status": 1, "started_at": 1}, sort=[("started_at", -1)])
        if newest and newest["status"] == "running" and newest["started_at"] < now - STALLED_AFTER:
            u.db.jobs.update_one({"_id": newest["_id"]}, {"$set": {"status": "failed", "error": STALLED,
                                                                   "updated_at": now}, "$unset": {"running_key": ""}})
            u.record("health.stalled", "job", newest["_id"], "A data health run stopped without finishing")
        job = {"_id": u.new_id("JB"), "kind": KIND, "status": "running", "running_key": RUNNING_KEY,
               "results": None, "red": None, "error": None, "started_at": now, "updated_at": now}
        u.db.jobs.insert_one(job)
        u.record("health.start", "job", job["_id"], "Started the data health checks")
        return job

    try:
        return uow.run(actor, work), True
    except DuplicateKeyError:
        running = get_db().jobs.find_one({"kind": KIND, "status": "running"}, sort=[("started_at", -1)])
        if running is None:  # it finished between the insert and this read
            raise Conflict("The data health checks just finished; check again for newer counts.") from None
        return running, False


def _finish(job, actor):
    """Run every check and keep the counts on the job (or the error that stopped them); returns the job."""
    try:
        results, error = data_health.run_checks(actor=actor), None
    except Exception as failure:  # kept on the record for the page; the thread has no one else to tell
        results, error = None, f"{type(failure).__name__}: {failure}"
    red = None if results is None else sum(1 for check in results if check["count"])
    changes = {"status": "failed" if error else "done", "results": results, "red": red, "error": error}

    def work(u):
        u.db.jobs.update_one({"_id": job["_id"]},
                             {"$set": {**changes, "updated_at": clock.now()}, "$unset": {"running_key": ""}})
        u.record("health.finish", "job", job["_id"],
                 f"Data health checks failed: {error}" if error else f"Data health checked: {red} not at zero")

    uow.run(actor, work)
    return {**job, **changes}


def run_now(*, actor):
    """Run the checks in this process and keep them (the nightly command); returns the finished job. A run already
    on is a Conflict."""
    actor.require(*START_ROLES)
    job, started = _begin(actor)
    if not started:
        raise Conflict("The data health checks are running already.")
    return _finish(job, actor)


def start(*, actor):
    """Start a run in a background thread: (job, started); the run already on when there is one."""
    actor.require(*START_ROLES)
    job, started = _begin(actor)
    if started:
        app = current_app._get_current_object()
        threading.Thread(target=_run_in_background, args=(app, job, actor), name="health-check", daemon=True).start()
    return job, started


def _run_in_background(app, job, actor):
    with app.app_context():
        _finish(job, actor)


def latest(*, actor):
    """{"done": the latest finished run or None, "running": the run on now or None}."""
    actor.require(*data_health.HEALTH_ROLES)
    found = {"done": None, "running": None}
    silent_since = clock.now() - STALLED_AFTER
    # The newest runs by the index (kind, started_at); statuses told here.
    for job in get_db().jobs.find({"kind": KIND}, sort=[("started_at", -1)], limit=RECENT):
        if job["status"] == "running" and job["started_at"] >= silent_since and found["running"] is None:
            found["running"] = job
        elif job["status"] == "done":
            found["done"] = job
            break
    return found
