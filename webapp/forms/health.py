"""The data health page's one form: check again (nothing to fill in; its CSRF token is the point)."""
from webapp.forms import FlaskForm


class HealthRunForm(FlaskForm):
    """Start a run of the data health checks: the button is the decision."""
