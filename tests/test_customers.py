"""Issue 3: the one customer master — service rules."""
from datetime import datetime

import pytest

from tests.faults import assert_all_or_nothing
from webapp import clock
from webapp.db import get_db
from webapp.services import Actor, Conflict, Forbidden, NotFound, ValidationError, accounts, customers, orders


def create(system, name="Ravi Kumar", phone="9876543210", **kwargs):
    return customers.create_customer(name, phone, kwargs.pop("address", "12 Lake Road"),
                                     kwargs.pop("area", "Indiranagar"), actor=system, **kwargs)


def counts():
    return get_db().customers.count_documents({}), get_db().users.count_documents({})


def test_create_makes_customer_and_login_linked_both_ways_with_an_invite(system):
    customer, invite_url = create(system, email="Ravi@Example.test")
    user = accounts.get_user(customer["user_id"])
    assert customer["_id"].startswith("CU-") and user["_id"].startswith("US-")
    assert user["customer_id"] == customer["_id"] and user["role"] == "customer"
    assert user["password_hash"] is None  # no default password ever
    assert user["phone"] == customer["phone"] == "9876543210" and user["email"] == "ravi@example.test"
    assert customer["name_key"] == "ravi kumar" and customer["status"] == "active"
    assert "/auth/invite/" in invite_url
    assert get_db().audit_log.find_one({"action": "customer.create", "entity_id": customer["_id"]})


def test_invite_lets_the_customer_choose_a_password_and_sign_in(system):
    customer, invite_url = create(system)
    accounts.accept_invite(invite_url.rsplit("/", 1)[1], "milk-every-day")
    assert accounts.authenticate("9876543210", "milk-every-day")["customer_id"] == customer["_id"]


@pytest.mark.parametrize("field,kwargs", [
    ("phone", {"phone": "12345"}),
    ("phone", {"phone": "5876543210"}),
    ("name", {"name": "   "}),
    ("address", {"address": ""}),
    ("email", {"email": "not-an-email"}),
    ("status", {"status": "gone"}),
    ("custom_prices", {"custom_prices": {"PR-0001": -5}}),
    ("custom_prices", {"custom_prices": {"PR-0001": "abc"}}),
    ("custom_prices", {"custom_prices": {"PR-9999": 100}}),
    ("stop", {"stop": "first"}),
    ("delivery_boy_id", {"delivery_boy_id": "US-nobody"}),
])
def test_bad_input_is_a_field_error_and_nothing_is_written(system, make_product, field, kwargs):
    make_product()
    with pytest.raises(ValidationError) as caught:
        create(system, **kwargs)
    assert field in caught.value.errors
    assert counts() == (0, 0)


def test_duplicate_phone_is_refused_on_the_phone_field(system):
    create(system)
    before = counts()
    with pytest.raises(ValidationError) as caught:
        create(system, name="Someone Else", phone="+91 98765-43210")
    assert caught.value.field == "phone"
    assert counts() == before


def test_duplicate_email_is_refused_on_the_email_field(system, make_user):
    staff = make_user("support")
    before = counts()
    with pytest.raises(ValidationError) as caught:
        create(system, email=staff["email"].upper())
    assert caught.value.field == "email"
    assert counts() == before


@pytest.mark.parametrize("role", ["delivery_boy", "customer", "supplier"])
def test_only_staff_create_customers(make_user, role):
    with pytest.raises(Forbidden):
        create(Actor.for_user(make_user(role)))


@pytest.mark.parametrize("role", ["admin", "marketing", "support"])
def test_every_staff_role_creates_customers(make_user, role):
    customer, _ = create(Actor.for_user(make_user(role)))
    assert get_db().customers.find_one({"_id": customer["_id"]})


def test_custom_prices_are_paise_per_product(system, make_product):
    milk = make_product("Milk", price_paise=3000)
    curd = make_product("Curd", price_paise=4500)
    customer, _ = create(system, custom_prices={milk["_id"]: 2800, curd["_id"]: ""})
    assert customer["custom_prices"] == {milk["_id"]: 2800}
    assert customers.unit_price(customer, milk) == 2800 and customers.unit_price(customer, curd) == 4500
    saved = customers.set_custom_prices(customer["_id"], {curd["_id"]: 4000}, actor=system)
    assert saved["custom_prices"] == {curd["_id"]: 4000}
    entry = get_db().audit_log.find_one({"action": "customer.prices"})
    assert entry["changes"]["custom_prices"]["before"] == {milk["_id"]: 2800}


