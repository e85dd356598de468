"""Issue 3: customer, route and profile pages — per page and per role."""
import re

import pytest

from webapp.db import get_db
from webapp.services import accounts, customers

STAFF = ["admin", "marketing", "support"]
OTHERS = ["delivery_boy", "customer", "supplier"]
NEW = {"name": "Lata Menon", "phone": "9845012345", "email": "", "address": "7 MG Road", "area": "Indiranagar",
       "status": "active", "delivery_boy_id": "", "stop": ""}


@pytest.mark.parametrize("role", STAFF)
def test_staff_create_a_customer_and_see_his_invite_link(client, login_as, role):
    login_as(role)
    assert client.get("/staff/customers/new").status_code == 200
    response = client.post("/staff/customers/new", data=NEW)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert re.search(r'data-copy="http://localhost/auth/invite/[^"]+"', page)
    assert "https://wa.me/919845012345?text=" in page
    customer = get_db().customers.find_one({"phone": "9845012345"})
    assert customer["name"] == "Lata Menon"
    assert accounts.get_user(customer["user_id"])["password_hash"] is None


@pytest.mark.parametrize("role", OTHERS)
def test_others_cannot_reach_customer_pages(client, login_as, make_customer, role):
    customer = make_customer()
    login_as(role)
    before = get_db().customers.count_documents({})
    assert client.get("/staff/customers").status_code == 403
    assert client.get(f"/staff/customers/{customer['_id']}").status_code == 403
    assert client.post("/staff/customers/new", data=NEW).status_code == 403
    assert client.post(f"/staff/customers/{customer['_id']}/status", data={"status": "stopped"}).status_code == 403
    assert client.get("/staff/routes").status_code == 403
    assert get_db().customers.count_documents({}) == before
    assert customers.get_customer(customer["_id"])["status"] == "active"


@pytest.mark.parametrize("change,message", [
    ({"phone": "12345"}, "10-digit"),
    ({"name": ""}, "This field is required"),
    ({"email": "nope"}, "valid email"),
])
def test_bad_customer_form_shows_field_errors_and_writes_nothing(client, login_as, change, message):
    login_as("support")
    response = client.post("/staff/customers/new", data={**NEW, **change})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert get_db().customers.count_documents({}) == 0


def test_duplicate_phone_in_the_form_is_shown_by_the_field(client, login_as, make_customer):
    make_customer(phone=NEW["phone"])
    login_as("admin")
    response = client.post("/staff/customers/new", data=NEW)
    assert response.status_code == 422
    assert 'id="phone-error"' in response.get_data(as_text=True)


def test_list_searches_as_you_type_and_htmx_gets_only_the_fragment(client, login_as, make_customer):
    make_customer(name="Priya Sharma", area="Indiranagar")
    make_customer(name="Rahul Verma", area="Koramangala")
    login_as("marketing")
    page = client.get("/staff/customers").get_data(as_text=True)
    assert 'hx-trigger="input changed delay:300ms' in page and "Priya Sharma" in page and "Rahul Verma" in page
    response = client.get("/staff/customers?q=rah", htmx=True)
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in fragment
    assert "Rahul Verma" in fragment and "Priya Sharma" not in fragment
    assert "HX-Request" in response.headers["Vary"]
    full = client.get("/staff/customers?area=Koramangala").get_data(as_text=True)
    assert "<html" in full and "Rahul Verma" in full and "Priya Sharma" not in full


@pytest.mark.parametrize("query", ["page=abc", "page=-1", "page=99999999999999", "status=nonsense", "boy=US-x",
                                   "q=%28%5B", "q=" + "x" * 500])
def test_hand_crafted_list_queries_never_fail(client, login_as, make_customer, query):
    make_customer()
    login_as("support")
    assert client.get(f"/staff/customers?{query}").status_code == 200


def test_customer_page_shows_details_history_and_section_spot(client, login_as, make_customer, make_product):
    make_product("Milk")
    customer = make_customer(name="Kiran Rao")
    login_as("support")
    page = client.get(f"/staff/customers/{customer['_id']}").get_data(as_text=True)
    assert "Kiran Rao" in page and customer["phone"] in page
    assert "Created customer Kiran Rao" in page  # the audit history
    assert "List price ₹30.00" in page
    assert client.get("/staff/customers/CU-nope").status_code == 404


