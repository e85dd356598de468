"""Shared links, service level: tokens, expiry, revocation, scope, pause requests, audit."""
from datetime import date, datetime, timedelta, timezone

import pytest
from itsdangerous import URLSafeSerializer

from tests.html_check import parse_problems
from tests.links_fixtures import CLIENT_IP, DAY, END_OF_DAY, bills, now, round_, round_link, token_of  # noqa: F401
from webapp import clock, demo
from webapp.services import (Actor, Conflict, Forbidden, NotFound, ServiceError, ValidationError, deliveries, links,
                             orders, pause_requests)

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."


def refusals(db, link_id=None):
    query = {"action": "link.refused", "actor.id": "link-guard"}
    if link_id:
        query["entity_id"] = link_id
    return db.audit_log.count_documents(query)


# ---------------------------------------------------------------- issuing

def test_round_link_names_a_record_with_scope_expiry_and_creator(round_, system, db, now):
    url = links.issue_round_link(round_.ravi["_id"], DAY, actor=system)
    assert url.startswith("http://localhost/l/")
    link = db.shared_links.find_one({})
    assert link["_id"].startswith("SL-")
    assert (link["scope"], link["delivery_boy_id"], link["date"]) == ("round", round_.ravi["_id"], "2026-03-10")
    # Default expiry: the end of that delivery day, business time (midnight IST = 18:30 UTC).
    assert link["expires_at"] == datetime(2026, 3, 10, 18, 30, tzinfo=timezone.utc)
    assert link["created_by"]["id"] == system.id and link["revoked_at"] is None
    assert link["nonce"] not in url
    assert db.audit_log.count_documents({"action": "link.issue", "entity_id": link["_id"]}) == 1


def test_bill_link_lasts_thirty_days_by_default_and_expiry_is_configurable(round_, bills, system, db, now):
    links.issue_bill_link(bills["Anil"]["_id"], actor=system)
    link = db.shared_links.find_one({"scope": "bill"})
    assert link["bill_id"] == bills["Anil"]["_id"] and link["customer_id"] == round_.anil["_id"]
    assert link["expires_at"] == clock.now() + timedelta(days=30)
    custom = links.create_round_link(round_.ravi["_id"], DAY, actor=system, expires_at=datetime(2026, 3, 10, 12, 0))
    assert custom["expires_at"] == clock.local_datetime(DAY, 12)


@pytest.mark.parametrize("expires_at", [datetime(2026, 3, 10, 5, 0), datetime(2026, 7, 1, 0, 0), "tomorrow"])
def test_an_expiry_in_the_past_too_far_or_not_a_time_is_refused(round_, system, db, now, expires_at):
    with pytest.raises(ValidationError) as error:
        links.issue_round_link(round_.ravi["_id"], DAY, actor=system, expires_at=expires_at)
    assert error.value.field == "expires_at"
    assert db.shared_links.count_documents({}) == 0


def test_issuing_checks_its_input(round_, system, db, now):
    with pytest.raises(ValidationError) as error:
        links.issue_round_link("US-nobody", "2026-13-45", actor=system)
    assert set(error.value.errors) == {"delivery_boy_id", "date"}
    with pytest.raises(ValidationError):
        links.issue_round_link(round_.ravi["_id"], "2026-03-09", actor=system)  # its day is over
    with pytest.raises(ValidationError):
        links.issue_bill_link("BI-202602-9999", actor=system)
    assert db.shared_links.count_documents({}) == 0


def test_a_delivery_boy_shares_only_his_own_round(round_, db, now):
    ravi = Actor.for_user(round_.ravi)
    assert links.issue_round_link(round_.ravi["_id"], DAY, actor=ravi)
    with pytest.raises(NotFound):
        links.issue_round_link(round_.gopal["_id"], DAY, actor=ravi)
    assert db.shared_links.count_documents({}) == 1


