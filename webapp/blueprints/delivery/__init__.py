"""The delivery boy's pages, phone first. One module per area registers its views on `bp`."""
from webapp.security import audience_blueprint

bp = audience_blueprint("delivery", __name__, url_prefix="/delivery", roles={"delivery_boy"})

from webapp.blueprints.delivery import home, links, round, route  # noqa: E402,F401  (views register on bp)
