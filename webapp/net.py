"""Where a request comes from, and who sends it."""
from flask import has_request_context, request
from flask_login import current_user

from webapp.services import Actor


def client_ip():
    """The client address (ProxyFix has already applied trusted X-Forwarded-For)."""
    if not has_request_context():
        return None
    return request.remote_addr or "unknown"


def current_actor():
    """The signed-in user as the actor of the service calls this request makes."""
    return Actor.for_user(current_user, ip=client_ip())