def test_customers_and_suppliers_cannot_issue_links(round_, bills, make_user, now):
    for role in ("customer", "supplier"):
        actor = Actor.for_user(make_user(role))
        with pytest.raises(Forbidden):
            links.issue_round_link(round_.ravi["_id"], DAY, actor=actor)
    with pytest.raises(Forbidden):
        links.issue_bill_link(bills["Anil"]["_id"], actor=Actor.for_user(make_user("supplier")))
    # A customer may share only his own bill: another's does not exist for him.
    with pytest.raises(NotFound):
        links.issue_bill_link(bills["Anil"]["_id"], actor=Actor.for_user(make_user("customer")))


def test_a_customer_shares_his_own_bill(bills, db, now):
    bill = bills["Anil"]
    owner = db.users.find_one({"customer_id": bill["customer_id"]})
    url = links.issue_bill_link(bill["_id"], actor=Actor.for_user(owner))
    link = links.open_link(url.rsplit("/", 1)[1], ip=CLIENT_IP)
    assert link["scope"] == "bill" and link["bill_id"] == bill["_id"]
    assert link["created_by"]["id"] == owner["_id"]


# ---------------------------------------------------------------- opening: tokens

def test_every_use_is_counted(round_, round_link, db):
    link = links.open_link(round_link.token, ip=CLIENT_IP)  # reading a link is not using it
    assert link["_id"] == round_link.id and db.shared_links.find_one({"_id": link["_id"]})["uses"] == 0
    links.view_link(round_link.token, ip=CLIENT_IP)
    links.confirm_via_link(round_link.token, round_.anil["_id"], "2026-03-10", ip=CLIENT_IP)
    stored = db.shared_links.find_one({"_id": round_link.id})
    assert stored["uses"] == 2 and stored["last_used_at"] is not None


def test_every_single_character_change_is_refused(round_link, db):
    token = round_link.token
    assert len(token) > 60
    for position, char in enumerate(token):
        for replacement in {ALPHABET[(ALPHABET.index(char) + 1) % len(ALPHABET)], "A" if char != "A" else "B"}:
            tampered = token[:position] + replacement + token[position + 1:]
            with pytest.raises(links.InvalidLink):
                links.open_link(tampered, ip=CLIENT_IP)
    assert refusals(db) >= len(token)


def test_truncated_and_extended_tokens_are_refused(round_link):
    token = round_link.token
    for variant in [token[:n] for n in range(0, len(token), 7)] + [token[:-1], token + "A", token + token]:
        with pytest.raises(links.InvalidLink):
            links.open_link(variant, ip=CLIENT_IP)


def test_unknown_foreign_or_guessed_tokens_are_refused(round_link, app, db):
    secret = app.config["SECRET_KEY"]
    nonce = db.shared_links.find_one({"_id": round_link.id})["nonce"]
    forged = [
        URLSafeSerializer(secret, salt=links.LINK_SALT).dumps({"l": round_link.id, "n": "guessed"}),  # id alone
        URLSafeSerializer(secret, salt=links.LINK_SALT).dumps({"l": "SL-20260310-9999", "n": nonce}),  # unknown
        URLSafeSerializer("another secret", salt=links.LINK_SALT).dumps({"l": round_link.id, "n": nonce}),
        URLSafeSerializer(secret, salt="earlybird.invite").dumps({"l": round_link.id, "n": nonce}),  # other purpose
        URLSafeSerializer(secret, salt=links.LINK_SALT).dumps(["SL", nonce]),
        "", "x" * 5000,
    ]
    for token in forged:
        with pytest.raises(links.InvalidLink) as error:
            links.open_link(token, ip=CLIENT_IP)
        assert error.value.message == "This link is not valid."


def test_expiry_boundary(round_link):
    with clock.frozen(END_OF_DAY - timedelta(seconds=1)):
        assert links.open_link(round_link.token, ip=CLIENT_IP)["_id"] == round_link.id
    with clock.frozen(END_OF_DAY):
        with pytest.raises(links.ExpiredLink) as error:
            links.open_link(round_link.token, ip=CLIENT_IP)
    assert error.value.status == 410 and "expired" in error.value.message


