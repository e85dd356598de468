"""Test fixtures: one embedded MongoDB-wire server per test session, a database per worker,
emptied with delete_many around every test; no network beyond this machine."""
import copy
import itertools
import os
import secrets
import shutil
import socket
import tempfile
import uuid
from pathlib import Path

import pytest
from bson import ObjectId
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from werkzeug.datastructures import Headers

from webapp import close_limiter_storage, create_app, migrate
from webapp.db import get_db, start_server_process
from webapp.extensions import limiter
from webapp.services import Actor, uow

pytest_plugins = ["tests.billing_fixtures"]  # milk, paneer, subscribe, order_once, deliver
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
LOCAL_HOSTS = {"127.0.0.1", "::1", "localhost"}
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _check_address(sock, address):
    if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in LOCAL_HOSTS:
        raise RuntimeError(f"test tried to reach the network: {address!r}")


def _guarded_connect(sock, address):
    _check_address(sock, address)
    return _real_connect(sock, address)


def _guarded_connect_ex(sock, address):
    _check_address(sock, address)
    return _real_connect_ex(sock, address)


@pytest.fixture(autouse=True, scope="session")
def no_network():
    """Fail any test that would reach beyond this machine."""
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    yield
    socket.socket.connect = _real_connect
    socket.socket.connect_ex = _real_connect_ex


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


MEMORY_DIR_FREE = 2 * 2 ** 30  # a session's server writes a few hundred megabytes; a container's /dev/shm may be 64 MB


def memory_dir():
    """A RAM-backed directory for the test server's files when the machine has one with room (Linux: /dev/shm):
    the same server and the same `--sync-on-commit`, but each commit's fsync no longer waits for a disk. None: the
    default temporary directory."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        return None
    return str(shm) if shutil.disk_usage(shm).free >= MEMORY_DIR_FREE else None


@pytest.fixture(scope="session")
def mongo_uri():
    """One embedded database server for the whole session (test commands on, for fault injection)."""
    workdir = Path(tempfile.mkdtemp(prefix=f"earlybird-db-{WORKER}-", dir=memory_dir()))
    port = free_port()
    process = start_server_process(workdir / "data", port, log_path=workdir / "server.log", test_commands=True)
    yield f"mongodb://127.0.0.1:{port}/?directConnection=true"
    # Close the rate limiter's client while its server still answers (closing it later waits for one).
    close_limiter_storage(limiter)
    process.terminate()
    try:
        process.wait(timeout=15)
    except Exception:
        process.kill()
    shutil.rmtree(workdir, ignore_errors=True)


def test_config(mongo_uri, **overrides):
    config = {
        "MONGO_URI": mongo_uri,
        "MONGO_DBNAME": f"earlybird_test_{WORKER}",
        "SECRET_KEY": "test-" + WORKER + "-" + "x" * 24,
        "TESTING": True,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast hashing in tests only
        "BASE_URL": "http://localhost",
        # Flask-Limiter keeps one storage per process: every test app must name the same one.
        "RATELIMIT_STORAGE_OPTIONS": {"database_name": f"earlybird_test_{WORKER}_limits"},
    }
    config.update(overrides)
    return config


class CsrfClient(FlaskClient):
    """A test client that sends the CSRF token header on state-changing requests, like htmx does.

    `client.post(..., csrf=False)` sends none (to test the refusal)."""

    def csrf_token(self):
        with self.session_transaction() as session:
            raw = session.setdefault("csrf_token", secrets.token_hex(20))
        return URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token").dumps(raw)

    def open(self, *args, csrf=True, htmx=False, **kwargs):
        method = (kwargs.get("method") or "GET").upper()
        headers = Headers(kwargs.pop("headers", None) or {})
        if csrf and method in {"POST", "PUT", "PATCH", "DELETE"} and "X-CSRFToken" not in headers:
            headers["X-CSRFToken"] = self.csrf_token()
        if htmx:
            headers["HX-Request"] = "true"
        kwargs["headers"] = headers
        # A fresh app context per request: otherwise the request would reuse the test's own
        # context and `g` (Flask-Login's cached user among others) would leak between requests.
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def make_app(mongo_uri):
    """Build another app on the session's server, e.g. with other configuration."""
    apps = []

    def build(**overrides):
        app = create_app(test_config(mongo_uri, **overrides))
        app.test_client_class = CsrfClient
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["mongo"].close()


def scratch_name(suffix):
    """A database name of this worker's own, apart from the tests' main one."""
    return f"earlybird_test_{WORKER}_{suffix}"


_scratch_numbers = itertools.count(1)


@pytest.fixture
def empty_app(make_app):
    """empty_app(suffix): an app on a database of its own never used before (its name in
    `app.config["MONGO_DBNAME"]`). Left in place after the test: the session's server and its files go at the end,
    and dropping a database that was just written waits for the server's checkpoint (over a minute)."""
    return lambda suffix: make_app(MONGO_DBNAME=scratch_name(f"{suffix}_{next(_scratch_numbers)}"))


@pytest.fixture(scope="session")
def app(make_app):
    app = make_app()
    with app.app_context():
        migrate.upgrade(get_db())
    return app


def holding_documents(database, names):
    """The collections of `names` that hold at least one document, asked in one round trip (an aggregate of one
    `$limit: 1` probe per collection joined by `$unionWith`) instead of a delete_many on each of them."""
    names = sorted(names)
    if not names:
        return set()

    def probe(name):
        return [{"$limit": 1}, {"$project": {"_id": 0, "name": {"$literal": name}}}]

    pipeline = probe(names[0]) + [{"$unionWith": {"coll": name, "pipeline": probe(name)}} for name in names[1:]]
    return {found["name"] for found in database[names[0]].aggregate(pipeline)}


