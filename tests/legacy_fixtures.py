"""A messy legacy EarlyBird database (the shapes of LEGACY.md), for the import's tests and bench.

`make_legacy_db(db, customers=60, seed=1)` writes every variant: both field spellings, statuses in any case,
missing fields, float rupees (49.99999), a person in both generations (paired by link, by phone, by email),
customers without a login and logins without a customer, orphan and duplicate delivery records, partial
deliveries above what was ordered, billing records and one-time orders billed or never billed.
Everything happens in April 2026; the bench asks for 10,000 customers (about 300,000 delivery records).
Returns the notable legacy ids, so tests can name what each variant must become.
"""
import random
from datetime import date, datetime, timedelta

MONTH = "2026-04"
APRIL = [date(2026, 4, 1) + timedelta(days=n) for n in range(30)]
START = "2026-03-25"
PRODUCTS = [
    {"id": "p-milk", "name": "Milk", "unit": "1 litre", "price": 50.0},
    {"id": "p-curd", "name": "Curd", "default_price": 30.5},  # no unit; the other price spelling
    {"id": "p-paneer", "name": "Paneer", "unit": "200 g", "price": 89.99999},  # a float that rounds
    {"id": "p-bread", "name": "Bread", "unit": "loaf", "price": 40},
]
PRICE = {"p-milk": 50.0, "p-curd": 30.5, "p-paneer": 89.99999, "p-bread": 40.0}
BOYS = [{"id": "b-1", "name": "Ravi", "phone": "9000000001", "area": "Indiranagar"},
        {"id": "b-2", "name": "Suresh", "phone": "+91 90000 00002"},
        {"id": "b-3", "name": "Manoj", "phone": "9000000003", "area": "Koramangala"}]
STAFF = [("u-admin", "admin", "Admin@Example.test"), ("u-mkt", "marketing_staff", "mkt@example.test"),
         ("u-support", "support", "support@example.test"), ("u-intern", "intern", "intern@example.test")]


def _phone(i):
    return f"98{i:08d}"


def _spelled(phone, i):
    """The same number as people typed it."""
    return [phone, f"+91 {phone[:5]} {phone[5:]}", f"0{phone}", f"{phone[:3]}-{phone[3:6]}-{phone[6:]}"][i % 4]


def _status(word, i):
    return [word, word.upper(), word.title()][i % 3]


def _due_days(sub):
    """The April days a generated subscription brings something, and how much (its override), by its own rules."""
    days = {}
    start = date.fromisoformat(START)
    for day in APRIL:
        iso = day.isoformat()
        if any(p["start"] <= iso <= p["end"] for p in sub.get("pauses") or []):
            continue
        mode = sub["mode"].lower()
        hit = (mode == "daily" or (mode == "alternate" and (day - start).days % 2 == 0)
               or (mode == "weekly" and day.weekday() in (0, 2, 4))
               or (mode == "custom" and iso in sub["custom_dates"]))
        qty = next((o["qty"] for o in sub.get("overrides") or [] if o["date"] == iso), None)
        if qty is not None:
            hit = qty > 0
        if hit:
            days[iso] = qty if qty is not None else sub.get("quantity", sub.get("qty"))
    return days


