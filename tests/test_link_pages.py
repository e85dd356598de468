"""Shared links, request level: public pages, refusals, headers, rate limits, staff and delivery-boy pages."""
from datetime import datetime

import pytest

from tests.links_fixtures import (CLIENT_IP, DAY, END_OF_DAY, bills, now, path_of, round_,  # noqa: F401
                                  round_link, token_of)
from webapp import clock
from webapp.services import links, pause_requests

PRIVATE_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


def assert_private(response):
    for name, value in PRIVATE_HEADERS.items():
        assert response.headers.get(name) == value, name


def from_address(ip):
    return {"environ_base": {"REMOTE_ADDR": ip}}


def confirm_path(round_link, customer_id, day="2026-03-10"):
    return f"/l/{round_link.token}/{day}/stops/{customer_id}/confirm"


# ---------------------------------------------------------------- opening

def test_a_round_link_opens_without_login_and_sets_no_login(client, round_, round_link):
    response = client.get(round_link.path)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Anil" in body and "Bina" in body and "Chetan" not in body
    assert "Delivered in full" in body and "Ask for a pause" in body
    assert_private(response)
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_htmx_gets_the_round_partial(client, round_, round_link):
    response = client.get(round_link.path, htmx=True)
    assert response.status_code == 200
    assert "<html" not in response.get_data(as_text=True) and "Anil" in response.get_data(as_text=True)


def test_a_bill_link_shows_that_bill_read_only_and_printable(client, round_, bills, system, now):
    url = links.issue_bill_link(bills["Anil"]["_id"], actor=system)
    response = client.get(path_of(url))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and bills["Anil"]["_id"] in body and "data-print" in body
    assert bills["Chetan"]["_id"] not in body and "<form" not in body
    assert_private(response)


# ---------------------------------------------------------------- refusals

def test_a_tampered_token_gets_the_plain_invalid_page_at_every_position(client, round_link, db):
    token = round_link.token
    for position, char in enumerate(token):
        tampered = token[:position] + ("A" if char != "A" else "B") + token[position + 1:]
        response = client.get(f"/l/{tampered}", **from_address(f"10.1.{position // 200}.{position % 200}"))
        assert response.status_code == 404, position
        assert "This link is not valid" in response.get_data(as_text=True)
        assert_private(response)
    assert db.audit_log.count_documents({"action": "link.refused"}) == len(token)


def test_truncated_expired_and_revoked_links(client, round_link, system):
    invalid = client.get(f"/l/{round_link.token[:-5]}")
    assert invalid.status_code == 404
    with clock.frozen(END_OF_DAY):
        expired = client.get(round_link.path)
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    assert_private(expired)
    links.revoke(round_link.id, actor=system)
    revoked = client.get(round_link.path)
    assert revoked.status_code == 410 and "This link was switched off" in revoked.get_data(as_text=True)
    assert_private(revoked)
    # Only the holder of a genuine link hears it was switched off; a tampered one is just "not valid".
    invalid, revoked = client.get(f"/l/{round_link.token[:-5]}", htmx=True), client.get(round_link.path, htmx=True)
    assert "This link is not valid" in invalid.get_data(as_text=True)
    assert "switched off" not in invalid.get_data(as_text=True) and round_link.id not in revoked.get_data(as_text=True)


def test_htmx_refusal_is_a_partial(client, round_link):
    response = client.get(f"/l/{round_link.token}x", htmx=True)
    assert response.status_code == 404 and "<html" not in response.get_data(as_text=True)


# ---------------------------------------------------------------- confirming

