"""The one MongoClient per process, and the embedded server when MONGO_URI is unset.

The embedded server (SecantusDB, WiredTiger storage) always runs as its own process so
that gunicorn workers and the CLI share one database; its data lives under instance/db.
"""
import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

from flask import current_app
from pymongo import MongoClient
from pymongo.errors import PyMongoError

def init_app(app):
    uri = app.config["MONGO_URI"]
    if not uri:
        uri = ensure_embedded_server(app.config["EMBEDDED_DB_PATH"], app.config["EMBEDDED_DB_PORT"])
        app.config["MONGO_URI"] = uri
    # pymongo connects lazily: creating the client opens no socket yet.
    app.extensions["mongo"] = MongoClient(
        uri, serverSelectionTimeoutMS=app.config["MONGO_SERVER_SELECTION_MS"], tz_aware=True, connect=False
    )


def get_client():
    return current_app.extensions["mongo"]


def get_db():
    return get_client()[current_app.config["MONGO_DBNAME"]]


def ping(client, timeout_ms=1500):
    """True when the server answers a ping within the timeout."""
    try:
        client.admin.command("ping", maxTimeMS=timeout_ms)
        return True
    except PyMongoError:
        return False


def _answers(uri, timeout_ms=500):
    probe = MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, directConnection=True)
    try:
        return ping(probe, timeout_ms)
    finally:
        probe.close()


def server_command(storage_path, port, *, test_commands=False):
    command = [
        sys.executable, "-m", "secantus",
        "--host", "127.0.0.1", "--port", str(port),
        "--storage-path", str(storage_path),
        "--sync-on-commit", "--log-level", "WARNING",
    ]
    if test_commands:
        command.append("--enable-test-commands")
    return command


def start_server_process(storage_path, port, *, log_path, test_commands=False, detach=False):
    """Start the embedded server and wait until it answers; returns the Popen."""
    Path(storage_path).mkdir(parents=True, exist_ok=True)
    log = open(log_path, "ab")
    process = subprocess.Popen(
        server_command(storage_path, port, test_commands=test_commands),
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=detach,
    )
    uri = f"mongodb://127.0.0.1:{port}/?directConnection=true"
    deadline = time.monotonic() + 60
    while not _answers(uri):
        if process.poll() is not None:
            raise RuntimeError(f"embedded database exited with {process.returncode}; see {log_path}")
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"embedded database did not answer on port {port}; see {log_path}")
        time.sleep(0.2)
    return process


def ensure_embedded_server(storage_path, port):
    """Return the URI of the embedded server, starting it (once, across processes) if it is not answering."""
    uri = f"mongodb://127.0.0.1:{port}/?directConnection=true"
    if _answers(uri):
        return uri
    instance = Path(storage_path).parent
    instance.mkdir(parents=True, exist_ok=True)
    with open(instance / "db.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # several workers may arrive here at once
        if not _answers(uri):
            process = start_server_process(
                storage_path, port, log_path=instance / "db.log", detach=True
            )
            (instance / "db.pid").write_text(str(process.pid))
    return uri


def stop_embedded_server(storage_path):
    """Stop the embedded server started by ensure_embedded_server; returns False if none was recorded."""
    pid_file = Path(storage_path).parent / "db.pid"
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, 15)
    except ProcessLookupError:
        pass
    pid_file.unlink()
    return True
