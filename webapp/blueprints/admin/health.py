"""Data health: the latest run's counts that must be zero, each one's drill-down list (admin and support; read-only
for support), and a run of the checks started by the owner."""
from flask import render_template, url_for

from webapp import htmx
from webapp.blueprints.admin import bp
from webapp.forms.health import HealthRunForm
from webapp.net import current_actor
from webapp.security import allow
from webapp.services import data_health, health_runs


@bp.get("/health")
@allow(*data_health.HEALTH_ROLES)
def health():
    """The latest run's counts, green at zero; while a run is on, htmx asks again every few seconds."""
    return htmx.render("admin/health/checks.html", "admin/health/_checks.html",
                       runs=health_runs.latest(actor=current_actor()), form=HealthRunForm())


@bp.post("/health/run")
@allow(*health_runs.START_ROLES)
def health_run():
    """Start a run of every check in the background (or rejoin the one on), then show the page."""
    form = HealthRunForm()
    if not form.validate():
        return htmx.render("admin/health/checks.html", "admin/health/_checks.html",
                           runs=health_runs.latest(actor=current_actor()), form=form, status=400)
    health_runs.start(actor=current_actor())
    return htmx.redirect_after_post(url_for("admin.health"))


@bp.get("/health/<check>")
@allow(*data_health.HEALTH_ROLES)
def health_check(check):
    """One check's offending records, each with a link to where it is put right."""
    return render_template("admin/health/check.html", check=data_health.drill_down(check, actor=current_actor()))
