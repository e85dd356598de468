"""Data health: counts that must be zero, and each one's drill-down list (admin and support; read-only)."""
from flask import render_template

from webapp import htmx
from webapp.blueprints.admin import bp
from webapp.net import current_actor
from webapp.security import allow
from webapp.services import data_health


@bp.get("/health")
@allow(*data_health.HEALTH_ROLES)
def health():
    """Every data health check with its count, green at zero."""
    return htmx.render("admin/health/checks.html", "admin/health/_checks.html",
                       checks=data_health.run_checks(actor=current_actor()))


@bp.get("/health/<check>")
@allow(*data_health.HEALTH_ROLES)
def health_check(check):
    """One check's offending records, each with a link to where it is put right."""
    return render_template("admin/health/check.html", check=data_health.drill_down(check, actor=current_actor()))
