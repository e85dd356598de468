"""Errors become pages (or partials for htmx) in one place: never a 500 for what a user can do."""
from flask import render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from webapp.htmx import is_htmx
from webapp.services import ServiceError

TITLES = {
    400: "Bad request",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "Cannot do that now",
    413: "Too large",
    422: "Please check what you entered",
    429: "Too many requests",
    500: "Something went wrong",
}
MESSAGES = {
    400: "The request could not be understood.",
    403: "You do not have access to this page.",
    404: "There is nothing here. Check the address or go back.",
    405: "That action is not available here.",
    413: "That request is too large. A form here needs only a few kilobytes.",
    429: "Too many attempts. Wait a minute and try again.",
    500: "Something went wrong on our side. It has been logged; please try again.",
}


def error_response(status, message=None):
    """The error page, or its partial for htmx (swapped in place of the target)."""
    context = {
        "status": status,
        "title": TITLES.get(status, "Error"),
        "message": message or MESSAGES.get(status, "Error."),
    }
    template = "errors/_error.html" if is_htmx() else "errors/error.html"
    return render_template(template, **context), status, {"Vary": "HX-Request"}


def init_app(app):
    @app.errorhandler(ServiceError)
    def service_error(error):
        return error_response(error.status, error.message)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_response(400, "This form has expired. Reload the page and try again.")

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

    @app.errorhandler(500)
    def internal_error(error):
        return error_response(500)
