"""EarlyBird: the app factory."""
import atexit

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from flask_compress import Compress
from werkzeug.middleware.proxy_fix import ProxyFix

from webapp.config import PROJECT_ROOT, load_config


class SessionInterface(SecureCookieSessionInterface):
    """Session cookie: Secure whenever the request itself came over https."""

    def get_cookie_secure(self, app):
        return super().get_cookie_secure(app) or (has_request_context() and request.is_secure)


def create_app(config=None):
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(load_config(config))
    app.session_interface = SessionInterface()
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    register_observability(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_cli(app)
    return app


def register_observability(app):
    from webapp import observability

    # First: the database command listener must exist before the client, and every request gets its id.
    observability.init_app(app)


def register_extensions(app):
    from webapp import db, i18n, requests_guard
    from webapp.auth_session import init_login
    from webapp.extensions import csrf, limiter
    from webapp.security import set_security_headers

    # Registered first so it runs last, over the final headers: pages, CSS, JS and JSON go out gzip/br/zstd.
    Compress(app)
    db.init_app(app)
    if not app.config["RATELIMIT_STORAGE_URI"]:
        app.config["RATELIMIT_STORAGE_URI"] = app.config["MONGO_URI"]
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"database_name": app.config["MONGO_DBNAME"] + "_limits"})
    # The limiter's own MongoClient: fail as fast as the app's client when the database is away.
    app.config["RATELIMIT_STORAGE_OPTIONS"].setdefault("serverSelectionTimeoutMS",
                                                       app.config["MONGO_SERVER_SELECTION_MS"])
    csrf.init_app(app)
    limiter.init_app(app)
    atexit.register(close_limiter_storage, limiter)
    init_login(app)
    i18n.init_app(app)
    app.after_request(set_security_headers)
    requests_guard.init_app(app)


def close_limiter_storage(limiter):
    # limits' MongoDB storage builds its client lazily and closes it in __del__, which runs during
    # interpreter shutdown: building a client then fails noisily, and closing a live one can hang.
    # Close it (or mark a never-built one absent) while the interpreter is still whole.
    storage = getattr(limiter, "_storage", None)
    client = getattr(storage, "_storage", False)
    if client:
        client.close()
    if client is not False:
        storage._storage = False


def register_blueprints(app):
    from webapp.blueprints import admin, auth, customer, delivery, links, main, supplier

    for module in (main, auth, admin, customer, delivery, supplier, links):
        app.register_blueprint(module.bp)


def register_errorhandlers(app):
    from webapp.errors import init_app

    init_app(app)


def register_template_helpers(app):
    from webapp.template_helpers import init_app

    init_app(app)


def register_cli(app):
    from webapp.cli import init_app

    init_app(app)