def test_confirm_a_stop_in_full(client, round_, round_link, db):
    response = client.post(confirm_path(round_link, round_.anil["_id"]), data={"outcome": "full"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/l/{round_link.token}#stop-{round_.anil['_id']}")
    delivery = db.deliveries.find_one({"order_id": round_.anil_sub["_id"]})
    assert delivery["status"] == "DELIVERED" and delivery["via"] == "link"
    assert delivery["confirmed_by"]["id"] == round_link.id and delivery["ip"] == "127.0.0.1"


def test_htmx_confirm_returns_the_stop_in_place(client, round_, round_link, db):
    response = client.post(confirm_path(round_link, round_.bina["_id"]), data={"outcome": "full"}, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert f'id="stop-{round_.bina["_id"]}"' in body and 'id="round-progress"' not in body
    assert db.deliveries.count_documents({"customer_id": round_.bina["_id"]}) == 2


def test_not_delivered_without_a_reason_comes_back_with_the_error(client, round_, round_link, db):
    response = client.post(confirm_path(round_link, round_.anil["_id"]), data={"outcome": "not_delivered"},
                           htmx=True)
    assert response.status_code == 422 and "Say why nothing was delivered" in response.get_data(as_text=True)
    assert db.deliveries.count_documents({}) == 0


def test_confirm_without_csrf_is_refused(client, round_, round_link, db):
    response = client.post(confirm_path(round_link, round_.anil["_id"]), data={"outcome": "full"}, csrf=False)
    assert response.status_code == 400
    assert db.deliveries.count_documents({}) == 0


@pytest.mark.parametrize("escape", ["other date", "bad date", "other boy's customer", "unknown customer"])
def test_scope_escapes_are_404_with_nothing_written(client, round_, round_link, db, escape):
    customer_id, day = round_.anil["_id"], "2026-03-10"
    if escape == "other date":
        day = "2026-03-09"
    elif escape == "bad date":
        day = "2026-13-45"
    elif escape == "other boy's customer":
        customer_id = round_.chetan["_id"]
    else:
        customer_id = "CU-nobody"
    response = client.post(confirm_path(round_link, customer_id, day), data={"outcome": "full"})
    assert response.status_code == 404
    assert_private(response)
    assert db.deliveries.count_documents({}) == 0
    assert db.audit_log.count_documents({"action": "link.out_of_scope"}) == 1


def test_a_foreign_order_in_the_quantities_is_404(client, round_, round_link, db):
    data = {"outcome": "partial", f"qty:{round_.chetan_sub['_id']}:{round_.milk['_id']}": "1",
            f"qty:{round_.anil_sub['_id']}:{round_.milk['_id']}": "1"}
    response = client.post(confirm_path(round_link, round_.anil["_id"]), data=data)
    assert response.status_code == 404
    assert db.deliveries.count_documents({}) == 0


def test_a_bill_link_cannot_confirm(client, round_, bills, system, db, now):
    token = token_of(links.issue_bill_link(bills["Anil"]["_id"], actor=system))
    before = db.deliveries.count_documents({})
    response = client.post(f"/l/{token}/2026-03-10/stops/{round_.anil['_id']}/confirm", data={"outcome": "full"})
    assert response.status_code == 404
    assert db.deliveries.count_documents({}) == before


# ---------------------------------------------------------------- pause requests

def test_ask_for_a_pause_through_the_link(client, round_, round_link, db):
    path = f"/l/{round_link.token}/stops/{round_.anil['_id']}/pause"
    page = client.get(path)
    assert page.status_code == 200 and "Anil" in page.get_data(as_text=True)
    assert_private(page)
    response = client.post(path, data={"first_day": "2026-03-12", "last_day": "2026-03-14", "reason": "Away"})
    assert response.status_code == 200 and "Request sent" in response.get_data(as_text=True)
    request = db.pause_requests.find_one({})
    assert (request["customer_id"], request["status"], request["first_day"]) == (round_.anil["_id"], "PENDING",
                                                                                 "2026-03-12")
    assert db.orders.find_one({"_id": round_.anil_sub["_id"]})["pauses"] == []


def test_pause_form_errors_come_back_by_the_field(client, round_, round_link, db):
    path = f"/l/{round_link.token}/stops/{round_.anil['_id']}/pause"
    response = client.post(path, data={"first_day": "2026-03-12", "last_day": "2026-03-11"}, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in body and "cannot be before" in body
    response = client.post(path, data={"first_day": "2026-13-45", "last_day": ""})
    assert response.status_code == 422
    assert db.pause_requests.count_documents({}) == 0


def test_pause_for_a_customer_not_on_the_round_is_404(client, round_, round_link, db):
    for customer_id in (round_.chetan["_id"], "CU-nobody"):
        path = f"/l/{round_link.token}/stops/{customer_id}/pause"
        assert client.get(path).status_code == 404
        assert client.post(path, data={"first_day": "2026-03-12", "last_day": "2026-03-13"}).status_code == 404
    assert db.pause_requests.count_documents({}) == 0


# ---------------------------------------------------------------- rate limits

def test_per_link_limit_holds_across_two_app_instances(make_app, app, round_, round_link, db):
    first = make_app(LINK_RATE_LIMIT="3 per minute").test_client()
    second = make_app(LINK_RATE_LIMIT="3 per minute").test_client()
    assert first.get(round_link.path).status_code == 200
    assert second.get(round_link.path).status_code == 200
    assert first.get(round_link.path).status_code == 200
    limited = second.get(round_link.path)
    assert limited.status_code == 429
    assert "Too many" in limited.get_data(as_text=True)
    assert_private(limited)
    # The counter lives in MongoDB, where every worker finds it.
    limits = app.extensions["mongo"][app.config["RATELIMIT_STORAGE_OPTIONS"]["database_name"]]
    assert any(limits[name].count_documents({}) for name in limits.list_collection_names())
    # Another link is not affected.
    other = links.issue_round_link(round_.gopal["_id"], DAY, actor=links.Actor.system())
    assert second.get(path_of(other)).status_code == 200


def test_refused_tokens_are_limited_per_address_and_valid_use_is_not_counted(make_app, round_link, db):
    first = make_app(LINK_REFUSAL_RATE_LIMIT="2 per minute").test_client()
    second = make_app(LINK_REFUSAL_RATE_LIMIT="2 per minute").test_client()
    for _ in range(3):  # valid opens do not count against the address
        assert first.get(round_link.path).status_code == 200
    assert first.get(f"/l/{round_link.token}x").status_code == 404
    assert second.get(f"/l/{round_link.token}y").status_code == 404
    assert second.get(f"/l/{round_link.token}z").status_code == 429
    assert first.get(f"/l/{round_link.token}w").status_code == 429  # the guessing address is stopped for a while
    assert first.get(round_link.path).status_code == 200  # a correctly signed link still opens from it
    assert first.get(round_link.path, **from_address("192.0.2.50")).status_code == 200  # another one is not


# ---------------------------------------------------------------- staff pages

@pytest.mark.parametrize("role, status", [("admin", 200), ("support", 200), ("marketing", 200),
                                          ("delivery_boy", 403), ("customer", 403), ("supplier", 403)])
def test_staff_link_pages_access(client, login_as, role, status):
    login_as(role)
    assert client.get("/staff/links/").status_code == status
    assert client.get("/staff/pause-requests/").status_code == status


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/staff/links/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_staff_issue_list_and_revoke_links(client, login_as, round_, bills, db, now):
    login_as("support")
    response = client.post("/staff/links/round", data={"delivery_boy_id": round_.ravi["_id"], "date": "2026-03-10"})
    assert response.status_code == 303
    link = db.shared_links.find_one({"scope": "round"})
    assert f"issued={link['_id']}" in response.headers["Location"]
    response = client.post("/staff/links/bill", data={"bill_id": bills["Anil"]["_id"],
                                                      "expires_at": "2026-03-20T18:00"})
    assert response.status_code == 303
    bill_link = db.shared_links.find_one({"scope": "bill"})
    assert bill_link["expires_at"] == clock.local_datetime(datetime(2026, 3, 20).date(), 18)
    page = client.get(f"/staff/links/?issued={link['_id']}").get_data(as_text=True)
    assert "Ravi&#39;s round" in page and links.link_url(link) in page and "wa.me" in page and "data-copy" in page
    response = client.post(f"/staff/links/{link['_id']}/revoke", htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"].endswith("/staff/links/")
    assert db.shared_links.find_one({"_id": link["_id"]})["revoked_at"] is not None
    assert client.get(path_of(links.link_url(link))).status_code == 410


def test_staff_issue_form_errors(client, login_as, round_, db, now):
    login_as("admin")
    response = client.post("/staff/links/round", data={"delivery_boy_id": "US-nobody", "date": "2026-13-45"})
    assert response.status_code == 422
    response = client.post("/staff/links/bill", data={"bill_id": "BI-nope"})
    assert response.status_code == 422 and "No such bill" in response.get_data(as_text=True)
    assert client.post("/staff/links/SL-nope/revoke").status_code == 404
    assert db.shared_links.count_documents({}) == 0


def test_staff_approve_and_reject_pause_requests(client, login_as, round_, round_link, db):
    first = pause_requests.request_pause(round_link.token, round_.anil["_id"], "2026-03-12", "2026-03-13",
                                         ip=CLIENT_IP)
    second = pause_requests.request_pause(round_link.token, round_.bina["_id"], "2026-03-10", "2026-03-10",
                                          ip=CLIENT_IP)
    login_as("support")
    page = client.get("/staff/pause-requests/").get_data(as_text=True)
    assert "Anil" in page and "Bina" in page
    assert client.post(f"/staff/pause-requests/{first['_id']}/approve").status_code == 303
    assert db.orders.find_one({"_id": round_.anil_sub["_id"]})["pauses"][0]["first_day"] == "2026-03-12"
    refused = client.post(f"/staff/pause-requests/{second['_id']}/approve", htmx=True)
    assert refused.status_code == 409 and "<html" not in refused.get_data(as_text=True)
    assert client.post(f"/staff/pause-requests/{second['_id']}/reject", data={"note": "Too late"}).status_code == 303
    assert db.pause_requests.find_one({"_id": second["_id"]})["status"] == "REJECTED"
    assert db.orders.find_one({"_id": round_.bina_sub["_id"]})["pauses"] == []
    assert client.post("/staff/pause-requests/PQ-nope/approve").status_code == 404


# ---------------------------------------------------------------- the delivery boy shares his round

def test_a_delivery_boy_shares_and_revokes_his_round(client, login_as, round_, system, db, now):
    login_as(round_.ravi)
    assert client.get("/delivery/share").status_code == 200
    response = client.post("/delivery/share", data={"date": "2026-03-10"})
    assert response.status_code == 303
    link = db.shared_links.find_one({})
    assert link["delivery_boy_id"] == round_.ravi["_id"] and link["created_by"]["id"] == round_.ravi["_id"]
    assert links.link_url(link) in client.get("/delivery/share").get_data(as_text=True)
    gopals = links.create_round_link(round_.gopal["_id"], "2026-03-10", actor=system)
    assert client.post(f"/delivery/share/{gopals['_id']}/revoke").status_code == 404
    assert links.link_url(gopals) not in client.get("/delivery/share").get_data(as_text=True)
    assert client.post(f"/delivery/share/{link['_id']}/revoke").status_code == 303
    assert db.shared_links.find_one({"_id": link["_id"]})["revoked_at"] is not None
    assert client.post("/delivery/share", data={"date": "2026-13-45"}).status_code == 422


def test_a_round_link_of_a_deactivated_delivery_boy_is_switched_off_at_once(client, round_, round_link, system):
    from webapp.services import accounts

    assert client.get(round_link.path).status_code == 200
    accounts.set_active(round_.ravi["_id"], False, actor=system)
    refused = client.get(round_link.path)
    assert refused.status_code == 410 and "This link was switched off" in refused.get_data(as_text=True)
    confirm = client.post(confirm_path(round_link, round_.anil["_id"]), data={})
    assert confirm.status_code == 410
