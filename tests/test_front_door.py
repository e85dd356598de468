"""The addresses people type: / and /login take each visitor to the right page."""
import pytest


def test_login_goes_to_the_login_page(client):
    response = client.get("/login")
    assert response.status_code == 301 and response.headers["Location"] == "/auth/login"
    assert "Sign in" in client.get("/login", follow_redirects=True).text


def test_login_keeps_where_the_visitor_was_going(client):
    response = client.get("/login?next=/me/bills")
    assert response.headers["Location"] == "/auth/login?next=/me/bills"


@pytest.mark.parametrize("role, home", [("admin", "/staff/"), ("support", "/staff/"), ("delivery_boy", "/delivery/"),
                                        ("customer", "/me/"), ("supplier", "/supplier/")])
def test_the_front_door_sends_each_role_home(client, login_as, role, home):
    login_as(role)
    assert client.get("/").headers["Location"] == home


def test_the_front_door_sends_a_visitor_to_sign_in(client):
    assert client.get("/").headers["Location"] == "/auth/login"
