"""The one full-page-or-partial helper, and the htmx success answer."""
from flask import current_app, redirect, render_template, request


def is_htmx():
    """An htmx request that wants a fragment (not a boosted navigation or a history restore)."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render(page, partial, *, status=200, **context):
    """Render `partial` alone for htmx, else the full `page` (which includes the partial)."""
    body = render_template(partial if is_htmx() else page, **context)
    return body, status, {"Vary": "HX-Request"}


def redirect_after_post(url):
    """Success: htmx gets a 204 with HX-Redirect, a plain form a 303."""
    if is_htmx():
        response = current_app.response_class(status=204)
        response.headers["HX-Redirect"] = url
        response.headers["Vary"] = "HX-Request"
        return response
    return redirect(url, code=303)