def make_legacy_db(db, *, customers=60, seed=1):
    out = {name: [] for name in ("users", "addresses", "customers_v2", "delivery_boys_v2", "orders", "subscriptions",
                                 "subscriptions_v2", "delivery_statuses", "billing_records")}
    out["by_stop"] = {}  # (customer id, date) → its record, while generating
    notable = {"customers_without_login": [], "login_only": [], "paired": {}, "bad_phone": [], "orphans": [],
               "cancelled_but_delivered": [], "pending_undelivered": [], "status_only": [], "record_only": [],
               "partial_over": [], "billed_orders": [], "unbilled_delivered_orders": [], "billed_customers": [],
               "stale_subscriptions": [], "active_old_subscriptions": []}
    out["delivery_boys_v2"] = [dict(boy) for boy in BOYS]
    created = datetime(2025, 1, 1)
    # A delivery boy in both generations (same phone, spelled otherwise), and one only in users.
    out["users"] += [
        {"id": "u-boy-1", "email": "ravi@example.test", "name": "Ravi K", "phone": "+91 9000000001",
         "role": "delivery_boy", "password_hash": "$2b$12$legacybcrypt", "created_at": created},
        {"id": "u-boy-9", "email": "vijay@example.test", "name": "Vijay", "phone": "9000000009",
         "role": "Delivery_Boy", "password_hash": "$2b$12$legacybcrypt", "created_at": created}]
    out["users"] += [{"id": uid, "email": email, "name": uid, "role": role, "password_hash": "x", "created_at": created}
                     for uid, role, email in STAFF]

    for i in range(customers):
        kind = i % 10
        phone = _phone(i)
        cv2_id, user_id = f"c-{i}", f"u-{i}"
        boy = BOYS[i % 3]["id"]
        if kind != 8:  # a customers_v2 record
            record = {"id": cv2_id, "name": f"Customer {i}", "phone": _spelled(phone, i), "address": f"{i} Lake Road",
                      "status": _status(["active", "trial", "active", "paused"][i % 4], i), "delivery_boy_id": boy,
                      "custom_product_prices": {"p-milk": 47.5} if i % 7 == 0 else {}}
            if i % 5:
                record["area"] = "Indiranagar"  # missing on the others
            if kind == 9 and i % 50 == 9:
                record["phone"] = "12345"  # not a phone number: the customer cannot be imported
                notable["bad_phone"].append(cv2_id)
            if kind == 0:
                record["user_id"] = user_id
            if kind == 3:
                record["email"] = f"customer{i}@example.test"
            out["customers_v2"].append(record)
        if kind in (0, 1, 2, 3, 8):  # a login
            user = {"id": user_id, "email": f"customer{i}@example.test", "name": f"Customer {i}", "role": "customer",
                    "password_hash": "$2b$12$legacybcrypt", "created_at": created}
            if kind != 3:
                user["phone"] = _spelled(phone, i + 1)
            if kind == 1:
                user["customer_v2_id"] = cv2_id
            out["users"].append(user)
            if kind == 8:
                notable["login_only"].append(user_id)
                if i % 20 == 8:
                    out["addresses"].append({"id": f"a-{i}", "user_id": user_id, "address_line": f"{i} Hill Street",
                                             "city": "Bengaluru", "pincode": "560038"})
            else:
                notable["paired"][cv2_id] = user_id
        elif kind != 9 or i % 50 != 9:
            notable["customers_without_login"].append(cv2_id)

        if kind != 8 and not (kind == 9 and i % 50 == 9):
            _subscription(out, notable, i, cv2_id, boy)
        if kind in (0, 1, 2, 3, 8):
            _one_time(out, notable, i, cv2_id, user_id, kind)

    # Old-generation subscriptions: one still active, one long cancelled.
    if customers > 8:
        out["subscriptions"] += [
            {"id": "os-1", "user_id": "u-8", "product_id": "p-bread", "quantity": 1, "frequency": "daily",
             "status": "Active", "start_date": "2026-05-01"},
            {"id": "os-2", "user_id": "u-8", "product_id": "p-milk", "quantity": 2, "status": "cancelled",
             "start_date": "2024-01-01"}]
        notable["active_old_subscriptions"].append("os-1")
        notable["stale_subscriptions"].append("os-2")
    # Orphans: a customer nobody knows, and a day nothing was due for a known one (before any start).
    out["delivery_statuses"] += [
        {"customer_id": "c-ghost", "delivery_date": "2026-04-03", "status": "delivered",
         "delivered_at": datetime(2026, 4, 3, 6, 30)},
        {"customer_id": "c-4", "delivery_date": "2026-03-01", "status": "Delivered",
         "delivered_at": datetime(2026, 3, 1, 6, 30)}]
    notable["orphans"] += ["delivery_statuses:c-ghost:2026-04-03", "delivery_statuses:c-4:2026-03-01"]
    # The same customer and date twice: the second is a duplicate.
    if customers > 5:
        first = next(r for r in out["delivery_statuses"] if r["customer_id"] == "c-5")
        out["delivery_statuses"].append({k: v for k, v in first.items() if k != "id"})
        notable["duplicate"] = f"delivery_statuses:c-5:{first['delivery_date']}"
    out["products"] = [dict(product) for product in PRODUCTS]
    random.Random(seed).shuffle(out["delivery_statuses"])  # the import must not depend on the records' order
    del out["by_stop"]
    for name, docs in out.items():
        if docs:
            db[name].insert_many(docs, ordered=False)
    return notable