def test_sign_up_makes_a_trial_customer_without_delivery_boy(db):
    user = customers.sign_up("Meena Iyer", "9000011111", "4 Temple Street", "my-own-password", ip="10.0.0.9")
    customer = customers.get_customer(user["customer_id"])
    assert customer["status"] == "trial" and customer["delivery_boy_id"] is None and customer["stop"] is None
    assert accounts.authenticate("9000011111", "my-own-password")["_id"] == user["_id"]
    entry = get_db().audit_log.find_one({"action": "customer.signup"})
    assert entry["actor"]["id"] == user["_id"] and entry["ip"] == "10.0.0.9"


def test_sign_up_with_a_taken_phone_or_short_password_writes_nothing(system):
    create(system)
    before = counts()
    # A taken phone is answered like a new sign-up (no hint that the number has an account): nothing but an audit entry.
    assert customers.sign_up("Meena", "9876543210", "4 Temple Street", "quiet-river-meadow-7") is None
    assert get_db().audit_log.count_documents({"action": "customer.signup_taken"}) == 1
    with pytest.raises(ValidationError) as caught:
        customers.sign_up("Meena", "9000011111", "4 Temple Street", "short")
    assert "password" in caught.value.errors
    assert counts() == before


def test_staff_edit_updates_customer_and_login_and_audits_before_after(system):
    customer, _ = create(system)
    customers.update_customer(customer["_id"], "Ravi K", "9123456780", "5 New Road", "Koramangala",
                              email="ravi@example.test", actor=system)
    saved = customers.get_customer(customer["_id"])
    assert (saved["name"], saved["name_key"], saved["area"]) == ("Ravi K", "ravi k", "Koramangala")
    user = accounts.get_user(customer["user_id"])
    assert (user["name"], user["phone"], user["email"]) == ("Ravi K", "9123456780", "ravi@example.test")
    entry = get_db().audit_log.find_one({"action": "customer.update"})
    assert entry["changes"]["phone"] == {"before": "9876543210", "after": "9123456780"}


def test_edit_onto_a_taken_phone_changes_nothing(system):
    first, _ = create(system)
    second, _ = create(system, name="Other", phone="9123456780")
    with pytest.raises(ValidationError) as caught:
        customers.update_customer(second["_id"], "Renamed", first["phone"], "x", "y", actor=system)
    assert caught.value.field == "phone"
    assert customers.get_customer(second["_id"])["name"] == "Other"
    assert accounts.get_user(second["user_id"])["name"] == "Other"


def test_status_change_is_checked_and_audited(system):
    customer, _ = create(system)
    with pytest.raises(ValidationError):
        customers.set_status(customer["_id"], "deleted", actor=system)
    customers.set_status(customer["_id"], "paused", actor=system)
    assert customers.get_customer(customer["_id"])["status"] == "paused"
    assert get_db().audit_log.find_one({"action": "customer.status"})["changes"]["status"]["before"] == "active"
    with pytest.raises(NotFound):
        customers.set_status("CU-nope", "paused", actor=system)


def test_customer_changes_only_his_own_address_and_phone(make_user):
    me = make_user("customer")
    other = make_user("customer")
    actor = Actor.for_user(me)
    assert customers.own_profile(actor=actor)["_id"] == me["customer_id"]
    customers.update_own_profile("9 Hill View", "9111122222", actor=actor)
    mine = customers.get_customer(me["customer_id"])
    assert (mine["address"], mine["phone"]) == ("9 Hill View", "9111122222")
    assert accounts.get_user(me["_id"])["phone"] == "9111122222"
    assert customers.get_customer(other["customer_id"])["phone"] == other["phone"]
    with pytest.raises(ValidationError) as caught:
        customers.update_own_profile("9 Hill View", other["phone"], actor=actor)
    assert caught.value.field == "phone"


def test_staff_have_no_own_profile(make_user):
    with pytest.raises(Forbidden):
        customers.own_profile(actor=Actor.for_user(make_user("support")))


@pytest.fixture
def boys(make_user):
    return [make_user("delivery_boy", name=f"Boy {n}") for n in (1, 2)]


