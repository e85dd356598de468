"""The audit browser: filters by who, action, record and dates; pages that continue from the last entry shown;
admin and support only (reading); the customer and order pages link to their own history."""
from datetime import datetime, timedelta, timezone

import pytest

from webapp.services import Actor, Forbidden, ValidationError, audit

START = datetime(2026, 4, 1, 3, 0, tzinfo=timezone.utc)  # 08:30 in Kolkata


def entry(n, *, at, action="order.cancel", entity="order", entity_id=None, actor_id="US-1"):
    return {"at": at, "actor": {"kind": "user", "id": actor_id, "role": "admin", "ip": "10.0.0.1"}, "ip": "10.0.0.1",
            "action": action, "entity": entity, "entity_id": entity_id or f"OR-{n}", "summary": f"entry {n}"}


@pytest.fixture
def reader(make_user):
    return Actor.for_user(make_user("support"))


@pytest.fixture
def log(db):
    """120 entries, 40 per day over three days, several sharing the same instant; every third by US-2 on a
    customer."""
    docs = []
    for n in range(120):
        at = START + timedelta(days=n // 40, minutes=(n % 40) // 4)  # four entries per minute
        if n % 3 == 0:
            docs.append(entry(n, at=at, action="customer.status", entity="customer", entity_id=f"CU-{n}",
                              actor_id="US-2"))
        else:
            docs.append(entry(n, at=at))
    db.audit_log.insert_many(docs)
    return docs


def summaries(entries):
    return [e["summary"] for e in entries]


def test_pages_run_newest_first_without_gaps_or_repeats_through_equal_times(log, reader, db):
    seen, after, pages = [], None, 0
    while True:
        page = audit.browse(after=after, actor=reader)
        seen += page["entries"]
        pages += 1
        after = page["next"]
        if after is None:
            break
    total = db.audit_log.count_documents({})  # the 120 and the reader's own login being created
    assert pages == 3 and len(seen) == total == 121
    assert len({e["_id"] for e in seen}) == total
    keys = [(e["at"], e["_id"]) for e in seen]
    assert keys == sorted(keys, reverse=True)


def test_filters_by_who_action_record_and_days(log, reader, db):
    assert len(audit.browse(who="US-2", actor=reader)["entries"]) == 40
    assert {e["action"] for e in audit.browse(action="order.cancel", actor=reader)["entries"]} == {"order.cancel"}
    only = audit.browse(entity="customer", entity_id="CU-9", actor=reader)["entries"]
    assert summaries(only) == ["entry 9"]
    second_day = audit.browse(first_day="2026-04-02", last_day="2026-04-02", actor=reader)
    assert len(second_day["entries"]) == 40 and second_day["next"] is None
    assert {e["summary"] for e in second_day["entries"]} == {f"entry {n}" for n in range(40, 80)}
    both = audit.browse(who="US-2", first_day="2026-04-03", actor=reader)["entries"]
    assert {e["summary"] for e in both} == {f"entry {n}" for n in range(81, 120, 3)}


def test_who_may_be_a_logins_email(log, reader, db, make_user):
    user = make_user("admin", email="Asha@Example.test")
    db.audit_log.insert_one(entry(999, at=START, actor_id=user["_id"]))
    assert summaries(audit.browse(who="asha@example.test", actor=reader)["entries"]) == ["entry 999"]
    with pytest.raises(ValidationError) as error:
        audit.browse(who="nobody@example.test", actor=reader)
    assert error.value.field == "who"


@pytest.mark.parametrize("filters, field", [({"first_day": "2026-13-01"}, "first_day"),
                                            ({"first_day": "2026-04-03", "last_day": "2026-04-01"}, "last_day"),
                                            ({"after": "not-a-token"}, "after"),
                                            ({"after": "9" * 5000 + "-abc"}, "after")])
def test_bad_filters_are_field_errors(reader, filters, field):
    with pytest.raises(ValidationError) as error:
        audit.browse(**filters, actor=reader)
    assert field in error.value.errors


@pytest.mark.parametrize("role", ["marketing", "delivery_boy", "customer", "supplier"])
def test_only_admin_and_support_browse(make_user, role):
    with pytest.raises(Forbidden):
        audit.browse(actor=Actor.for_user(make_user(role)))


def test_the_page_filters_and_links_to_the_next_page_and_records(client, login_as, log):
    login_as("support")
    page = client.get("/staff/audit?who=US-2")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "entry 117" in body and "entry 1<" not in body
    assert "/staff/customers/CU-117" in body
    assert "Older entries" not in body  # 40 entries: one page
    first = client.get("/staff/audit").get_data(as_text=True)
    assert "Older entries" in first and "after=" in first
    partial = client.get("/staff/audit?action=order.cancel", htmx=True)
    assert partial.status_code == 200 and "<html" not in partial.get_data(as_text=True)
    wrong = client.get("/staff/audit?first_day=someday", htmx=True)
    assert wrong.status_code == 422 and "From must be a date like 2026-01-31." in wrong.get_data(as_text=True)
    damaged = client.get("/staff/audit?after=nonsense")
    assert damaged.status_code == 422 and "This page link is damaged" in damaged.get_data(as_text=True)


@pytest.mark.parametrize("role, expected", [("admin", 200), ("support", 200), ("marketing", 403),
                                            ("customer", 403), ("delivery_boy", 403), ("supplier", 403)])
def test_audit_page_access(client, login_as, role, expected):
    login_as(role)
    assert client.get("/staff/audit").status_code == expected


def test_support_only_reads(client, login_as):
    login_as("support")
    assert client.post("/staff/audit").status_code == 405


def test_customer_and_order_pages_link_to_their_history(client, login_as, make_user, make_product, system):
    from webapp.services import orders

    customer = make_user("customer")
    order = orders.create_one_time_order(customer["customer_id"], [{"product_id": make_product()["_id"], "qty": 1}],
                                         datetime.now(timezone.utc).date() + timedelta(days=3), actor=system)
    login_as("support")
    customer_page = client.get(f"/staff/customers/{customer['customer_id']}").get_data(as_text=True)
    assert f"/staff/audit?entity=customer&amp;entity_id={customer['customer_id']}" in customer_page
    order_page = client.get(f"/staff/orders/{order['_id']}").get_data(as_text=True)
    assert f"/staff/audit?entity=order&amp;entity_id={order['_id']}" in order_page
    login_as("marketing")
    assert "/staff/audit?" not in client.get(f"/staff/customers/{customer['customer_id']}").get_data(as_text=True)