def _subscription(out, notable, i, cv2_id, boy):
    mode = ["daily", "daily", "daily", "alternate", "weekly", "custom", "daily"][i % 7]
    sub_id = f"s-{i}"
    qty = 1 + i % 3
    sub = {"id": sub_id, "mode": mode.title() if i % 11 == 0 else mode, "start_date": START,
           "status": _status("active", i), "created_at": datetime(2026, 3, 20)}
    if i % 2:
        sub.update(customerId=cv2_id, productId="p-milk" if i % 3 else "p-paneer", qty=qty)
    else:
        sub.update(customer_id=cv2_id, product_id="p-milk" if i % 3 else "p-paneer", quantity=qty)
    if mode == "weekly":
        sub["weekdays"] = [0, 2, 4] if i % 2 else ["Mon", "Wed", "Fri"]
    if mode == "custom":
        sub["custom_dates"] = ["2026-04-02", "2026-04-09", "2026-04-16", "2026-04-23"]
    if i % 6 == 1:
        sub["overrides"] = [{"date": "2026-04-10", "qty": qty + 2}, {"date": "2026-04-11", "qty": 0}]
    if i % 8 == 2:
        sub["pauses"] = [{"start": "2026-04-20", "end": "2026-04-22"}]
    if i % 13 == 12:
        sub["status"] = "Stopped"
        sub["end_date"] = "2026-04-15"
    out["subscriptions_v2"].append(sub)
    due = _due_days(sub)
    if sub.get("end_date"):
        due = {d: q for d, q in due.items() if d <= sub["end_date"]}
    product = sub.get("product_id") or sub.get("productId")
    for day, q in sorted(due.items()):
        record = {"customer_id": cv2_id, "delivery_date": day, "delivered_at": datetime.fromisoformat(day + "T06:30"),
                  "status": _status("delivered", i + int(day[-2:]))}
        if int(day[-2:]) % 3 == 0:
            record["delivery_boy_id"] = boy  # absent otherwise: confirmed through a public link
        if i % 3 == 0 and int(day[-2:]) % 2 == 0:
            record["subscription_id"] = sub_id
        if int(day[-2:]) == 29 and i % 4 == 1:  # after every one-time order's date
            record["status"] = "not_delivered"
        if int(day[-2:]) == 12 and i % 4 == 2:
            record.update(delivery_type="partial", delivered_products=[{"product_id": product, "quantity": q + 3}])
        out["delivery_statuses"].append(record)
        out["by_stop"][(cv2_id, day)] = record
    if i % 10 == 0:
        total = sum(q * PRICE[product] for q in due.values())
        bill = {"customer_id": cv2_id, "month": MONTH, "items": [{"product_id": product, "quantity": sum(due.values()),
                                                                 "price": PRICE[product], "total": total}],
                "total_amount": total}
        if i % 20 == 0:
            bill["id"] = f"br-{i}"
        out["billing_records"].append(bill)
        notable["billed_customers"].append(cv2_id)


def _one_time(out, notable, i, cv2_id, user_id, kind):
    """One old one-time order per login; how it was (not) delivered and billed depends on the variant."""
    order_id = f"o-{i}"
    day = APRIL[5 + i % 20].isoformat()
    product = "p-paneer" if i % 2 else "p-curd"
    qty = 2
    order = {"id": order_id, "user_id": user_id, "order_type": "one_time",
             "items": [{"product_id": product, "product_name": product[2:].title(), "quantity": qty,
                        "price": PRICE[product], "total": qty * PRICE[product]}],
             "delivery_date": day, "address_id": None, "status": "pending", "created_at": datetime(2026, 3, 30)}
    order["total_amount" if i % 2 else "total"] = qty * PRICE[product]
    record = {"customer_id": cv2_id, "delivery_date": day, "status": "delivered",
              "delivered_at": datetime.fromisoformat(day + "T07:00")}
    if kind != 8:
        # The customer's subscription record of that day (no link) covers this order too; some were billed.
        if i % 20 == 0:
            order.update(status="Delivered", billed=True, billed_month=MONTH, delivery_confirmed=True)
            notable["billed_orders"].append(order_id)
        else:
            notable["unbilled_delivered_orders"].append(order_id)
        same_day = out["by_stop"].get((cv2_id, day))
        if same_day is not None:  # one record per customer and date: it names no order, so it covers both
            same_day.pop("subscription_id", None)
        else:  # the subscription brought nothing that day: the order's own record
            record["order_id"] = order_id
            out["delivery_statuses"].append(record)
        out["orders"].append(order)
        return
    record["customer_id"] = user_id  # a login-only customer: the record names his login
    record["order_id"] = order_id
    variant = (i // 10) % 6
    if variant == 0:  # pending, confirmed only in delivery_statuses
        order["status"] = "Pending"
        out["delivery_statuses"].append(record)
        notable["record_only"].append(order_id)
        notable["unbilled_delivered_orders"].append(order_id)
    elif variant == 1:  # delivered, no record at all
        order["status"] = "DELIVERED"
        notable["status_only"].append(order_id)
        notable["unbilled_delivered_orders"].append(order_id)
    elif variant == 2:  # cancelled, yet a record says delivered: unmatched
        order["status"] = "Cancelled"
        out["delivery_statuses"].append(record)
        notable["cancelled_but_delivered"].append(order_id)
        notable["orphans"].append(f"delivery_statuses:{user_id}:{day}")
    elif variant == 3:  # never delivered
        order["status"] = "out_for_delivery"
        notable["pending_undelivered"].append(order_id)
    elif variant == 4:  # delivered and billed by the old system
        order.update(status="delivered", billed=True, billed_month=MONTH)
        notable["billed_orders"].append(order_id)
    else:  # partial, recording more than was ordered of one product
        record.update(delivery_type="partial", delivered_products=[{"product_id": product, "quantity": qty + 5}])
        out["delivery_statuses"].append(record)
        notable["partial_over"].append(order_id)
        notable["unbilled_delivered_orders"].append(order_id)
    out["orders"].append(order)