def holding_data(database):
    """The collections of `database` that hold a document, `migrations` (the schema's record) left out."""
    return holding_documents(database, [name for name in database.list_collection_names() if name != "migrations"])


def empty_databases(app):
    """Every collection but `migrations` of the test database and every one of the rate limiter's left with no
    document; only the collections that hold one are written to (most tests touch a few of the 26)."""
    client = app.extensions["mongo"]
    limits = app.config["RATELIMIT_STORAGE_OPTIONS"]["database_name"]
    for database in (client[app.config["MONGO_DBNAME"]], client[limits]):
        for name in holding_data(database):
            database[name].delete_many({})


_built_once = {}  # (fixture key, the ids the databases held before) -> {"before", "after", "value"}


def _contents(databases):
    """{database name: {collection: {_id: document}}} of the collections holding any ("migrations" left out)."""
    return {database.name: {name: {doc["_id"]: doc for doc in database[name].find()} for name in holding_data(database)}
            for database in databases}


def built_once(key, databases, build):
    """What `build()` returns: built through the services by this worker's first test that asks for `key`, which
    keeps what the build added to the databases and changed in them; a later test whose databases hold the same
    documents before it (the fixtures it builds on, such as a product, by id) gets those writes made again (one
    insert_many per collection, a replace per changed document: the same ids, counters, tallies and audit entries)
    and a copy of what the build returned, in a few round trips instead of a build's many service calls. The plan
    version gets a fresh epoch, as a build on an emptied database would (uow.plan_version): the day plans day_plan
    keeps in the process from an earlier test are not taken for this one's."""
    before = _contents(databases)
    # What the databases held, told by collection: how many documents, and the ids that name them (an ObjectId, as
    # an audit entry's, is new each time: counted only).
    key = (key, repr({name: {collection: (len(docs), sorted(repr(doc_id) for doc_id in docs
                                                             if not isinstance(doc_id, ObjectId)))
                             for collection, docs in held.items()}
                      for name, held in before.items()}))
    kept = _built_once.get(key)
    if kept is None:
        value = build()
        _built_once[key] = {"before": before, "after": _contents(databases), "value": copy.deepcopy(value)}
        return value
    for database in databases:
        earlier, later = kept["before"][database.name], kept["after"][database.name]
        for name in sorted(set(earlier) | set(later)):
            was, now = earlier.get(name, {}), later.get(name, {})
            added = [doc for doc_id, doc in now.items() if doc_id not in was]
            if added:
                database[name].insert_many(copy.deepcopy(added))
            for doc_id, doc in now.items():
                if doc_id in was and doc != was[doc_id]:
                    database[name].replace_one({"_id": doc_id}, doc)
            gone = [doc_id for doc_id in was if doc_id not in now]
            if gone:
                database[name].delete_many({"_id": {"$in": gone}})
    databases[0].counters.update_one({"_id": uow.PLAN_VERSION}, {"$set": {"epoch": uuid.uuid4().hex}})
    return copy.deepcopy(kept["value"])


@pytest.fixture(autouse=True)
def db(app):
    """Each test runs in an app context on an emptied database."""
    empty_databases(app)
    with app.app_context():
        yield get_db()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def system():
    return Actor.system("test")


_counter = itertools.count(1)


def unique_phone():
    return f"98{next(_counter):08d}"


@pytest.fixture
def make_user(system):
    """A login of any role; customers come with their customer record."""
    from webapp.services import accounts, customers

    def build(role="admin", password="correct-horse-1", **overrides):
        n = next(_counter)
        if role == "customer":
            customer, _ = customers.create_customer(
                overrides.pop("name", f"Customer {n}"), overrides.pop("phone", unique_phone()),
                overrides.pop("address", f"{n} Lake Road"), overrides.pop("area", "Indiranagar"),
                email=overrides.pop("email", f"customer{n}@example.test"), actor=system, **overrides,
            )
            user = accounts.get_user(customer["user_id"])
            get_db().users.update_one({"_id": user["_id"]},
                                      {"$set": {"password_hash": accounts.hash_password(password)}})
            return accounts.get_user(user["_id"])
        return accounts.create_user(
            overrides.pop("email", f"{role}{n}@example.test"), overrides.pop("name", f"{role.title()} {n}"),
            role, overrides.pop("phone", None), password=password, actor=system,
        )

    return build


@pytest.fixture
def login_as(client, make_user):
    """Sign `client` in as a new user of `role` (or as a given user document); returns the user."""

    def sign_in(role_or_user="admin", **overrides):
        user = make_user(role_or_user, **overrides) if isinstance(role_or_user, str) else role_or_user
        with client.session_transaction() as session:
            session["_user_id"] = f"{user['_id']}|{user.get('session_epoch', 0)}"
            session["_fresh"] = True
        return user

    return sign_in


@pytest.fixture
def make_product(system):
    from webapp.services import catalog

    def build(name=None, unit="500 ml packet", price_paise=3000, **overrides):
        return catalog.create_product(name or f"Product {next(_counter)}", unit, price_paise, actor=system,
                                      **overrides)

    return build


@pytest.fixture
def make_customer(system):
    from webapp.services import customers

    def build(**overrides):
        n = next(_counter)
        customer, _ = customers.create_customer(
            overrides.pop("name", f"Customer {n}"), overrides.pop("phone", unique_phone()),
            overrides.pop("address", f"{n} Lake Road"), overrides.pop("area", "Indiranagar"),
            actor=overrides.pop("actor", system), **overrides,
        )
        return customer

    return build