def test_staff_edit_status_route_and_prices_from_the_customer_page(client, login_as, make_customer, make_product,
                                                                     make_user):
    milk = make_product("Milk", price_paise=3000)
    boy = make_user("delivery_boy", name="Raju")
    customer = make_customer()
    login_as("marketing")
    url = f"/staff/customers/{customer['_id']}"
    response = client.post(url + "/edit", data={**NEW, "name": "Renamed"})
    assert response.status_code == 303
    assert client.post(url + "/status", data={"status": "paused"}).status_code == 303
    assert client.post(url + "/route", data={"delivery_boy_id": boy["_id"], "stop": ""}).status_code == 303
    assert client.post(url + "/prices", data={f"price_{milk['_id']}": "28.50"}).status_code == 303
    saved = customers.get_customer(customer["_id"])
    assert (saved["name"], saved["status"], saved["delivery_boy_id"], saved["stop"]) == \
        ("Renamed", "paused", boy["_id"], 1)
    assert saved["custom_prices"] == {milk["_id"]: 2850}
    response = client.post(url + "/prices", data={f"price_{milk['_id']}": "-3"})
    assert response.status_code == 422 and "more than zero" in response.get_data(as_text=True)
    response = client.post(url + "/route", data={"delivery_boy_id": boy["_id"], "stop": "x"})
    assert response.status_code == 422 and "whole number" in response.get_data(as_text=True)
    assert client.post(url + "/status", data={"status": "gone"}).status_code == 422
    assert customers.get_customer(customer["_id"])["custom_prices"] == {milk["_id"]: 2850}


def test_only_admin_deletes_and_not_with_orders(client, login_as, make_customer, make_user):
    customer = make_customer()
    login_as("support")
    assert client.post(f"/staff/customers/{customer['_id']}/delete").status_code == 403
    login_as("admin")
    get_db().orders.insert_one({"_id": "OR-x", "customer_id": customer["_id"]})
    response = client.post(f"/staff/customers/{customer['_id']}/delete")
    assert response.status_code == 409 and "stopped instead" in response.get_data(as_text=True)
    get_db().orders.delete_many({})
    assert client.post(f"/staff/customers/{customer['_id']}/delete").status_code == 303
    assert get_db().customers.count_documents({}) == 0


def test_new_invite_link_for_a_customer(client, login_as, make_customer):
    customer = make_customer()
    login_as("support")
    response = client.post(f"/staff/customers/{customer['_id']}/invite")
    assert response.status_code == 200 and "/auth/invite/" in response.get_data(as_text=True)


# --- routes ------------------------------------------------------------------------------------

@pytest.fixture
def route(make_user, make_customer):
    boy = make_user("delivery_boy", name="Raju")
    other = make_user("delivery_boy", name="Somu")
    stops = [make_customer(name=name, delivery_boy_id=boy["_id"]) for name in ("Anil", "Bina", "Chetan")]
    make_customer(name="Somu's customer", delivery_boy_id=other["_id"])
    return boy, other, stops


def test_staff_move_a_stop_up_with_htmx_and_get_the_route_fragment(client, login_as, route):
    boy, _, (anil, bina, chetan) = route
    login_as("support")
    assert "Raju" in client.get("/staff/routes").get_data(as_text=True)
    page = client.get(f"/staff/routes/{boy['_id']}").get_data(as_text=True)
    assert page.index("Anil") < page.index("Bina") < page.index("Chetan")
    response = client.post(f"/staff/routes/{boy['_id']}/{chetan['_id']}/move", data={"direction": "up"}, htmx=True)
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in fragment
    assert fragment.index("Anil") < fragment.index("Chetan") < fragment.index("Bina")
    response = client.post(f"/staff/routes/{boy['_id']}/{chetan['_id']}/move", data={"direction": "up"})
    assert response.status_code == 303
    assert [c["name"] for c in customers.route(boy["_id"])] == ["Chetan", "Anil", "Bina"]


