"""Every page without URL parameters, for every role: 200 if the role is declared, else 403;
anonymous visitors are sent to the login page. (Pages with ids are covered per area.)"""
import pytest

from webapp.security import ANY_USER, PUBLIC, declared_roles
from webapp.services import ROLES


def simple_pages(app):
    return sorted(
        rule.endpoint for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static"
    )


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_declared_pages(app, client, login_as, role):
    login_as(role)
    wrong = []
    with app.test_request_context():
        from flask import url_for

        urls = {endpoint: url_for(endpoint) for endpoint in simple_pages(app)}
    for endpoint, url in urls.items():
        roles = declared_roles(endpoint)
        status = client.get(url).status_code
        if PUBLIC in roles:
            continue  # public pages may redirect a signed-in user to his home
        expected = 200 if (role in roles or ANY_USER in roles) else 403
        if status != expected:
            wrong.append((endpoint, status, expected))
    assert wrong == []


def test_anonymous_is_sent_to_login_from_every_private_page(app, client):
    with app.test_request_context():
        from flask import url_for

        urls = {e: url_for(e) for e in simple_pages(app) if PUBLIC not in declared_roles(e)}
    assert len(urls) > 15
    for endpoint, url in urls.items():
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], endpoint
