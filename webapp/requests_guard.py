"""What a state-changing request may carry: a browser form, whose every field is a string.

A JSON body or a file part would reach the forms and views as numbers, lists, objects or files, which
no form here is written for; it is refused before any view runs. The one exception is the business logo's
upload: one file part named "logo", in a body a little over the logo's limit (the service checks the file)."""
from flask import request

from webapp.errors import error_response

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The endpoint that takes a file, the one file part it takes, and its body limit (a 200 KB logo and the form).
FILE_UPLOADS = {"admin.business_logo_upload": ("logo", 256 * 1024)}


def refuse_bodies_that_are_not_forms():
    if request.method not in STATE_CHANGING:
        return None
    if request.is_json:
        return error_response(400, "This page takes a form, not JSON.")
    file_field = FILE_UPLOADS.get(request.endpoint, (None, None))[0]
    if request.files and set(request.files) != {file_field}:
        return error_response(400, "This form takes no files.")
    return None


def raise_the_body_limit_of_uploads(endpoint, values):
    """The upload endpoint's own body limit, set before anything (the CSRF check first) reads the body."""
    body_limit = FILE_UPLOADS.get(endpoint, (None, None))[1]
    if body_limit and request.method in STATE_CHANGING:
        request.max_content_length = body_limit


def init_app(app):
    app.url_value_preprocessor(raise_the_body_limit_of_uploads)
    app.before_request(refuse_bodies_that_are_not_forms)