def test_bad_moves_are_refused(client, login_as, route):
    boy, other, (anil, _, _) = route
    login_as("admin")
    assert client.post(f"/staff/routes/{other['_id']}/{anil['_id']}/move", data={"direction": "up"}).status_code == 404
    assert client.post(f"/staff/routes/{boy['_id']}/{anil['_id']}/move", data={"direction": "x"}).status_code == 422
    assert client.post(f"/staff/routes/{boy['_id']}/{anil['_id']}/move", data={}).status_code == 422
    assert client.get("/staff/routes/US-nope").status_code == 404


def test_delivery_boy_sees_only_his_own_route(client, login_as, route):
    boy, other, _ = route
    login_as(boy)
    page = client.get("/delivery/route").get_data(as_text=True)
    assert page.index("Anil") < page.index("Bina") < page.index("Chetan")
    assert "Somu&#39;s customer" not in page and "Somu's customer" not in page
    assert client.get(f"/staff/routes/{other['_id']}").status_code == 403


@pytest.mark.parametrize("role", STAFF + ["customer", "supplier"])
def test_my_route_is_for_delivery_boys_only(client, login_as, role):
    login_as(role)
    assert client.get("/delivery/route").status_code == 403


# --- the customer's own profile ---------------------------------------------------------------

def test_customer_sees_and_edits_only_himself(client, login_as, make_user):
    other = make_user("customer", name="Other Person")
    me = login_as("customer", name="Me Myself")
    page = client.get("/me/profile").get_data(as_text=True)
    assert "Me Myself" in page and "Other Person" not in page
    response = client.post("/me/profile", data={"phone": "9700000001", "address": "New flat 4B"})
    assert response.status_code == 303
    mine = customers.get_customer(me["customer_id"])
    assert (mine["phone"], mine["address"]) == ("9700000001", "New flat 4B")
    assert customers.get_customer(other["customer_id"])["address"] != "New flat 4B"
    response = client.post("/me/profile", data={"phone": other["phone"], "address": "x"})
    assert response.status_code == 422 and "already exists" in response.get_data(as_text=True)
    response = client.post("/me/profile", data={"phone": "12", "address": ""})
    assert response.status_code == 422


def test_customer_gets_403_on_staff_urls(client, login_as, make_customer):
    someone = make_customer()
    login_as("customer")
    for url in ("/staff/customers", f"/staff/customers/{someone['_id']}", "/staff/products", "/staff/routes",
                "/staff/team"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/staff/customers/{someone['_id']}/edit", data=NEW).status_code == 403


@pytest.mark.parametrize("role", STAFF + ["delivery_boy", "supplier"])
def test_profile_is_for_customers_only(client, login_as, role):
    login_as(role)
    assert client.get("/me/profile").status_code == 403


# --- self sign-up ------------------------------------------------------------------------------

SIGNUP = {"name": "Neha Joshi", "phone": "9988776655", "address": "22 Park Street", "area": "",
          "password": "fresh-milk-1", "confirm": "fresh-milk-1"}


def test_sign_up_creates_a_trial_customer_who_then_signs_in(client):
    assert client.get("/auth/signup").status_code == 200
    response = client.post("/auth/signup", data=SIGNUP)
    assert response.status_code == 303 and response.headers["Location"] == "/auth/signup/thanks"
    customer = get_db().customers.find_one({"phone": "9988776655"})
    assert customer["status"] == "trial" and customer["delivery_boy_id"] is None
    response = client.post("/auth/login", data={"login": SIGNUP["phone"], "password": SIGNUP["password"]})
    assert response.status_code == 303 and response.headers["Location"] == "/me/"
    assert "Neha Joshi" in client.get("/me/profile").get_data(as_text=True)


def test_sign_up_errors_show_by_the_fields(client, make_customer):
    make_customer(phone=SIGNUP["phone"])
    response = client.post("/auth/signup", data={**SIGNUP, "phone": "9123", "confirm": "other"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "passwords differ" in page
    assert get_db().customers.count_documents({}) == 1
