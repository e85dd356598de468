"""PDF documents (bills, receipts, statements) from the same templates as their pages, by WeasyPrint.

WeasyPrint fetches the stylesheets and images a page names; here it may read only this app's static
files, never the network or any other path (a page's URLs are not trusted to stay local).
"""
import mimetypes
import os
from urllib.parse import urlsplit

from flask import current_app, make_response, render_template, request
from werkzeug.security import safe_join


def _static_fetcher(app):
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    static_prefix = app.static_url_path.rstrip("/") + "/"

    class StaticOnly(URLFetcher):
        def fetch(self, url, headers=None):
            path = "/" + urlsplit(url).path.lstrip("/")
            filename = safe_join(app.static_folder, path[len(static_prefix):]) if path.startswith(static_prefix) else None
            if filename is None or not os.path.isfile(filename):
                raise ValueError(f"PDFs may only use this app's static files, not {url!r}")
            with open(filename, "rb") as file:
                body = file.read()
            return URLFetcherResponse(url, body, {"Content-Type": mimetypes.guess_type(filename)[0] or "application/octet-stream"})

    return StaticOnly()


def render_pdf(html):
    """The PDF bytes of one rendered page (its text stays text: searchable and copyable)."""
    from weasyprint import HTML  # imported on first use: it loads Pango, which a page view never needs

    app = current_app._get_current_object()
    return HTML(string=html, base_url=request.host_url, url_fetcher=_static_fetcher(app)).write_pdf()


def pdf_response(template_name, filename, **context):
    """A PDF download of `template_name` rendered with `context` (and `pdf=True`, for templates that
    leave out buttons and forms on paper)."""
    response = make_response(render_pdf(render_template(template_name, pdf=True, **context)))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
