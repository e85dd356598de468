"""Issue 2: logins, sessions, roles, rate limits, invites, CSRF."""
from datetime import datetime, timedelta

import pytest

from tests.faults import assert_all_or_nothing
from webapp import clock
from webapp.db import get_db
from webapp.services import Actor, Conflict, accounts

HOMES = {
    "admin": "/staff/", "marketing": "/staff/", "support": "/staff/",
    "delivery_boy": "/delivery/", "customer": "/me/", "supplier": "/supplier/",
}


def post_login(client, login, password, **kwargs):
    return client.post("/auth/login", data={"login": login, "password": password}, **kwargs)


@pytest.mark.parametrize("role", sorted(HOMES))
def test_each_role_lands_on_its_home_and_is_refused_elsewhere(client, make_user, role):
    user = make_user(role, password="right-password")
    response = post_login(client, user["email"], "right-password")
    assert response.status_code == 303
    assert response.headers["Location"] == HOMES[role]
    assert client.get(HOMES[role]).status_code == 200
    for other in set(HOMES.values()) - {HOMES[role]}:
        assert client.get(other).status_code == 403, other


def test_login_by_phone(client, make_user):
    user = make_user("delivery_boy", password="right-password")
    get_db().users.update_one({"_id": user["_id"]}, {"$set": {"phone": "9876501234"}})
    assert post_login(client, "+91 98765 01234", "right-password").status_code == 303


def test_wrong_password_is_refused_next_to_the_field_and_audited(client, make_user):
    user = make_user("admin", password="right-password")
    response = post_login(client, user["email"], "wrong-password")
    assert response.status_code == 422
    assert "Wrong email/mobile number or password." in response.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302
    assert get_db().audit_log.find_one({"action": "login.failure", "entity_id": user["_id"]})


def test_anonymous_is_sent_to_login_and_htmx_gets_hx_redirect(client):
    response = client.get("/staff/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    response = client.get("/staff/", htmx=True)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/auth/login")


def test_next_parameter_only_allows_local_paths(client, make_user):
    user = make_user("admin", password="right-password")
    response = client.post("/auth/login?next=//evil.example/x", data={"login": user["email"], "password": "right-password"})
    assert response.headers["Location"] == "/staff/"


def test_login_without_csrf_token_is_rejected(client, make_user):
    user = make_user("admin", password="right-password")
    response = post_login(client, user["email"], "right-password", csrf=False)
    assert response.status_code == 400
    assert client.get("/staff/").status_code == 302


def test_session_cookie_flags(client, make_user):
    user = make_user("admin", password="right-password")
    cookie = post_login(client, user["email"], "right-password").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    https = client.application.test_client()
    response = https.post("/auth/login", base_url="https://localhost",
                          headers={"Referer": "https://localhost/auth/login"},
                          data={"login": user["email"], "password": "right-password"})
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie


def test_logout_ends_the_session(client, login_as):
    login_as("admin")
    assert client.get("/staff/").status_code == 200
    assert client.post("/auth/logout").status_code == 303
    assert client.get("/staff/").status_code == 302


def test_deactivated_user_loses_open_session(client, login_as, system):
    user = login_as("support")
    assert client.get("/staff/").status_code == 200
    accounts.set_active(user["_id"], False, actor=system)
    assert client.get("/staff/").status_code == 302


def test_create_admin_command(runner, db):
    result = runner.invoke(args=["create-admin", "--email", "Root@Example.test", "--name", "Root",
                                 "--password", "long-enough-1"])
    assert result.exit_code == 0, result.output
    assert db.users.find_one({"email": "root@example.test"})["role"] == "admin"


# --- invites -------------------------------------------------------------------------------------

@pytest.fixture
def invited(make_customer, db):
    with clock.frozen(datetime(2026, 3, 1, 9, 0)):
        customer = make_customer(email="asha@example.test")
    user = db.users.find_one({"_id": customer["user_id"]})
    token = accounts.create_invite(user["_id"], actor=Actor.system("test")).rsplit("/", 1)[1]
    return user, token


def test_invite_sets_password_once(client, invited):
    user, token = invited
    assert user["password_hash"] is None  # no default password ever
    page = client.get(f"/auth/invite/{token}")
    assert page.status_code == 200 and user["name"] in page.get_data(as_text=True)
    response = client.post(f"/auth/invite/{token}", data={"password": "a-good-password", "confirm": "a-good-password"})
    assert response.status_code == 303 and response.headers["Location"] == "/me/"
    assert client.get("/me/").status_code == 200
    again = client.application.test_client().get(f"/auth/invite/{token}")
    assert again.status_code == 410 and "already been used" in again.get_data(as_text=True)
    assert accounts.authenticate("asha@example.test", "a-good-password")


def test_invite_refuses_mismatched_passwords(client, invited):
    _, token = invited
    response = client.post(f"/auth/invite/{token}", data={"password": "a-good-password", "confirm": "other-password"})
    assert response.status_code == 422 and "The two passwords differ." in response.get_data(as_text=True)


def test_invite_expires(client, invited):
    _, token = invited
    with clock.frozen(clock.now() + timedelta(hours=73)):
        response = client.get(f"/auth/invite/{token}")
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)


def test_tampered_invite_is_not_valid(client, invited):
    _, token = invited
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = client.get(f"/auth/invite/{tampered}")
    assert response.status_code == 404 and "not valid" in response.get_data(as_text=True)


def test_new_invite_voids_the_old_one(client, invited):
    user, token = invited
    accounts.create_invite(user["_id"], actor=Actor.system("test"))
    assert client.get(f"/auth/invite/{token}").status_code == 410


def test_accepting_an_invite_is_all_or_nothing(db, invited):
    user, token = invited
    updated, _ = assert_all_or_nothing(db, lambda: accounts.accept_invite(token, "a-good-password"))
    assert updated["session_epoch"] == user["session_epoch"] + 1 and "invite" not in updated
    assert accounts.authenticate("asha@example.test", "a-good-password")
    assert db.audit_log.find_one({"action": "login.success", "entity_id": user["_id"]})
    entry = db.audit_log.find_one({"action": "user.set_password", "entity_id": user["_id"]})
    assert entry["actor"]["id"] == user["_id"]
    with pytest.raises(Conflict, match="already been used"):
        accounts.accept_invite(token, "a-good-password")
