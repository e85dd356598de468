"""The customer's own pages. One module per area registers its views on `bp`."""
from webapp.security import audience_blueprint

bp = audience_blueprint("customer", __name__, url_prefix="/me", roles={"customer"})

from webapp.blueprints.customer import bills, calendar, home, orders, profile  # noqa: E402,F401  (views register on bp)
from webapp.blueprints.customer import bill_questions, receipts  # noqa: E402,F401  (views register on bp)
