"""The audit browser (admin and support, reading only): who did what to which record, when, from where."""
from flask import request

from webapp import htmx
from webapp.blueprints.admin import bp
from webapp.forms import apply_service_error
from webapp.forms.reports import AuditFilterForm
from webapp.net import current_actor
from webapp.security import allow
from webapp.services import ValidationError, audit

# The page of each kind of record an entry can link to: (endpoint, its id argument).
RECORD_PAGES = {
    "customer": ("admin.customer", "customer_id"),
    "order": ("admin.order", "order_id"),
    "bill": ("admin.billing_bill", "bill_id"),
}


@bp.get("/audit")
@allow("admin", "support")
def audit_log():
    """The audit log, newest first, filtered by who, action, record and dates, a page at a time."""
    form = AuditFilterForm(request.args)
    filters = {name: form[name].data or None for name in ("who", "action", "entity", "entity_id", "first_day",
                                                          "last_day")}
    try:
        page = audit.browse_page(**filters, after=request.args.get("after"), actor=current_actor())
    except ValidationError as error:
        apply_service_error(form, error)
        form.set_choices(*audit.filter_choices(actor=current_actor()))
        return htmx.render("admin/audit/index.html", "admin/audit/_entries.html", form=form, entries=None,
                           next_page=None, filters=filters, record_pages=RECORD_PAGES, status=422)
    form.set_choices(page["actions"], page["entities"])
    return htmx.render("admin/audit/index.html", "admin/audit/_entries.html", form=form, entries=page["entries"],
                       next_page=page["next"], filters=filters, record_pages=RECORD_PAGES)
