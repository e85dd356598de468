"""What a state-changing request may carry: a browser form, whose every field is a string.

A JSON body or a file part would reach the forms and views as numbers, lists, objects or files, which
no form here is written for; it is refused before any view runs."""
from flask import request

from webapp.errors import error_response

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def refuse_bodies_that_are_not_forms():
    if request.method not in STATE_CHANGING:
        return None
    if request.is_json:
        return error_response(400, "This page takes a form, not JSON.")
    if request.files:
        return error_response(400, "This form takes no files.")
    return None


def init_app(app):
    app.before_request(refuse_bodies_that_are_not_forms)