def test_revocation_takes_effect_at_once_and_says_whom_to_ask(round_link, system, db):
    links.revoke(round_link.id, actor=system)
    with pytest.raises(links.RevokedLink) as error:
        links.open_link(round_link.token, ip=CLIENT_IP)
    assert error.value.status == 410
    assert "switched off" in error.value.message and "Ask the dairy" in error.value.message
    entry = db.audit_log.find_one({"action": "link.refused", "entity_id": round_link.id})
    assert entry["actor"] == {"kind": "system", "id": "link-guard", "role": "system", "ip": CLIENT_IP}
    assert "revoked" in entry["summary"]
    assert db.audit_log.count_documents({"action": "link.revoke", "entity_id": round_link.id}) == 1
    links.revoke(round_link.id, actor=system)  # twice is once
    assert db.audit_log.count_documents({"action": "link.revoke", "entity_id": round_link.id}) == 1


def test_a_delivery_boy_revokes_only_links_of_his_round(round_, round_link, db):
    with pytest.raises(NotFound):
        links.revoke(round_link.id, actor=Actor.for_user(round_.gopal))
    assert db.shared_links.find_one({"_id": round_link.id})["revoked_at"] is None
    links.revoke(round_link.id, actor=Actor.for_user(round_.ravi))
    assert db.shared_links.find_one({"_id": round_link.id})["revoked_at"] is not None


def test_live_links_lists_neither_revoked_nor_expired(round_, round_link, system):
    other = links.create_round_link(round_.gopal["_id"], DAY, actor=system)
    short = links.create_round_link(round_.ravi["_id"], DAY, actor=system, expires_at=datetime(2026, 3, 10, 7, 0))
    links.revoke(other["_id"], actor=system)
    assert [link["_id"] for link in links.live_links(actor=system)] == [short["_id"], round_link.id]
    with clock.frozen(datetime(2026, 3, 10, 8, 0)):
        live = links.live_links(actor=system)
    assert [link["_id"] for link in live] == [round_link.id]
    assert live[0]["url"] == round_link.url and live[0]["label"] == "Ravi's round"
    assert [link["_id"] for link in links.live_links(actor=Actor.for_user(round_.gopal))] == []


# ---------------------------------------------------------------- confirming through a link

def test_confirming_through_a_link_writes_what_the_delivery_boy_path_writes(round_, round_link, db):
    links.confirm_via_link(round_link.token, round_.anil["_id"], "2026-03-10", ip=CLIENT_IP)
    by_link = db.deliveries.find_one({"order_id": round_.anil_sub["_id"]})
    db.deliveries.delete_many({})
    deliveries.confirm_stop(round_.anil["_id"], DAY, actor=Actor.for_user(round_.ravi, ip="10.0.0.7"))
    by_boy = db.deliveries.find_one({"order_id": round_.anil_sub["_id"]})

    assert by_link["via"] == "link" and by_boy["via"] == "delivery_boy"
    assert by_link["confirmed_by"] == {"kind": "link", "id": round_link.id, "role": "link", "ip": CLIENT_IP}
    assert by_link["ip"] == CLIENT_IP
    who = {"_id", "via", "confirmed_by", "ip"}
    assert {k: v for k, v in by_link.items() if k not in who} == {k: v for k, v in by_boy.items() if k not in who}


def test_partial_and_not_delivered_follow_the_same_rules(round_, round_link, db):
    quantities = {round_.bina_sub["_id"]: {round_.milk["_id"]: "1"}, round_.bina_curd["_id"]: {round_.curd["_id"]: "0"}}
    links.confirm_via_link(round_link.token, round_.bina["_id"], "2026-03-10", quantities, reason="out_of_stock",
                           ip=CLIENT_IP)
    assert db.orders.find_one({"_id": round_.bina_curd["_id"]})["status"] == "NOT_DELIVERED"
    with pytest.raises(ValidationError):  # more than ordered
        links.confirm_via_link(round_link.token, round_.anil["_id"], "2026-03-10",
                               {round_.anil_sub["_id"]: {round_.milk["_id"]: "3"}}, ip=CLIENT_IP)
    with pytest.raises(ValidationError):  # nothing handed over, no reason
        links.confirm_via_link(round_link.token, round_.anil["_id"], "2026-03-10", {}, ip=CLIENT_IP)
    assert db.deliveries.count_documents({"customer_id": round_.anil["_id"]}) == 0


