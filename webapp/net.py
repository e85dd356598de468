"""Where a request comes from."""
from flask import has_request_context, request


def client_ip():
    """The client address (ProxyFix has already applied trusted X-Forwarded-For)."""
    if not has_request_context():
        return None
    return request.remote_addr or "unknown"
