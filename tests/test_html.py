"""Every page is well-formed HTML: it parses without errors, no element id is used twice, and a full
page has exactly one h1. Walks every GET page with real records, as each role."""
from datetime import datetime

import pytest

from tests.html_check import parse_problems
from tests.test_no_server_errors import endpoints, real_path, world  # noqa: F401  (world is a fixture)
from webapp import clock

def page_problems(client, app, world):
    problems = []
    for rule, method in endpoints(app):
        if method != "GET":
            continue
        path = real_path(rule, world)
        response = client.get(path)
        if 300 <= response.status_code < 400 or response.mimetype != "text/html":  # error pages count too
            continue
        full_page, errors, duplicates, h1s = parse_problems(response.text)
        if errors:
            problems.append((path, "parse errors", errors[:3]))
        if duplicates:
            problems.append((path, "duplicate ids", duplicates))
        if full_page and h1s != 1:
            problems.append((path, "h1 count", h1s))
    return problems


@pytest.mark.parametrize("role", ["admin", "marketing", "support", "delivery_boy", "owner", "supplier", None])
def test_every_page_is_valid_html_with_unique_ids_and_one_h1(client, app, login_as, world, role):
    if role:
        login_as(world["owner"] if role == "owner" else role)
    with clock.frozen(datetime(2026, 4, 1, 9, 0)):
        problems = page_problems(client, app, world)
    assert problems == [], "\n".join(map(repr, problems))


def test_the_checker_catches_a_duplicate_id_a_missing_h1_and_a_parse_error():
    full_page, errors, duplicates, h1s = parse_problems(
        "<!doctype html><html lang=en><head><title>x</title></head><body><p id=a></p><p id=a></p></body></html>")
    assert full_page and errors == [] and duplicates == ["a"] and h1s == 0
    full_page, errors, duplicates, h1s = parse_problems("<section><h1>x</h1><p>stray</b></section>")
    assert not full_page and len(errors) == 1 and duplicates == [] and h1s == 1
