"""The supplier's pages: what the dairy must procure."""
from flask import render_template

from webapp.security import audience_blueprint

bp = audience_blueprint("supplier", __name__, url_prefix="/supplier", roles={"supplier"})


@bp.get("/")
def home():
    """The supplier's home page."""
    return render_template("supplier/home.html")
