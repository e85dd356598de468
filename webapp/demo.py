"""The demo business seeded by `make run` on first run, through the services like any user.

Every step calls service entry points, so every record comes with its audit entries, each change
one unit of work of the system actor "seed-demo". STEPS run in order, each given that actor and
the shared `context` dict (ids created by earlier steps).
"""
from datetime import timedelta

from webapp import clock
from webapp.db import get_db
from webapp.services import (
    Actor, accounts, bill_builder, bill_queries, billing, catalog, customers, deliveries, health_runs, links, orders,
    pause_requests, payments, rounds, schedule, uow,
)

DEMO_PASSWORD = "earlybird-demo"
# (role, login, name): every login printed by `make run`; later steps add theirs here.
DEMO_LOGINS = [
    ("admin", "admin@earlybird.test", "Asha Admin"),
    ("marketing", "marketing@earlybird.test", "Manoj Marketing"),
    ("support", "support@earlybird.test", "Sunita Support"),
    ("supplier", "supplier@earlybird.test", "Shree Dairy Supplier"),
    ("delivery_boy", "raju@earlybird.test", "Raju Delivery"),
    ("delivery_boy", "somu@earlybird.test", "Somu Delivery"),
    ("delivery_boy", "imran@earlybird.test", "Imran Delivery"),
    ("customer", "customer@earlybird.test", "Kavya Customer"),
]


DEMO_PRODUCTS = [  # (name, unit, price in paise)
    ("Milk 500 ml", "500 ml packet", 3200),
    ("Milk 1 l", "1 l packet", 6200),
    ("Curd", "400 g cup", 4500),
    ("Paneer", "200 g pack", 9500),
    ("Bread", "400 g loaf", 4500),
    ("Ghee", "500 ml jar", 34000),
    ("Flavoured milk", "200 ml bottle", 2500),  # discontinued: old orders still show it
]
DEMO_AREAS = ["Indiranagar", "Koramangala", "HSR Layout"]
FIRST_NAMES = ["Aarav", "Priya", "Rahul", "Lakshmi", "Vikram", "Ananya", "Suresh", "Deepa", "Karthik", "Meera",
               "Arjun", "Divya", "Naveen", "Pooja", "Ramesh", "Shalini", "Ganesh", "Nandini", "Harish", "Rekha"]
SURNAMES = ["Sharma", "Iyer", "Reddy", "Nair", "Gowda", "Rao", "Menon", "Kumar", "Shetty", "Pillai"]


def seed_staff(actor, context):
    """Every login of DEMO_LOGINS but the customer's, with the demo password."""
    users = {}
    for role, email, name in DEMO_LOGINS:
        if role == "customer":
            continue  # created with his customer record by seed_catalog_and_customers
        users[role] = accounts.create_user(email, name, role, password=DEMO_PASSWORD, actor=actor)
    context["users"] = users