def test_a_cancelled_order_is_not_delivered_through_a_link(round_, round_link, system, db):
    with clock.frozen(datetime(2026, 3, 1, 6, 0)):
        orders.cancel(round_.bina_curd["_id"], actor=system)
    links.confirm_via_link(round_link.token, round_.bina["_id"], "2026-03-10", ip=CLIENT_IP)
    assert db.deliveries.find_one({"order_id": round_.bina_curd["_id"]}) is None
    assert db.orders.find_one({"_id": round_.bina_curd["_id"]})["status"] == "CANCELLED"
    with pytest.raises(NotFound):
        links.confirm_via_link(round_link.token, round_.bina["_id"], "2026-03-10",
                               {round_.bina_curd["_id"]: {round_.curd["_id"]: "1"}}, ip=CLIENT_IP)


def test_a_billed_delivery_cannot_be_changed_through_a_link(round_, bills, system, db):
    with clock.frozen(datetime(2026, 2, 26, 7, 0)):
        link = links.create_round_link(round_.ravi["_id"], date(2026, 2, 26), actor=system)
        with pytest.raises(Conflict):
            links.confirm_via_link(links.token_for(link), round_.anil["_id"], "2026-02-26", {}, reason="refused",
                                   ip=CLIENT_IP)
    assert db.deliveries.find_one({"order_id": round_.anil_sub["_id"], "date": "2026-02-26"})["status"] == "DELIVERED"


@pytest.mark.parametrize("escape", ["other date", "bad date", "other boy's customer", "unknown customer",
                                    "foreign order", "bill link"])
def test_scope_escapes_are_not_found_audited_and_write_nothing(round_, round_link, bills, system, db, escape):
    token, customer_id, day, quantities = round_link.token, round_.anil["_id"], "2026-03-10", None
    if escape == "other date":
        day = "2026-03-11"
    elif escape == "bad date":
        day = "2026-13-45"
    elif escape == "other boy's customer":
        customer_id = round_.chetan["_id"]
    elif escape == "unknown customer":
        customer_id = "CU-20260225-9999"
    elif escape == "foreign order":
        quantities = {round_.chetan_sub["_id"]: {round_.milk["_id"]: "1"}}
    else:
        token = token_of(links.issue_bill_link(bills["Anil"]["_id"], actor=system))
    before = db.deliveries.count_documents({})
    with pytest.raises(NotFound):
        links.confirm_via_link(token, customer_id, day, quantities, ip=CLIENT_IP)
    assert db.deliveries.count_documents({}) == before
    refused = db.audit_log.count_documents({"action": {"$in": ["link.out_of_scope", "link.refused"]}})
    assert refused == 1


def test_a_link_for_another_day_confirms_only_on_that_day(round_, system, db, now):
    link = links.create_round_link(round_.ravi["_id"], DAY + timedelta(days=1), actor=system)
    with pytest.raises(ServiceError):  # the delivery rules: deliveries are recorded on the day itself
        links.confirm_via_link(links.token_for(link), round_.anil["_id"], "2026-03-11", ip=CLIENT_IP)
    assert db.deliveries.count_documents({}) == 0


