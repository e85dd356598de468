"""Staff pages (admin, marketing, support). One module per area registers its views on `bp`."""
from webapp.security import audience_blueprint
from webapp.services import STAFF_ROLES

bp = audience_blueprint("admin", __name__, url_prefix="/staff", roles=STAFF_ROLES)

from webapp.blueprints.admin import billing, customers, day, home, imports, links, orders, products, routes, staff  # noqa: E402,F401  (views register on bp)
from webapp.blueprints.admin import bill_questions  # noqa: E402,F401  (views register on bp)
from webapp.blueprints.admin import audit, exports, reports  # noqa: E402,F401  (views register on bp)
from webapp.blueprints.admin import health  # noqa: E402,F401  (views register on bp)
from webapp.blueprints.admin import payments  # noqa: E402,F401  (views register on bp)
from webapp.blueprints.admin import collections  # noqa: E402,F401  (views register on bp)