def test_route_stops_append_and_a_taken_stop_pushes_the_others(system, boys, make_customer):
    boy = boys[0]["_id"]
    a = make_customer(name="A", delivery_boy_id=boy)
    b = make_customer(name="B", delivery_boy_id=boy)
    assert (a["stop"], b["stop"]) == (1, 2)
    make_customer(name="C", delivery_boy_id=boy, stop=1)
    assert [s["name"] for s in customers.route(boy)] == ["C", "A", "B"]
    assert [s["stop"] for s in customers.route(boy)] == [1, 2, 3]


def test_moving_to_another_delivery_boy_is_audited(system, boys, make_customer):
    customer = make_customer(delivery_boy_id=boys[0]["_id"])
    make_customer(delivery_boy_id=boys[1]["_id"])
    moved = customers.assign_route(customer["_id"], boys[1]["_id"], actor=system)
    assert moved["delivery_boy_id"] == boys[1]["_id"] and moved["stop"] == 2
    entry = get_db().audit_log.find_one({"action": "customer.route"})
    assert entry["changes"]["delivery_boy_id"] == {"before": boys[0]["_id"], "after": boys[1]["_id"]}
    customers.assign_route(customer["_id"], "", actor=system)
    assert customers.get_customer(customer["_id"])["stop"] is None


def test_a_customer_moved_to_another_round_takes_his_orders_along(system, boys, make_customer, make_product, db):
    milk = make_product("Milk", price_paise=3000)
    customer = make_customer(delivery_boy_id=boys[0]["_id"])
    other = make_customer(delivery_boy_id=boys[0]["_id"])
    for someone in (customer, other):
        orders.create_subscription(someone["_id"], [{"product_id": milk["_id"], "qty": 1}], {"kind": "daily"},
                                   clock.today(), actor=system)
    customers.assign_route(customer["_id"], boys[1]["_id"], actor=system)
    rounds = {order["customer_id"]: order["delivery_boy_id"] for order in db.orders.find()}
    assert rounds == {customer["_id"]: boys[1]["_id"], other["_id"]: boys[0]["_id"]}
    customers.assign_route(customer["_id"], "", actor=system)
    assert db.orders.find_one({"customer_id": customer["_id"]})["delivery_boy_id"] is None


def test_a_deactivated_delivery_boy_cannot_get_customers(system, boys, make_customer):
    customers_before = make_customer()
    accounts.set_active(boys[0]["_id"], False, actor=system)
    with pytest.raises(ValidationError) as caught:
        customers.assign_route(customers_before["_id"], boys[0]["_id"], actor=system)
    assert caught.value.errors == {"delivery_boy_id": "Choose an active delivery boy."}


def test_up_and_down_swap_neighbours_and_renumber(system, boys, make_customer):
    boy = boys[0]["_id"]
    a, b, c = (make_customer(name=n, delivery_boy_id=boy) for n in "ABC")
    moved = customers.move_stop(boy, c["_id"], "up", actor=system)
    assert [s["name"] for s in moved["stops"]] == ["A", "C", "B"]
    customers.move_stop(boy, a["_id"], "up", actor=system)  # already first: nothing moves
    customers.move_stop(boy, a["_id"], "down", actor=system)
    assert [(s["name"], s["stop"]) for s in customers.route(boy)] == [("C", 1), ("A", 2), ("B", 3)]
    assert get_db().audit_log.count_documents({"action": "customer.route"}) == 2
    with pytest.raises(NotFound):
        customers.move_stop(boys[1]["_id"], a["_id"], "up", actor=system)
    with pytest.raises(ValidationError):
        customers.move_stop(boy, a["_id"], "sideways", actor=system)


def test_delivery_boy_sees_only_his_own_route(boys, make_customer):
    make_customer(name="Mine", delivery_boy_id=boys[0]["_id"])
    make_customer(name="Not mine", delivery_boy_id=boys[1]["_id"])
    actor = Actor.for_user(boys[0])
    assert [c["name"] for c in customers.route_for(boys[0]["_id"], actor=actor)["stops"]] == ["Mine"]
    with pytest.raises(NotFound):
        customers.route_for(boys[1]["_id"], actor=actor)