def test_every_use_and_every_refusal_is_audited(round_, round_link, db):
    links.view_link(round_link.token, ip=CLIENT_IP)
    links.confirm_via_link(round_link.token, round_.anil["_id"], "2026-03-10", ip=CLIENT_IP)
    with pytest.raises(NotFound):
        links.confirm_via_link(round_link.token, round_.chetan["_id"], "2026-03-10", ip=CLIENT_IP)
    with pytest.raises(links.InvalidLink):
        links.open_link(round_link.token[:-2], ip="198.51.100.1")
    actions = [entry["action"] for entry in db.audit_log.find({"actor.kind": {"$in": ["link", "system"]},
                                                              "action": {"$regex": "^(link|delivery)\\."}})
               .sort("at", 1) if entry["action"] != "link.issue"]
    assert actions == ["link.open", "delivery.confirm", "link.out_of_scope", "link.refused"]
    confirm = db.audit_log.find_one({"action": "delivery.confirm"})
    assert confirm["actor"]["kind"] == "link" and confirm["ip"] == CLIENT_IP
    assert db.audit_log.find_one({"action": "link.refused"})["ip"] == "198.51.100.1"


# ---------------------------------------------------------------- bill links

def test_a_bill_link_shows_only_its_bill(round_, bills, system, db, now):
    token = token_of(links.issue_bill_link(bills["Anil"]["_id"], actor=system))
    view = links.view_link(token, ip=CLIENT_IP)
    assert view["bill"]["_id"] == bills["Anil"]["_id"] and view["customer"]["_id"] == round_.anil["_id"]
    with pytest.raises(links.InvalidLink):  # a bill link is no round link
        links.round_stop(token, round_.anil["_id"], ip=CLIENT_IP)


# ---------------------------------------------------------------- pause requests

def test_a_pause_request_pauses_nothing_until_approved(round_, round_link, system, db):
    request = pause_requests.request_pause(round_link.token, round_.anil["_id"], "2026-03-12", "2026-03-15",
                                           "Travelling", ip=CLIENT_IP)
    assert request["status"] == "PENDING" and request["link_id"] == round_link.id
    assert db.orders.find_one({"_id": round_.anil_sub["_id"]})["pauses"] == []
    again = pause_requests.request_pause(round_link.token, round_.anil["_id"], "2026-03-12", "2026-03-15",
                                         ip=CLIENT_IP)
    assert again["_id"] == request["_id"]

    staff = Actor.for_user(round_.ravi)
    with pytest.raises(Forbidden):
        pause_requests.approve(request["_id"], actor=staff)
    pause_requests.approve(request["_id"], actor=system)
    pauses = db.orders.find_one({"_id": round_.anil_sub["_id"]})["pauses"]
    assert [(p["first_day"], p["last_day"]) for p in pauses] == [("2026-03-12", "2026-03-15")]
    assert db.pause_requests.find_one({"_id": request["_id"]})["paused_order_ids"] == [round_.anil_sub["_id"]]
    with pytest.raises(Conflict):
        pause_requests.approve(request["_id"], actor=system)
    actions = {e["action"]: e["actor"]["kind"] for e in db.audit_log.find({"entity": "pause_request"})}
    assert actions == {"pause_request.create": "link", "pause_request.approve": "system"}


def test_a_rejected_pause_request_pauses_nothing(round_, round_link, system, db):
    request = pause_requests.request_pause(round_link.token, round_.bina["_id"], "2026-03-12", "2026-03-12",
                                           ip=CLIENT_IP)
    pause_requests.reject(request["_id"], "Call the customer first", actor=system)
    assert db.orders.find_one({"_id": round_.bina_sub["_id"]})["pauses"] == []
    assert db.pause_requests.find_one({"_id": request["_id"]})["status"] == "REJECTED"
    with pytest.raises(Conflict):
        pause_requests.approve(request["_id"], actor=system)
    queue = pause_requests.queue(actor=system)
    assert queue["pending"] == [] and queue["decided"][0]["customer"]["name"] == "Bina"


def test_an_approval_past_the_cut_off_waits_unless_overridden(round_, round_link, system, db):
    request = pause_requests.request_pause(round_link.token, round_.anil["_id"], "2026-03-10", "2026-03-11",
                                           ip=CLIENT_IP)
    with pytest.raises(Conflict):
        pause_requests.approve(request["_id"], actor=system)
    assert db.pause_requests.find_one({"_id": request["_id"]})["status"] == "PENDING"
    pause_requests.approve(request["_id"], override_cutoff=True, actor=system)
    assert db.pause_requests.find_one({"_id": request["_id"]})["status"] == "APPROVED"


