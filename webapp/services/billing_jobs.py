"""Job records of the month's run started from the web page: start, progress, finish, stale jobs.

`{_id, kind: "bill_month", month, status: running|done|failed, running_key (while running),
  progress: {customers_total, customers_done, bills_issued, amount_paise}, summary, error,
  started_at, updated_at}`. `updated_at` is the heartbeat: the run's every bill batch writes its
progress in the batch's unit of work, so a job silent for STALE_JOB lost its process.
"""
from datetime import timedelta

from pymongo.errors import DuplicateKeyError

from webapp import clock
from webapp.db import get_db
from webapp.services import STAFF_ROLES, Conflict, NotFound, uow, validate

RUN_ROLES = ("admin",)
KIND = "bill_month"
STALE_JOB = timedelta(minutes=10)  # a running job silent this long was killed with its process
PROGRESS_FIELDS = ("customers_total", "customers_done", "bills_issued", "amount_paise")


def _running_key(month):
    return f"bill-month:{month}"


def start_month_job(month, *, actor):
    """Create the job record for a month's run, or return the one already running: (job, started)."""
    actor.require(*RUN_ROLES)
    month = validate.month(month)
    key = _running_key(month)

    def work(u):
        now = clock.now()
        # A job whose process died never finishes: release its key so the month can be run again
        # (the key is unique while running: at most one such job).
        stale = u.db.jobs.find_one_and_update(
            {"running_key": key, "updated_at": {"$lt": now - STALE_JOB}},
            {"$set": {"status": "failed", "error": "The run stopped without finishing."},
             "$unset": {"running_key": ""}},
            projection={"_id": 1})
        if stale is not None:
            u.record("billing.stale", "job", stale["_id"], f"Released the stalled run of {month}")
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


def record_progress(u, job_id, tally):
    """Inside a bill batch's unit of work `u`: the job's progress as it will be once the batch commits."""
    u.db.jobs.update_one({"_id": job_id}, {"$set": {"progress": {f: tally[f] for f in PROGRESS_FIELDS},
                                                    "updated_at": clock.now()}})


def finish(u, job_id, tally, *, summary=None, error=None):
    """Inside unit of work `u`: the job is done (with its summary) or failed (with the error)."""
    u.db.jobs.update_one({"_id": job_id}, {
        "$set": {"progress": {f: tally[f] for f in PROGRESS_FIELDS}, "status": "failed" if error else "done",
                 "summary": summary, "error": error, "updated_at": clock.now()},
        "$unset": {"running_key": ""},
    })
    u.record("billing.finish", "job", job_id, f"Billing run failed: {error}" if error else "Billing run finished")


def get_job(job_id, *, actor):
    actor.require(*STAFF_ROLES)
    job = get_db().jobs.find_one({"_id": job_id, "kind": KIND})
    if job is None:
        raise NotFound("No such billing run.")
    return job


def recent_jobs(limit=10, *, actor):
    actor.require(*STAFF_ROLES)
    return list(get_db().jobs.find({"kind": KIND}).sort("started_at", -1).limit(limit))
