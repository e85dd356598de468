"""Issue 3: staff accounts (admin only) — create, deactivate, reset a password by invite link."""
import re
from urllib.parse import unquote

import pytest

from webapp.db import get_db
from webapp.services import Actor, Forbidden, ValidationError, accounts


def test_admin_creates_a_delivery_boy_without_password_and_gets_an_invite(system):
    user, invite_url = accounts.create_staff("boy@example.test", "Raju", "delivery_boy", "9000000001", actor=system)
    assert user["role"] == "delivery_boy" and user["password_hash"] is None
    accounts.accept_invite(invite_url.rsplit("/", 1)[1], "delivery-pass")
    assert accounts.authenticate("boy@example.test", "delivery-pass")["_id"] == user["_id"]


@pytest.mark.parametrize("role", ["marketing", "support", "delivery_boy", "supplier", "customer"])
def test_only_admin_creates_staff(make_user, role):
    with pytest.raises(Forbidden):
        accounts.create_staff("x@example.test", "X", "marketing", actor=Actor.for_user(make_user(role)))
    assert get_db().users.count_documents({"email": "x@example.test"}) == 0


def test_staff_form_cannot_create_customers_or_duplicates(system, make_user):
    with pytest.raises(ValidationError) as caught:
        accounts.create_staff("c@example.test", "C", "customer", actor=system)
    assert caught.value.field == "role"
    existing = make_user("support")
    with pytest.raises(ValidationError) as caught:
        accounts.create_staff(existing["email"], "Again", "support", actor=system)
    assert caught.value.field == "email"


def test_demo_passwords_are_for_the_seeding_only(make_user, system):
    user = make_user("delivery_boy")
    with pytest.raises(Forbidden):
        accounts.set_password_for_demo(user["_id"], "something-longer-1", actor=Actor.for_user(make_user("admin")))
    accounts.set_password_for_demo(user["_id"], "something-longer-1", actor=system)
    assert accounts.authenticate(user["email"], "something-longer-1")


# --- pages -------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["marketing", "support", "delivery_boy", "customer", "supplier"])
def test_team_pages_are_admin_only(client, login_as, make_user, role):
    target = make_user("delivery_boy")
    login_as(role)
    assert client.get("/staff/team").status_code == 403
    assert client.get("/staff/team/new").status_code == 403
    response = client.post("/staff/team/new", data={"name": "N", "email": "n@example.test", "role": "admin"})
    assert response.status_code == 403
    assert client.post(f"/staff/team/{target['_id']}/active", data={"active": "0"}).status_code == 403
    assert client.post(f"/staff/team/{target['_id']}/reset").status_code == 403
    assert get_db().users.count_documents({"email": "n@example.test"}) == 0
    assert accounts.get_user(target["_id"])["active"] is True


def test_admin_creates_a_login_and_sees_copy_and_whatsapp_links(client, login_as):
    login_as("admin")
    response = client.post("/staff/team/new", data={"name": "Raju", "email": "raju@example.test",
                                                    "phone": "9000000002", "role": "delivery_boy"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    invite_url = re.search(r'data-copy="([^"]+)"', page).group(1)
    assert "/auth/invite/" in invite_url
    whatsapp = re.search(r'href="(https://wa.me/919000000002\?text=[^"]+)"', page).group(1)
    assert invite_url in unquote(whatsapp.replace("&amp;", "&"))
    assert get_db().users.find_one({"email": "raju@example.test"})["role"] == "delivery_boy"


def test_bad_staff_form_shows_field_errors(client, login_as, make_user):
    existing = make_user("support")
    login_as("admin")
    response = client.post("/staff/team/new", data={"name": "A", "email": existing["email"], "role": "support"})
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)
    response = client.post("/staff/team/new", data={"name": "A", "email": "a@example.test", "phone": "123",
                                                    "role": "support"})
    assert response.status_code == 422 and "10-digit" in response.get_data(as_text=True)


def test_deactivated_users_open_session_stops_working(app, client, login_as, make_user):
    boy = make_user("delivery_boy")
    login_as(boy)
    assert client.get("/delivery/route").status_code == 200
    admin_client = app.test_client()
    admin = make_user("admin")
    with admin_client.session_transaction() as session:
        session["_user_id"] = f"{admin['_id']}|0"
    assert admin_client.post(f"/staff/team/{boy['_id']}/active", data={"active": "0"}).status_code == 303
    response = client.get("/delivery/route")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert "Deactivated" in admin_client.get("/staff/team").get_data(as_text=True)
    assert accounts.authenticate(boy["email"], "correct-horse-1") is None


def test_reset_link_replaces_the_previous_one(client, login_as, make_user, system):
    target = make_user("support")
    old_link = accounts.create_invite(target["_id"], actor=system)
    login_as("admin")
    page = client.post(f"/staff/team/{target['_id']}/reset").get_data(as_text=True)
    new_link = re.search(r'data-copy="([^"]+)"', page).group(1)
    assert new_link != old_link
    assert client.get(old_link.replace("http://localhost", "")).status_code == 410
    assert client.get(new_link.replace("http://localhost", "")).status_code == 200


def test_unknown_login_is_404(client, login_as):
    login_as("admin")
    assert client.post("/staff/team/US-nope/active", data={"active": "0"}).status_code == 404
    assert client.post("/staff/team/US-nope/reset").status_code == 404
