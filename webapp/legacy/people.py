"""People: one customer per person, one login per person, staff and delivery boys.

`customers_v2` and customer-role `users` are paired by an existing link, else by normalised phone, else by
email; a pair becomes one customer with one login. A `customers_v2` record without a login gets one with an
invite (no password); a login without a customer record becomes a customer whose address is to complete.
Delivery boys of `delivery_boys_v2` and `users` merge by phone. Someone already in the app (same phone, or
same email for staff) is merged into that record, never duplicated.
"""
import secrets
from datetime import timedelta

from flask import current_app

from webapp.legacy import reader

STAFF_ROLES = {"admin": "admin", "support": "support", "marketing": "marketing", "marketing_staff": "marketing",
               "supplier": "supplier"}
CUSTOMER_STATUSES = ("trial", "active", "paused", "stopped")
# A hash the app can check (werkzeug's formats); any other legacy hash is dropped and an invite issued instead.
USABLE_HASHES = ("pbkdf2:", "scrypt:")


class People:
    """The app's people as the import sees them: who is there already, who is planned, who maps to whom."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.users_by_email = {}
        self.users_by_phone = {}
        self.customers_by_phone = {}
        for user in ctx.app["users"]:
            self._take_login(user)
        for customer in ctx.app["customers"]:
            self.customers_by_phone[customer["phone"]] = customer
        self.imported_users = {u["legacy_id"]: u for u in ctx.app["users"] if u.get("source") == "legacy"}
        self.imported_customers = {c["legacy_id"]: c for c in ctx.app["customers"] if c.get("source") == "legacy"}

    def _take_login(self, user):
        if user.get("email"):
            self.users_by_email[user["email"]] = user
        if user.get("phone"):
            self.users_by_phone[user["phone"]] = user

    def new_user(self, legacy_collection, legacy_id, *, name, role, email, phone, password_hash=None,
                 customer_id=None):
        ctx = self.ctx
        usable = password_hash if isinstance(password_hash, str) and password_hash.startswith(USABLE_HASHES) else None
        user = ctx.mark({
            "_id": ctx.new_id("US"),
            "email": email if email and email not in self.users_by_email else None,
            "name": name,
            "phone": phone if phone and phone not in self.users_by_phone else None,
            "role": role,
            "password_hash": usable,
            "active": True,
            "customer_id": customer_id,
            "session_epoch": 0,
            "created_at": ctx.now,
            "created_by": ctx.actor.id,
        }, legacy_collection, legacy_id)
        if usable is None:
            # As accounts.create_invite stores it: the customer asks the office for the link (it names this nonce).
            hours = current_app.config["INVITE_MAX_AGE_HOURS"]
            user["invite"] = {"nonce": secrets.token_urlsafe(16), "expires_at": ctx.now + timedelta(hours=hours)}
        self._take_login(user)
        ctx.add("users", user)
        return user


def _name(doc):
    return str(reader.pick(doc, "name", "full_name", default="") or "").strip() or "(no name)"


def plan_delivery_boys(ctx, people):
    """{legacy boy id (delivery_boys_v2 or users): app user id}; the two generations merge by phone."""
    boys = {}

    def place(collection, legacy_id, phone, **fields):
        if legacy_id in people.imported_users:
            boys[legacy_id] = people.imported_users[legacy_id]["_id"]
            ctx.already(collection)
        elif phone and phone in people.users_by_phone:
            boys[legacy_id] = people.users_by_phone[phone]["_id"]
            ctx.report.merged(collection)
        else:
            boys[legacy_id] = people.new_user(collection, legacy_id, role="delivery_boy", phone=phone, **fields)["_id"]
            ctx.report.imported(collection)

    for boy in ctx.legacy["delivery_boys_v2"]:
        place("delivery_boys_v2", boy.get("id"), reader.phone(boy.get("phone")), name=_name(boy), email=None)
    for user in ctx.legacy["users"]:
        if reader.status(user.get("role")) == "delivery_boy":
            place("users", user.get("id"), reader.phone(user.get("phone")), name=_name(user),
                  email=reader.email(user.get("email")), password_hash=user.get("password_hash"))
    return boys


def plan_staff(ctx, people):
    report = ctx.report
    for user in ctx.legacy["users"]:
        role = reader.status(user.get("role"))
        if role in ("customer", "delivery_boy"):
            continue
        legacy_id, email = user.get("id"), reader.email(user.get("email"))
        if role not in STAFF_ROLES:
            report.skip("users", legacy_id, f"unknown role {user.get('role')!r}: no login created")
        elif legacy_id in people.imported_users:
            ctx.already("users")
        elif email and email in people.users_by_email:
            report.merged("users")
        elif not email:
            report.skip("users", legacy_id, "staff login without a valid email address")
        else:
            people.new_user("users", legacy_id, name=_name(user), role=STAFF_ROLES[role], email=email,
                            phone=reader.phone(user.get("phone")), password_hash=user.get("password_hash"))
            report.imported("users")


def _pairs(ctx):
    """[(customers_v2 record, its customer-role users record or None)] and the logins left without one."""
    logins = [user for user in ctx.legacy["users"] if reader.status(user.get("role")) == "customer"]
    by_id = {user.get("id"): user for user in logins}
    by_link = {user["customer_v2_id"]: user for user in logins if user.get("customer_v2_id")}
    by_phone, by_email = {}, {}
    for user in logins:
        by_phone.setdefault(reader.phone(user.get("phone")), user)
        by_email.setdefault(reader.email(user.get("email")), user)
    by_phone.pop(None, None)
    by_email.pop(None, None)
    paired, pairs = set(), []
    for record in ctx.legacy["customers_v2"]:
        candidates = (by_id.get(record.get("user_id")), by_link.get(record.get("id")),
                      by_phone.get(reader.phone(record.get("phone"))), by_email.get(reader.email(record.get("email"))))
        user = next((c for c in candidates if c is not None and id(c) not in paired), None)
        if user is not None:
            paired.add(id(user))
        pairs.append((record, user))
    return pairs, [user for user in logins if id(user) not in paired]


def _merged_or_already(ctx, collection, already):
    """A record found in the app: imported by an earlier run, or merged into someone already there."""
    if already:
        ctx.already(collection)
    else:
        ctx.report.merged(collection)


def _address(record):
    parts = [str(record.get(key) or "").strip() for key in ("address_line", "address", "city", "pincode")]
    return ", ".join(part for part in parts if part)


def plan_customers(ctx, people, boys, products):
    """{"customers_v2": {legacy id: customer}, "users": {legacy users id: customer}}."""
    report, money = ctx.report, ctx.money
    by_cv2, by_user = {}, {}
    pairs, logins_only = _pairs(ctx)

    def new_customer(legacy_collection, legacy_id, user_record, *, name, phone, email, address, area, status,
                     boy_id, prices, to_complete=False):
        customer_id = ctx.new_id("CU")
        if user_record is None:
            user = people.new_user(legacy_collection, legacy_id, name=name, role="customer", email=email, phone=phone,
                                   customer_id=customer_id)
        else:
            user = people.new_user("users", user_record.get("id"), name=name, role="customer", email=email,
                                   phone=phone, password_hash=user_record.get("password_hash"),
                                   customer_id=customer_id)
        customer = ctx.mark({
            "_id": customer_id, "name": name, "name_key": name.casefold(), "phone": phone, "email": user["email"],
            "address": address, "area": area, "delivery_boy_id": boy_id, "stop": None, "status": status,
            "custom_prices": prices, "user_id": user["_id"], "created_at": ctx.now, "updated_at": ctx.now,
        }, legacy_collection, legacy_id)
        if to_complete:
            customer["address_to_complete"] = True
        people.customers_by_phone[phone] = customer
        ctx.add("customers", customer)
        return customer

    for record, user in pairs:
        legacy_id = record.get("id")
        phone = reader.phone(record.get("phone")) or reader.phone((user or {}).get("phone"))
        found = people.imported_customers.get(legacy_id) or people.customers_by_phone.get(phone)
        if found is not None:
            by_cv2[legacy_id] = found
            _merged_or_already(ctx, "customers_v2", legacy_id in people.imported_customers)
            if user is not None:
                by_user[user.get("id")] = found
                _merged_or_already(ctx, "users", legacy_id in people.imported_customers)
            continue
        if phone is None:
            report.skip("customers_v2", legacy_id, "no valid phone number (a customer needs one)")
            if user is not None:
                logins_only.append(user)
            continue
        prices = {}
        for legacy_product, rupees in (record.get("custom_product_prices") or {}).items():
            product = products.get(legacy_product)
            paise = money.paise(rupees, "customers_v2", legacy_id, f"custom_product_prices.{legacy_product}")
            if product is not None and paise and paise > 0:
                prices[product["_id"]] = paise
        status = reader.status(record.get("status"))
        email = reader.email(record.get("email")) or reader.email((user or {}).get("email"))
        by_cv2[legacy_id] = new_customer(
            "customers_v2", legacy_id, user, name=_name(record), phone=phone, email=email,
            address=str(record.get("address") or "").strip(), area=str(record.get("area") or "").strip(),
            status=status if status in CUSTOMER_STATUSES else "active", boy_id=boys.get(record.get("delivery_boy_id")),
            prices=prices)
        report.imported("customers_v2")
        if user is not None:
            by_user[user.get("id")] = by_cv2[legacy_id]
            report.merged("users")

    addresses = {}
    for address in ctx.legacy["addresses"]:
        if address.get("user_id") in addresses:
            report.skip("addresses", address.get("id"), "another address of the same login (the first is kept)")
        else:
            addresses[address.get("user_id")] = address
    for user in logins_only:
        legacy_id, phone = user.get("id"), reader.phone(user.get("phone"))
        found = people.imported_customers.get(legacy_id) or people.customers_by_phone.get(phone)
        if found is not None:
            by_user[legacy_id] = found
            _merged_or_already(ctx, "users", legacy_id in people.imported_customers)
        elif phone is None:
            report.skip("users", legacy_id, "customer login without a customer record or a valid phone number")
        else:
            address = addresses.pop(legacy_id, None) or {}
            if address:
                report.merged("addresses")
            by_user[legacy_id] = new_customer(
                "users", legacy_id, user, name=_name(user), phone=phone, email=reader.email(user.get("email")),
                address=_address(address), area=str(address.get("area") or "").strip(), status="active", boy_id=None,
                prices={}, to_complete=True)
            report.imported("users")
    for address in addresses.values():
        report.skip("addresses", address.get("id"), "not needed: its customer's address comes from customers_v2, "
                                                    "or the login was not imported")
    return {"customers_v2": by_cv2, "users": by_user}


def plan(ctx, products):
    people = People(ctx)
    for name in ("users", "customers_v2", "delivery_boys_v2", "addresses"):
        ctx.report.read(name, len(ctx.legacy[name]))
    boys = plan_delivery_boys(ctx, people)
    plan_staff(ctx, people)
    return plan_customers(ctx, people, boys, products), boys
