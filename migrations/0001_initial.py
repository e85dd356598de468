"""Every index the design implies. Each collection's entries belong to the area that owns it."""
from pymongo import ASCENDING as ASC
from pymongo import DESCENDING as DESC
from pymongo import IndexModel

STRING = {"$type": "string"}

INDEXES = {
    "users": [
        IndexModel([("email", ASC)], name="email_unique", unique=True, partialFilterExpression={"email": STRING}),
        IndexModel([("phone", ASC)], name="phone_unique", unique=True, partialFilterExpression={"phone": STRING}),
        IndexModel([("customer_id", ASC)], name="customer_unique", unique=True,
                   partialFilterExpression={"customer_id": STRING}),
        IndexModel([("role", ASC), ("name", ASC)], name="role_name"),
    ],
    "customers": [
        IndexModel([("phone", ASC)], name="phone_unique", unique=True),
        IndexModel([("user_id", ASC)], name="user_unique", unique=True, partialFilterExpression={"user_id": STRING}),
        IndexModel([("delivery_boy_id", ASC), ("stop", ASC)], name="route"),
        IndexModel([("area", ASC), ("name_key", ASC)], name="area_name"),
        IndexModel([("name_key", ASC)], name="name_key"),
        IndexModel([("status", ASC)], name="status"),
    ],
    "products": [
        IndexModel([("name_key", ASC)], name="name_unique", unique=True),
    ],
    "orders": [
        IndexModel([("customer_id", ASC), ("kind", ASC), ("status", ASC)], name="customer_kind_status"),
        IndexModel([("kind", ASC), ("delivery_date", ASC)], name="kind_delivery_date"),
        IndexModel([("kind", ASC), ("status", ASC)], name="kind_status"),
    ],
    "change_requests": [
        IndexModel([("customer_id", ASC), ("date", ASC), ("status", ASC)], name="customer_date_status"),
        IndexModel([("status", ASC), ("date", DESC)], name="status_date"),
    ],
    "area_skips": [
        # One active skip per (date, area): `active_key` is unset when the skip is taken back.
        IndexModel([("active_key", ASC)], name="active_unique", unique=True,
                   partialFilterExpression={"active_key": STRING}),
        IndexModel([("date", ASC)], name="date"),
    ],
    "deliveries": [
        IndexModel([("order_id", ASC), ("date", ASC)], name="order_date_unique", unique=True),
        IndexModel([("date", ASC), ("delivery_boy_id", ASC)], name="date_boy"),
        IndexModel([("month", ASC), ("customer_id", ASC)], name="month_customer"),
        IndexModel([("customer_id", ASC), ("date", ASC)], name="customer_date"),
    ],
    "bills": [
        # Each delivery is billed exactly once: a multikey unique index is unique across documents.
        # Partial, so bills without delivery lines do not collide on a null key.
        IndexModel([("customer_id", ASC), ("lines.delivery_id", ASC)], name="delivery_billed_once", unique=True,
                   partialFilterExpression={"lines.delivery_id": {"$exists": True}}),
        IndexModel([("month", ASC), ("customer_id", ASC)], name="month_customer"),
        # A customer's first bill of a month is the regular one; later ones are supplementary.
        IndexModel([("customer_id", ASC), ("month", ASC)], name="regular_once", unique=True,
                   partialFilterExpression={"kind": "regular"}),
        IndexModel([("customer_id", ASC), ("issued_at", ASC)], name="customer_issued"),
        IndexModel([("status", ASC), ("due_date", ASC)], name="status_due"),
    ],
    "payments": [
        IndexModel([("customer_id", ASC), ("received_on", ASC)], name="customer_received"),
        IndexModel([("customer_id", ASC), ("method", ASC), ("reference", ASC)], name="reference_unique",
                   unique=True, partialFilterExpression={"reference": STRING}),
        # A double-submitted payment form carries the same hidden submission_id: one payment.
        IndexModel([("submission_id", ASC)], name="submission_unique", unique=True,
                   partialFilterExpression={"submission_id": STRING}),
    ],
    "adjustments": [
        IndexModel([("customer_id", ASC), ("bill_id", ASC)], name="customer_bill"),
        IndexModel([("bill_id", ASC)], name="bill"),
    ],
    "jobs": [
        # One running job per key (e.g. "bill-month:2026-03"): a month's run is not started twice.
        IndexModel([("running_key", ASC)], name="running_unique", unique=True,
                   partialFilterExpression={"running_key": STRING}),
        IndexModel([("kind", ASC), ("started_at", DESC)], name="kind_started"),
    ],
    "shared_links": [
        IndexModel([("scope", ASC), ("delivery_boy_id", ASC), ("date", ASC)], name="round"),
        IndexModel([("expires_at", ASC)], name="expires_at"),
    ],
    "pause_requests": [
        # Asking twice for the same pause while it waits is asking once.
        IndexModel([("customer_id", ASC), ("first_day", ASC), ("last_day", ASC)], name="pending_once",
                   unique=True, partialFilterExpression={"status": "PENDING"}),
        IndexModel([("status", ASC), ("created_at", ASC)], name="status_created"),
    ],
    "billing_guards": [
        IndexModel([("month", ASC)], name="month"),
    ],
    "audit_log": [
        IndexModel([("entity", ASC), ("entity_id", ASC), ("at", DESC)], name="entity_at"),
        IndexModel([("at", DESC)], name="at"),
        IndexModel([("actor.id", ASC), ("at", DESC)], name="actor_at"),
    ],
}


def up(db):
    for collection, models in INDEXES.items():
        db[collection].create_indexes(models)


def down(db):
    for collection, models in INDEXES.items():
        existing = db[collection].index_information()
        for model in models:
            name = model.document["name"]
            if name in existing:
                db[collection].drop_index(name)