def test_pause_requests_only_for_customers_on_the_round(round_, round_link, db):
    for customer_id in (round_.chetan["_id"], "CU-20260225-9999", None):
        with pytest.raises(NotFound):
            pause_requests.request_pause(round_link.token, customer_id, "2026-03-12", "2026-03-13", ip=CLIENT_IP)
    assert db.pause_requests.count_documents({}) == 0
    assert db.audit_log.count_documents({"action": "link.out_of_scope"}) == 3


def test_pause_request_dates_are_checked(round_, round_link, db):
    with pytest.raises(ValidationError) as error:
        pause_requests.request_pause(round_link.token, round_.anil["_id"], "2026-03-09", "2026-13-45", ip=CLIENT_IP)
    assert set(error.value.errors) == {"first_day", "last_day"}
    with pytest.raises(ValidationError) as error:
        pause_requests.request_pause(round_link.token, round_.anil["_id"], "2026-03-12", "2026-03-11", ip=CLIENT_IP)
    assert set(error.value.errors) == {"last_day"}
    assert db.pause_requests.count_documents({}) == 0


def test_demo_step_issues_a_round_link_and_a_pause_request(round_, system, db, now):
    context = {"delivery_boys": [round_.ravi]}
    demo.seed_links(system, context)
    assert context["round_link_url"].startswith("http://localhost/l/")
    assert links.open_link(token_of(context["round_link_url"]), ip=CLIENT_IP)["delivery_boy_id"] == round_.ravi["_id"]
    request = db.pause_requests.find_one({})
    assert request["customer_id"] == round_.bina["_id"] and request["status"] == "PENDING"


# ---------------------------------------------------------------- links of deactivated users

def open_or_refused(token):
    try:
        return links.open_link(token, ip=CLIENT_IP)["_id"]
    except links.RevokedLink:
        return "refused"


def test_links_issued_by_or_for_a_deactivated_user_stop_working_at_once(round_, bills, make_user, system, db, now):
    from webapp.services import accounts, customers

    support = make_user("support")
    by_support = token_of(links.issue_round_link(round_.gopal["_id"], DAY, actor=Actor.for_user(support)))
    ravis_round = token_of(links.issue_round_link(round_.ravi["_id"], DAY, actor=system))
    anils_bill = token_of(links.issue_bill_link(bills["Anil"]["_id"], actor=system))
    chetans_bill = token_of(links.issue_bill_link(bills["Chetan"]["_id"], actor=system))

    accounts.set_active(round_.ravi["_id"], False, actor=system)  # the delivery boy the round link is for
    accounts.set_active(support["_id"], False, actor=system)  # the staff member who issued Gopal's link
    accounts.set_active(round_.anil["user_id"], False, actor=system)  # the customer whose bill it is
    customers.set_status(round_.chetan["_id"], "stopped", actor=system)  # stopped, he still has a bill to pay
    assert [open_or_refused(token) for token in (ravis_round, by_support, anils_bill)] == ["refused"] * 3
    assert open_or_refused(chetans_bill) != "refused"
    # Deactivation revoked them in its unit of work (links of a user deactivated meanwhile are refused at open).
    revoked = db.shared_links.count_documents({"revoked_at": {"$ne": None}})
    refused = list(db.audit_log.find({"action": "link.refused"}))
    assert revoked == 3 and len(refused) == 3 and {entry["actor"]["id"] for entry in refused} == {"link-guard"}


def test_a_link_stored_before_its_users_were_named_on_it_is_refused_too(round_, bills, system, db, now):
    from webapp.services import accounts

    token = token_of(links.issue_bill_link(bills["Anil"]["_id"], actor=system))
    db.shared_links.update_many({}, {"$unset": {"user_ids": ""}})  # as links were stored before
    assert open_or_refused(token) != "refused"
    accounts.set_active(round_.anil["user_id"], False, actor=system)
    assert open_or_refused(token) == "refused"