def seed_catalog_and_customers(actor, context):
    """The catalogue, 20 customers on each delivery boy's route (one area each), a few signed up and waiting
    for a delivery boy, and the demo customer login."""
    products = {}
    for name, unit, price in DEMO_PRODUCTS:
        products[name] = catalog.create_product(name, unit, price, actor=actor)
    products["Flavoured milk"] = catalog.set_status(products["Flavoured milk"]["_id"], "discontinued", actor=actor)
    boys = accounts.delivery_boys()
    demo_customer = next((email, name) for role, email, name in DEMO_LOGINS if role == "customer")
    statuses = ["active"] * 8 + ["paused", "trial"]
    created = []
    for n in range(60):
        area_index = n % len(DEMO_AREAS)
        first, surname = FIRST_NAMES[n % 20], SURNAMES[(n * 7 + n // 20) % 10]
        name, email = (demo_customer[1], demo_customer[0]) if n == 0 else (f"{first} {surname}", None)
        prices = {products["Milk 500 ml"]["_id"]: 3000} if n % 9 == 4 else None
        customer, _ = customers.create_customer(
            name, f"98450{n:05d}", f"#{10 + n}, Cross Road {n % 12 + 1}",
            DEMO_AREAS[area_index], delivery_boy_id=boys[area_index % len(boys)]["_id"] if boys else None,
            email=email, status="stopped" if n == 59 else statuses[n % len(statuses)], custom_prices=prices,
            actor=actor,
        )
        created.append(customer)
    accounts.set_password_for_demo(created[0]["user_id"], DEMO_PASSWORD, actor=actor)
    for n, (name, area) in enumerate([("Farhan Ali", "Koramangala"), ("Sneha Kulkarni", "")]):
        user = customers.sign_up(name, f"98451{n:05d}", f"Flat {n + 3}B, Lake View Apartments", DEMO_PASSWORD,
                                 area=area)
        created.append(customers.get_customer(user["customer_id"]))
    context["products"] = products
    context["delivery_boys"] = boys
    context["customers"] = created


def seed_orders(actor, context):
    """Subscriptions (daily, alternate, weekly) begun about five weeks ago for most customers, a few
    per-date changes, and one-time orders around today, past ones included."""
    today = clock.today()
    products = [p for p in context.get("products", {}).values() if p.get("status") == "active"]
    buyers = [c for c in context.get("customers", []) if c.get("status") != "stopped"]
    patterns = [{"kind": "daily"}, {"kind": "daily"}, {"kind": "alternate"},
                {"kind": "weekly", "weekdays": [0, 2, 4]}]
    subscriptions, one_time = [], []
    if not products:
        context["subscriptions"], context["one_time_orders"] = subscriptions, one_time
        return
    for n, customer in enumerate(buyers):
        if n % 7 == 6:
            continue  # a few customers only order now and then
        items = [{"product_id": products[0]["_id"], "qty": 1 + n % 2}]
        if n % 3 == 0 and len(products) > 1:
            items.append({"product_id": products[1]["_id"], "qty": 1})
        start = today - timedelta(days=35 - n % 3)
        subscriptions.append(orders.create_subscription(customer["_id"], items, patterns[n % 4], start,
                                                        actor=actor))
    if subscriptions:
        orders.pause(subscriptions[0]["_id"], today + timedelta(days=3), today + timedelta(days=6),
                     reason="Family trip", actor=actor)
    if len(subscriptions) > 1:
        first = subscriptions[1]["items"][0]
        orders.set_quantity(subscriptions[1]["_id"], today + timedelta(days=2),
                            [{"product_id": first["product_id"], "qty": first["qty"] + 1}], actor=actor)
    extra = products[min(2, len(products) - 1)]
    for n, offset in enumerate((-12, -4, 0, 1, 3)):
        if not buyers:
            break
        customer = buyers[(n * 3 + 1) % len(buyers)]
        one_time.append(orders.create_one_time_order(
            customer["_id"], [{"product_id": extra["_id"], "qty": 1 + n % 3}], today + timedelta(days=offset),
            actor=actor))
    context["subscriptions"], context["one_time_orders"] = subscriptions, one_time


def seed_deliveries(actor, context):
    """Confirm every delivery from the first order's start through yesterday, through deliveries.confirm
    like any confirmation: most in full, every 11th partly, every 23rd not delivered (today stays to do)."""
    placed = context.get("subscriptions", []) + context.get("one_time_orders", [])
    starts = [clock.parse_day(o.get("start_date") or o["delivery_date"]) for o in placed]
    yesterday = clock.today() - timedelta(days=1)
    if not starts or min(starts) > yesterday:
        return
    count = 0

    def confirm_day(day, count):
        """A day's confirmations, inside one unit of work (each confirm joins it: one commit a day, not one a
        stop); returns the confirmations counted so far."""
        for order, due in rounds.due_for(day):
            count += 1
            delivered, reason = None, None
            if count % 23 == 0:
                delivered, reason = {}, ("door_locked", "refused", "out_of_stock")[count % 3]
            elif count % 11 == 0:
                product_id, qty = next(iter(sorted(due.items())))
                delivered = {**due, product_id: qty - 1}
                reason = None if sum(delivered.values()) else "out_of_stock"
            deliveries.confirm(order["_id"], day, delivered, reason=reason, actor=actor)
        return count

    for day in schedule.days_between(min(starts), yesterday):
        count = uow.run(actor, lambda u, day=day, count=count: confirm_day(day, count))
    context["deliveries_confirmed"] = count


def seed_links(actor, context):
    """A live link to the first delivery boy's round today, and a pause request sent through it."""
    boys = context.get("delivery_boys") or []
    if not boys:
        return
    today = clock.today()
    link = links.create_round_link(boys[0]["_id"], today, actor=actor)
    context["round_link_url"] = links.link_url(link)
    stops = rounds.round_for(boys[0]["_id"], today)
    if stops:
        pause_requests.request_pause(links.token_for(link), stops[-1]["customer"]["_id"], today + timedelta(days=8),
                                     today + timedelta(days=10), "Visiting family", ip="127.0.0.1")


def seed_bills(actor, context):
    """Bill last month and record a few payments (full, part, UPI), so bills show every status."""
    month = bill_builder.previous_month(clock.month_of(clock.today()))
    billing.run_month(month, actor=actor)
    bills = bill_queries.list_bills(month, actor=actor)
    for n, bill in enumerate(bills[:6]):
        amount = bill["total_paise"] if n % 2 == 0 else bill["total_paise"] // 2
        if amount > 0:
            payments.record_payment(bill["customer_id"], amount, ("cash", "upi", "bank")[n % 3],
                                   reference=None if n % 3 == 0 else f"DEMO-{n:03d}", actor=actor)
    context["bills"] = bills


def seed_health(actor, context):
    """A first run of the data health checks, as the nightly command would leave it, for the morning page."""
    context["health_run"] = health_runs.run_now(actor=actor)


STEPS = [seed_staff, seed_catalog_and_customers, seed_orders, seed_deliveries, seed_links, seed_bills, seed_health]


def seed_if_empty():
    """Seed once: only when there is no login at all. Returns True if it seeded."""
    if get_db().users.estimated_document_count():
        return False
    actor = Actor.system("seed-demo")
    context = {}
    for step in STEPS:
        step(actor, context)
    return True


def logins_text():
    rows = [f"  {role:<13} {email:<32} {DEMO_PASSWORD}" for role, email, _ in DEMO_LOGINS]
    return "Demo logins (open http://127.0.0.1:5000):\n" + "\n".join(rows)
