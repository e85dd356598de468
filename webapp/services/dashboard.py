"""What each home page shows first: what needs attention today (reads only)."""
from datetime import timedelta

from webapp import clock
from webapp.db import get_db
from webapp.services import STAFF_ROLES, NotFound, catalog, payments, rounds


def staff_summary(*, actor):
    """Counts for the staff home page, each a link to the page where it is dealt with."""
    actor.require(*STAFF_ROLES)
    db = get_db()
    today = clock.iso(clock.today())
    return {
        "customers": db.customers.count_documents({"status": {"$in": ["active", "trial"]}}),
        "waiting_for_route": db.customers.count_documents({"status": {"$ne": "stopped"}, "delivery_boy_id": None}),
        "confirmed_today": db.deliveries.count_documents({"date": today}),
        "pause_requests": db.pause_requests.count_documents({"status": "PENDING"}),
        "late_requests": db.change_requests.count_documents({"status": "OPEN", "date": {"$gte": today}}),
        "overdue_bills": db.bills.count_documents({"status": {"$ne": "PAID"}, "due_date": {"$lt": today}}),
    }


def customer_summary(*, actor):
    """For a customer's home page: what arrives tomorrow, and what he owes."""
    if not actor.has_role("customer") or not actor.customer_id:
        raise NotFound("No such customer.")
    tomorrow = clock.today() + timedelta(days=1)
    arriving = {}
    for _, quantities in rounds.due_for(tomorrow, [actor.customer_id]):
        for product_id, qty in quantities.items():
            arriving[product_id] = arriving.get(product_id, 0) + qty
    products = catalog.products_by_id(arriving)
    return {
        "tomorrow": tomorrow,
        "arriving": [(products[product_id], qty) for product_id, qty in sorted(arriving.items())],
        "balance_paise": payments.customer_balance(actor.customer_id),
    }
