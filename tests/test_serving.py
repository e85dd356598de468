"""Issue 13: serving under stress. gunicorn with the project's settings (webapp/serving.py) against
slow clients, and the app when its database goes away and comes back."""
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import free_port, memory_dir, scratch_name
from webapp import close_limiter_storage, migrate
from webapp.db import get_db, start_server_process
from webapp.extensions import limiter
from webapp.services import Actor, accounts

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 90  # three workers importing the app on two busy cores


def get(port, path, timeout):
    """(status, seconds); status is the exception's name when no answer came in time."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.perf_counter()
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    except (OSError, http.client.HTTPException) as error:
        return type(error).__name__, time.perf_counter() - started
    finally:
        connection.close()


@pytest.fixture
def served(mongo_uri, app, tmp_path):
    """gunicorn as `make run` starts it (`-c python:webapp.serving`) on a free port; yields the port."""
    port = free_port()
    dbname = scratch_name("serving")
    env = dict(os.environ, MONGO_URI=mongo_uri, MONGO_DBNAME=dbname, SECRET_KEY="test-serving-" + "x" * 24,
               EARLYBIRD_INSTANCE_DIR=str(tmp_path))
    log = open(tmp_path / "gunicorn.log", "wb")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "python:webapp.serving",
         "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while get(port, "/health", timeout=5)[0] != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("gunicorn did not serve /health:\n" + (tmp_path / "gunicorn.log").read_text())
            time.sleep(0.3)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        client = app.extensions["mongo"]
        client.drop_database(dbname)
        client.drop_database(dbname + "_limits")


def test_ten_half_sent_requests_do_not_freeze_the_app(served):
    stalled = []
    try:
        for _ in range(10):
            connection = socket.create_connection(("127.0.0.1", served), timeout=30)
            stalled.append(connection)
            connection.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        time.sleep(0.5)  # the workers have taken them
        # Several tries: with threaded workers a request lands on a free thread only sometimes.
        for _ in range(5):
            status, seconds = get(served, "/health", timeout=1)
            assert status == 200, f"/health: {status} after {seconds:.1f} s"
            status, seconds = get(served, "/auth/login", timeout=1)
            assert status == 200, f"/auth/login: {status} after {seconds:.1f} s"
        # A client that never finishes its headers is dropped after the keep-alive time (5 s).
        started = time.monotonic()
        assert stalled[0].recv(1024) == b""
        assert time.monotonic() - started < 15
    finally:
        for connection in stalled:
            connection.close()


@pytest.fixture
def outage(make_app):
    """An app on a database server of its own, which the test stops and starts again:
    yields (app, stop, start). Its files in RAM like the session's server (tests/conftest.py: memory_dir)."""
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="earlybird-outage-", dir=memory_dir()))
    storage, log_path = workdir / "data", workdir / "server.log"
    servers = [start_server_process(storage, port, log_path=log_path)]

    def stop():
        servers[-1].terminate()
        servers[-1].wait(timeout=30)

    def start():
        servers.append(start_server_process(storage, port, log_path=log_path))

    # Flask-Limiter keeps one storage per process, taken from the last app built: put the session's back after.
    session_storage, session_strategy = limiter._storage, limiter._limiter  # the strategy holds the storage too
    app = make_app(MONGO_URI=f"mongodb://127.0.0.1:{port}/?directConnection=true")
    try:
        with app.app_context():
            migrate.upgrade(get_db())
        yield app, stop, start
    finally:
        if servers[-1].poll() is not None:
            start()  # closing a client whose server is gone can hang: close them while it answers
        close_limiter_storage(limiter)
        app.extensions["mongo"].close()
        limiter._storage, limiter._limiter = session_storage, session_strategy
        for server in servers:
            if server.poll() is None:
                server.terminate()
                server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


def timed(client, method, path, **kwargs):
    started = time.perf_counter()
    response = client.open(path, method=method, **kwargs)
    return response, time.perf_counter() - started


def test_database_down_answers_503_fast_and_the_same_app_recovers(outage):
    app, stop, start = outage
    with app.app_context():
        admin = accounts.create_user("admin@example.test", "Admin", "admin", password="correct-horse-1",
                                     actor=Actor.system("test"))
    visitor, staff = app.test_client(), app.test_client()
    with staff.session_transaction() as session:
        session["_user_id"] = f"{admin['_id']}|0"
        session["_fresh"] = True
    # (client, method, path, request arguments, status with the database up, status with it down)
    requests = [
        (visitor, "GET", "/health", {}, 200, 503),
        (visitor, "GET", "/auth/login", {}, 200, 200),  # the empty form needs no database
        (visitor, "POST", "/auth/login", {"data": {"login": "nobody@example.test", "password": "x"}}, 422, 503),
        (staff, "GET", "/auth/login", {}, 302, 503),  # who is signed in? the database knows
        (staff, "GET", "/staff/products", {}, 200, 503),
        (staff, "POST", "/staff/products/new", {"data": {"name": "Curd", "unit": "400 g cup", "price_paise": "45"}},
         303, 503),
    ]

    def every_request_answers(expect_up):
        for client, method, path, kwargs, up_status, down_status in requests:
            response, seconds = timed(client, method, path, **kwargs)
            expected = up_status if expect_up else down_status
            assert response.status_code == expected, f"{method} {path}: {response.status_code}"
            assert seconds < 3, f"{method} {path} took {seconds:.1f} s"
            if response.status_code == 503 and path != "/health":
                assert response.headers["Retry-After"] == "10"
                assert "Back in a moment" in response.get_data(as_text=True)

    every_request_answers(expect_up=True)
    stop()
    every_request_answers(expect_up=False)
    assert visitor.get("/health").json == {"status": "down"}
    start()
    deadline = time.monotonic() + 15  # the driver finds the server again by itself
    while visitor.get("/health").status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    requests[-1][3]["data"]["name"] = "Paneer"  # a new product, not a duplicate of the first
    every_request_answers(expect_up=True)


def test_a_unit_of_work_losing_its_database_midway_fails_fast_with_nothing_written(outage):
    from pymongo.errors import ConnectionFailure

    from webapp.services import uow

    app, stop, start = outage

    def work(u):
        u.db.products.insert_one({"_id": "PR-half", "name": "Half"})
        stop()  # the server goes away between two writes of one unit of work
        u.db.products.insert_one({"_id": "PR-other", "name": "Other"})

    with app.app_context():
        started = time.monotonic()
        with pytest.raises(ConnectionFailure):
            uow.run(Actor.system("test"), work)
        assert time.monotonic() - started < 10  # not with_transaction's two minutes of retries
        start()
        assert get_db().products.count_documents({}) == 0
