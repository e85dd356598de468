"""Who may reach which endpoint: one declaration mechanism, enforced per blueprint.

Every blueprint is made with `audience_blueprint(name, roles=...)`; its views admit those
roles unless a view declares its own with `@allow(...)`. `PUBLIC` admits anyone (login
page, shared links, health). `guard` runs before every request of every blueprint and
fails closed: an endpoint without a declaration answers 403, and a test walks the URL
map so none can be added.
"""
from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_login import current_user

from webapp.htmx import is_htmx

PUBLIC = "public"
ANY_USER = "any-user"  # any logged-in role


def allow(*roles):
    """Declare the roles a view admits (overrides its blueprint's)."""

    def decorate(view):
        view.allowed_roles = frozenset(roles)
        return view

    return decorate


def public(view):
    view.allowed_roles = frozenset({PUBLIC})
    return view


def audience_blueprint(name, import_name, *, roles, **kwargs):
    bp = Blueprint(name, import_name, **kwargs)
    bp.default_roles = frozenset(roles)
    bp.before_request(guard)
    return bp


def declared_roles(endpoint):
    """The roles an endpoint admits, or None when it declares none."""
    app = current_app
    if endpoint == "static":
        return frozenset({PUBLIC})
    view = app.view_functions.get(endpoint)
    if view is None:
        return None
    roles = getattr(view, "allowed_roles", None)
    if roles is not None:
        return roles
    blueprint = app.blueprints.get(endpoint.rpartition(".")[0]) if "." in endpoint else None
    return getattr(blueprint, "default_roles", None)


def guard():
    roles = declared_roles(request.endpoint)
    if roles is None:
        abort(403)
    if PUBLIC in roles:
        return None
    if not current_user.is_authenticated:
        return login_redirect()
    if ANY_USER in roles or current_user.role in roles:
        return None
    abort(403)


def login_redirect():
    """Send an anonymous visitor to the login page (htmx: HX-Redirect, not a 302 into a fragment)."""
    target = url_for("auth.login", next=request.full_path if request.method == "GET" else None)
    if is_htmx():
        response = current_app.response_class(status=401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def set_security_headers(response):
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'",
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    # A page behind a login, or a download, is nobody else's to keep: no browser or proxy caches it.
    # Static files first: asking who is signed in loads the user from the database (down: the 503 page's CSS).
    if request.endpoint != "static" and (
            "attachment" in headers.get("Content-Disposition", "") or current_user.is_authenticated):
        headers["Cache-Control"] = "no-store"
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response