def test_delete_is_refused_while_orders_or_bills_exist(system, make_customer):
    with_order = make_customer()
    with_bill = make_customer()
    get_db().orders.insert_one({"_id": "OR-test", "customer_id": with_order["_id"]})
    get_db().bills.insert_one({"_id": "BI-test", "customer_id": with_bill["_id"]})
    for customer in (with_order, with_bill):
        with pytest.raises(Conflict, match="stopped instead"):
            customers.delete_customer(customer["_id"], actor=system)
        assert customers.get_customer(customer["_id"])
        assert accounts.get_user(customer["user_id"])


def test_the_delete_button_shows_only_when_the_admin_may_delete(system, make_customer, make_user):
    customer = make_customer()
    admin, support = (Actor.for_user(make_user(role)) for role in ("admin", "support"))
    assert customers.customer_details(customer["_id"], actor=admin)["may_delete"] is True
    assert customers.customer_details(customer["_id"], actor=support)["may_delete"] is False
    get_db().bills.insert_one({"_id": "BI-test", "customer_id": customer["_id"]})
    assert customers.customer_details(customer["_id"], actor=admin)["may_delete"] is False


def test_delete_removes_customer_and_login_and_is_audited(system, make_customer, make_user):
    customer = make_customer()
    with pytest.raises(Forbidden):
        customers.delete_customer(customer["_id"], actor=Actor.for_user(make_user("marketing")))
    customers.delete_customer(customer["_id"], actor=system)
    assert get_db().customers.find_one({"_id": customer["_id"]}) is None
    assert get_db().users.find_one({"_id": customer["user_id"]}) is None
    assert get_db().audit_log.find_one({"action": "customer.delete", "entity_id": customer["_id"]})


def names(result):
    return [c["name"] for c in result["items"]]


def test_search_by_name_word_phone_and_area_with_filters(system, boys, make_customer):
    make_customer(name="Priya Sharma", phone="9811100001", area="Indiranagar", delivery_boy_id=boys[0]["_id"])
    make_customer(name="Rahul Verma", phone="9822200002", area="Koramangala", status="paused")
    make_customer(name="Sharmila Rao", phone="9833300003", area="HSR Layout")
    search = lambda text=None, **kw: names(customers.list_customers(text, actor=system, **kw))  # noqa: E731
    assert search("pri") == ["Priya Sharma"]
    assert search("sharm") == ["Priya Sharma", "Sharmila Rao"]  # word starts, any case
    assert search("98222") == ["Rahul Verma"]
    assert search("+91 98333") == ["Sharmila Rao"]
    assert search("kora") == ["Rahul Verma"]
    assert search("arma") == []  # anchored: no match in the middle of a word
    assert search(".*") == [] and search("(") == []  # typed text is escaped, never a pattern
    assert search(status="paused") == ["Rahul Verma"]
    assert search(area="HSR Layout") == ["Sharmila Rao"]
    assert search(delivery_boy_id=boys[0]["_id"]) == ["Priya Sharma"]
    assert search(delivery_boy_id="none") == ["Rahul Verma", "Sharmila Rao"]


def test_list_is_paginated_and_clamps_the_page(system, make_customer):
    for n in range(customers.PER_PAGE + 2):
        make_customer(name=f"Customer {n:02d}")
    first = customers.list_customers(actor=system)
    assert (first["total"], first["pages"], len(first["items"])) == (customers.PER_PAGE + 2, 2, customers.PER_PAGE)
    last = customers.list_customers(page=99, actor=system)
    assert last["page"] == 2 and names(last) == ["Customer 25", "Customer 26"]


def test_customer_details_carry_prices_and_history_newest_first(system, make_customer, make_product):
    milk = make_product("Milk", price_paise=3000)
    with clock.frozen(datetime(2026, 3, 10, 6, 0)):
        customer = make_customer(custom_prices={milk["_id"]: 2700})
    with clock.frozen(datetime(2026, 3, 11, 6, 0)):
        customers.set_status(customer["_id"], "stopped", actor=system)
    details = customers.customer_details(customer["_id"], actor=system)
    assert [entry["action"] for entry in details["history"]] == ["customer.status", "customer.create"]
    assert [(p["product"]["_id"], p["price_paise"], p["custom"]) for p in details["prices"]] == [(milk["_id"], 2700, True)]


