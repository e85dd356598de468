"""Errors become pages (or partials for htmx) in one place: never a 500 for what a user can do."""
from flask import current_app, g, render_template
from flask_babel import gettext, lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from pymongo.errors import ConnectionFailure, ExecutionTimeout
from werkzeug.exceptions import HTTPException

from webapp.extensions import login_manager
from webapp.htmx import is_htmx
from webapp.services import ServiceError

# The database did not answer in time: unreachable (ConnectionFailure covers ServerSelectionTimeoutError,
# AutoReconnect and NetworkTimeout; the rate limiter's MongoDB storage raises these too) or too slow.
DATABASE_ERRORS = (ConnectionFailure, ExecutionTimeout)
RETRY_AFTER_SECONDS = 10

TITLES = {
    400: _l("Bad request"),
    401: _l("Please sign in"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Not allowed"),
    409: _l("Cannot do that now"),
    413: _l("Too large"),
    422: _l("Please check what you entered"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
    503: _l("Back in a moment"),
}
MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("You do not have access to this page."),
    404: _l("There is nothing here. Check the address or go back."),
    405: _l("That action is not available here."),
    413: _l("That request is too large. A form here needs only a few kilobytes."),
    429: _l("Too many attempts. Wait a minute and try again."),
    500: _l("Something went wrong on our side. It has been logged; please try again."),
    503: _l("EarlyBird cannot reach its records just now. Please try again in a minute."),
}


def error_response(status, message=None, *, page="errors/error.html"):
    """The error page, or its partial for htmx (swapped in place of the target)."""
    context = {
        "status": status,
        "title": TITLES.get(status, _l("Error")),
        "message": message or MESSAGES.get(status, _l("Error.")),
    }
    template = "errors/_error.html" if is_htmx() else page
    return render_template(template, **context), status, {"Vary": "HX-Request"}


def without_signed_in_user():
    """Answer the rest of this request as for a visitor: Flask-Login would otherwise load the signed-in
    user from the database (in the templates' context, in the headers set after every request). The
    session is left alone, so he is still signed in once the database is back."""
    g.setdefault("_login_user", login_manager.anonymous_user())  # where Flask-Login keeps the request's user


def database_unavailable(error):
    """503 "try again shortly", built without asking the database anything."""
    current_app.logger.warning("database unavailable: %s: %s", type(error).__name__, error)
    without_signed_in_user()
    body, status, headers = error_response(503, page="errors/unavailable.html")
    headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    headers["Cache-Control"] = "no-store"
    return body, status, headers


def init_app(app):
    @app.errorhandler(ServiceError)
    def service_error(error):
        return error_response(error.status, error.message)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_response(400, gettext("This form has expired. Reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.code is None or error.code < 400:
            return error
        description = None if error.code in MESSAGES else error.description
        response = error.get_response()
        body, status, headers = error_response(error.code, description)
        for name in ("Retry-After", "Allow", "WWW-Authenticate"):
            if name in response.headers:
                headers[name] = response.headers[name]
        return body, status, headers

    for database_error in DATABASE_ERRORS:
        app.register_error_handler(database_error, database_unavailable)

    @app.errorhandler(500)
    def internal_error(error):
        # A database error raised after the view (in an after-request hook) arrives here, wrapped.
        if isinstance(getattr(error, "original_exception", None), DATABASE_ERRORS):
            return database_unavailable(error.original_exception)
        return error_response(500)
