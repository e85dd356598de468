"""Pages opened through signed shared links, without an account."""
from webapp.security import PUBLIC, audience_blueprint

bp = audience_blueprint("links", __name__, url_prefix="/l", roles={PUBLIC})