def test_deactivation_revokes_the_users_open_links_in_its_unit_of_work(round_, bills, system, db, now):
    from webapp.services import uow

    own = links.create_round_link(round_.ravi["_id"], DAY, actor=Actor.for_user(round_.ravi))  # shared by him
    for_him = links.create_round_link(round_.ravi["_id"], DAY, actor=system)
    gopals = links.create_round_link(round_.gopal["_id"], DAY, actor=system)
    anils = links.create_bill_link(bills["Anil"]["_id"], actor=system)
    db.shared_links.update_one({"_id": anils["_id"]}, {"$unset": {"user_ids": ""}})  # stored before
    admin = Actor.system("admin-console")

    def deactivate(user_id):
        def work(u):
            u.db.users.update_one({"_id": user_id}, {"$set": {"active": False}})
            return links.revoke_for_user(u, user_id)
        return uow.run(admin, work)

    assert sorted(deactivate(round_.ravi["_id"])) == sorted([own["_id"], for_him["_id"]])
    assert deactivate(round_.anil["user_id"]) == [anils["_id"]]
    revoked = {link["_id"]: link for link in db.shared_links.find({"revoked_at": {"$ne": None}})}
    assert set(revoked) == {own["_id"], for_him["_id"], anils["_id"]}
    assert all(link["revoked_by"]["id"] == "admin-console" for link in revoked.values())
    assert db.shared_links.find_one({"_id": gopals["_id"]})["revoked_at"] is None
    entries = list(db.audit_log.find({"action": "link.revoke"}))
    assert sorted(entry["entity_id"] for entry in entries) == sorted(revoked)
    assert deactivate(round_.ravi["_id"]) == []  # nothing left open


def test_links_name_their_issuer_and_subject_and_none_is_issued_for_a_deactivated_customer(round_, bills, system,
                                                                                         make_user, now):
    from webapp.services import accounts

    own = links.create_round_link(round_.ravi["_id"], DAY, actor=Actor.for_user(round_.ravi))
    assert own["user_ids"] == [round_.ravi["_id"]]
    support = make_user("support")
    bill_link = links.create_bill_link(bills["Anil"]["_id"], actor=Actor.for_user(support))
    assert bill_link["user_ids"] == sorted([support["_id"], round_.anil["user_id"]])
    assert links.create_bill_link(bills["Anil"]["_id"], actor=system)["user_ids"] == [round_.anil["user_id"]]
    accounts.set_active(round_.anil["user_id"], False, actor=system)
    with pytest.raises(ValidationError, match="deactivated"):
        links.create_bill_link(bills["Anil"]["_id"], actor=system)


# ---------------------------------------------------------------- the refusal pages

def test_a_revoked_link_and_a_tampered_one_get_different_pages(client, round_link, system, db):
    links.revoke(round_link.id, actor=system)
    revoked = client.get(round_link.path)
    tampered = client.get(round_link.path[:-3] + ("AAA" if not round_link.path.endswith("AAA") else "BBB"))
    unknown = client.get("/l/nothing-here")
    assert revoked.status_code == 410
    assert "This link was switched off" in revoked.text and "Ask the dairy, or the person who shared it" in revoked.text
    for page in (tampered, unknown):
        assert page.status_code == 404
        assert "This link is not valid" in page.text and "switched off" not in page.text
        assert round_link.id not in page.text and "Ravi" not in page.text
    assert round_link.id not in revoked.text and "Ravi" not in revoked.text  # nothing about whose link it was
    assert refusals(db, round_link.id) == 1 and refusals(db) == 3
    for page in (revoked, tampered, unknown):
        assert parse_problems(page.text) == (True, [], [], 1)  # a full page, valid, one h1


def test_a_link_of_a_deactivated_delivery_boy_reads_as_switched_off(client, round_, round_link, system):
    from webapp.services import accounts

    accounts.set_active(round_.ravi["_id"], False, actor=system)
    page = client.get(round_link.path, htmx=True)
    assert page.status_code == 410 and "This link was switched off" in page.text and "<html" not in page.text