def test_demo_step_seeds_catalogue_routes_and_a_customer_login(system):
    from webapp import demo

    context = {}
    demo.seed_staff(system, context)
    demo.seed_catalog_and_customers(system, context)
    assert {"Milk 500 ml", "Milk 1 l", "Curd", "Paneer", "Bread", "Ghee"} <= set(context["products"])
    assert context["products"]["Flavoured milk"]["status"] == "discontinued"
    assert len(context["delivery_boys"]) == 3 and len(context["customers"]) >= 60
    assert len(customers.areas()) == 3
    for boy in context["delivery_boys"]:
        stops = [c["stop"] for c in customers.route(boy["_id"])]
        assert stops == list(range(1, 21))
    login = next(email for role, email, _ in demo.DEMO_LOGINS if role == "customer")
    user = accounts.authenticate(login, demo.DEMO_PASSWORD)
    assert user and user["role"] == "customer" and customers.get_customer(user["customer_id"])
    boy_login = next(email for role, email, _ in demo.DEMO_LOGINS if role == "delivery_boy")
    assert accounts.authenticate(boy_login, demo.DEMO_PASSWORD)["role"] == "delivery_boy"


# --- all or nothing: each multi-write entry point fails after each of its writes in turn ----------

def test_creating_a_customer_is_all_or_nothing(db, system, boys, make_customer):
    boy = boys[0]["_id"]
    first = make_customer(name="First", delivery_boy_id=boy)
    (customer, invite_url), writes = assert_all_or_nothing(
        db, lambda: create(system, email="ravi@example.test", delivery_boy_id=boy, stop=1))
    assert writes >= 4  # login, pushed stops, customer, invite (+ audit entries)
    user = accounts.get_user(customer["user_id"])
    assert user["customer_id"] == customer["_id"] and user["invite"]
    assert [c["_id"] for c in customers.route(boy)] == [customer["_id"], first["_id"]]
    assert {e["action"] for e in db.audit_log.find({"entity_id": {"$in": [customer["_id"], user["_id"]]}})} \
        == {"customer.create", "user.invite"}
    accounts.accept_invite(invite_url.rsplit("/", 1)[1], "milk-every-day")


def test_a_staff_edit_is_all_or_nothing(db, system):
    customer, _ = create(system)
    saved, _ = assert_all_or_nothing(db, lambda: customers.update_customer(
        customer["_id"], "Ravi K", "9123456780", "5 New Road", "Koramangala", email="ravi@example.test",
        actor=system))
    assert saved["phone"] == "9123456780"
    assert accounts.get_user(customer["user_id"])["phone"] == "9123456780"
    assert db.audit_log.count_documents({"action": "customer.update", "entity_id": customer["_id"]}) == 1


def test_the_customers_own_profile_edit_is_all_or_nothing(db, make_user):
    me = make_user("customer")
    saved, _ = assert_all_or_nothing(
        db, lambda: customers.update_own_profile("9 Hill View", "9111122222", actor=Actor.for_user(me)))
    assert (saved["address"], saved["phone"]) == ("9 Hill View", "9111122222")
    assert accounts.get_user(me["_id"])["phone"] == "9111122222"
    assert db.audit_log.count_documents({"action": "customer.update_own", "entity_id": me["customer_id"]}) == 1


def test_a_route_assignment_that_pushes_stops_down_is_all_or_nothing(db, system, boys, make_customer):
    boy = boys[0]["_id"]
    a, b = (make_customer(name=n, delivery_boy_id=boy) for n in "AB")
    newcomer = make_customer(name="C")
    moved, writes = assert_all_or_nothing(
        db, lambda: customers.assign_route(newcomer["_id"], boy, 1, actor=system))
    assert writes == 4 and moved["stop"] == 1  # the pushed stops, his route, his orders' round, the audit entry
    assert [(c["name"], c["stop"]) for c in customers.route(boy)] == [("C", 1), ("A", 2), ("B", 3)]
    assert db.audit_log.count_documents({"action": "customer.route", "entity_id": newcomer["_id"]}) == 1


def test_deleting_a_customer_is_all_or_nothing(db, system, make_customer):
    customer = make_customer()
    assert_all_or_nothing(db, lambda: customers.delete_customer(customer["_id"], actor=system))
    assert db.customers.count_documents({}) == 0 and db.users.count_documents({}) == 0
    assert db.audit_log.count_documents({"action": "customer.delete", "entity_id": customer["_id"]}) == 1
