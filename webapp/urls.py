"""Absolute URLs for links handed to people (invites, shared links), with or without a request."""
from flask import current_app, has_request_context, url_for


def external_url(endpoint, **values):
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        return url_for(endpoint, _external=True, **values)
