"""Job records of the month's run started from the web page: start, progress, finish, stalled jobs.

`{_id, kind: "bill_month", month, status: running|done|failed, running_key (while running),
  progress: {customers_total, customers_done, bills_issued, amount_paise}, summary, error,
  started_at, updated_at}`. `updated_at` is the heartbeat: the run beats once its read pass is over and
every bill batch writes its progress in the batch's own unit of work. A running job silent for longer than
BILLING_HEARTBEAT_SECONDS (default 60) lost its process: it is marked failed ("the process stopped; run
again"), audited, whenever the jobs are listed or shown and when a run of its month is asked for, and its
month can be run again. A run whose job was so released stops at its next batch (nothing of that batch is
written), so a slow run marked failed by mistake does not go on beside the new one.
"""
from datetime import timedelta

from flask import current_app
from pymongo.errors import DuplicateKeyError

from webapp import clock
from webapp.db import get_db
from webapp.services import STAFF_ROLES, Actor, Conflict, NotFound, uow, validate

RUN_ROLES = ("admin",)
KIND = "bill_month"
STALLED = "the process stopped; run again"
WATCH = Actor.system("billing-heartbeat")  # who marks a silent job failed: no person decided it
PROGRESS_FIELDS = ("customers_total", "customers_done", "bills_issued", "amount_paise")


def _running_key(month):
    return f"bill-month:{month}"


class JobReleased(Conflict):
    """This run's job was marked failed for want of a heartbeat: the run must stop (a new one may be on)."""

    def __init__(self):
        super().__init__(f"This billing run was marked failed: {STALLED}.")


def _silent_since():
    """Running jobs whose heartbeat is older than this lost their process."""
    return clock.now() - timedelta(seconds=current_app.config["BILLING_HEARTBEAT_SECONDS"])


def _mark_failed(u, job_ids):
    """Inside unit of work `u`: each of these jobs still running and silent is marked failed, with an entry."""
    for job_id in job_ids:
        job = u.db.jobs.find_one_and_update(
            {"_id": job_id, "status": "running", "updated_at": {"$lt": _silent_since()}},
            {"$set": {"status": "failed", "error": STALLED, "updated_at": clock.now()}, "$unset": {"running_key": ""}},
            projection={"month": 1})
        if job is not None:
            u.record("billing.stalled", "job", job_id,
                     f"The run of {job['month']} stopped without finishing (no heartbeat): marked failed")


def release_stalled(month=None):
    """Mark failed every running job (of `month`, or any) whose process stopped: one read when there is none,
    else one unit of work of the system actor "billing-heartbeat"."""
    query = {"kind": KIND, "status": "running", "updated_at": {"$lt": _silent_since()}}
    if month is not None:
        query["month"] = month
    stalled = [job["_id"] for job in get_db().jobs.find(query, {"_id": 1})]
    if stalled:
        uow.run(WATCH, lambda u: _mark_failed(u, stalled))


def start_month_job(month, *, actor):
    """Create the job record for a month's run, or return the one already running: (job, started). A running
    job of that month whose process stopped is first marked failed, in the same unit of work."""
    actor.require(*RUN_ROLES)
    month = validate.month(month)
    key = _running_key(month)

    def work(u):
        now = clock.now()
        # The key is unique while running: at most one job of the month to release.
        silent = u.db.jobs.find_one({"running_key": key, "updated_at": {"$lt": _silent_since()}}, {"_id": 1})
        if silent is not None:
            _mark_failed(u, [silent["_id"]])
        job = {"_id": u.new_id("JB"), "kind": KIND, "month": month, "status": "running", "running_key": key,
               "progress": {"customers_total": None, "customers_done": 0, "bills_issued": 0, "amount_paise": 0},
               "summary": None, "error": None, "started_at": now, "updated_at": now}
        u.db.jobs.insert_one(job)
        u.record("billing.start", "job", job["_id"], f"Started billing {month}")
        return job

    try:
        return uow.run(actor, work), True
    except DuplicateKeyError:
        running = get_db().jobs.find_one({"running_key": key})
        if running is None:  # finished between our insert and this read
            raise Conflict("A run of this month just finished; start it again to bill anything new.") from None
        return running, False


def beat(u, job_id, changes=None):
    """Inside unit of work `u`: the job's heartbeat (with `changes` to its fields); JobReleased when the job is no
    longer running, which aborts `u`."""
    done = u.db.jobs.update_one({"_id": job_id, "status": "running"},
                                {"$set": {**(changes or {}), "updated_at": clock.now()}})
    if done.matched_count != 1:
        raise JobReleased()


def record_progress(u, job_id, tally):
    """Inside a bill batch's unit of work `u`: the job's progress as it will be once the batch commits, and its
    heartbeat."""
    beat(u, job_id, {"progress": {f: tally[f] for f in PROGRESS_FIELDS}})


def finish(u, job_id, tally, *, summary=None, error=None):
    """Inside unit of work `u`: the job is done (with its summary) or failed (with the error); a job already
    marked failed for want of a heartbeat keeps that."""
    done = u.db.jobs.update_one({"_id": job_id, "status": "running"}, {
        "$set": {"progress": {f: tally[f] for f in PROGRESS_FIELDS}, "status": "failed" if error else "done",
                 "summary": summary, "error": error, "updated_at": clock.now()},
        "$unset": {"running_key": ""},
    })
    if done.matched_count != 1:
        return
    u.record("billing.finish", "job", job_id, f"Billing run failed: {error}" if error else "Billing run finished")


def get_job(job_id, *, actor):
    actor.require(*STAFF_ROLES)
    release_stalled()
    job = get_db().jobs.find_one({"_id": job_id, "kind": KIND})
    if job is None:
        raise NotFound("No such billing run.")
    return job


def recent_jobs(limit=10, *, actor):
    actor.require(*STAFF_ROLES)
    release_stalled()
    return list(get_db().jobs.find({"kind": KIND}).sort("started_at", -1).limit(limit))
