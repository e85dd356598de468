"""Issue 13, accounts and sessions: sign-in delays per login and address, known devices, per-address limits,
sessions that end, equal-cost logins, quiet sign-up, session renewal, reset links, safe `next`."""
import re
from datetime import datetime, timedelta, timezone

import pytest

from tests.faults import assert_all_or_nothing, snapshot
from tests.links_fixtures import now, round_, round_link  # noqa: F401
from webapp import clock
from webapp.auth_session import KNOWN_DEVICE_COOKIE
from webapp.blueprints.auth import submitted_identity
from webapp.services import Actor, accounts, sign_in_guard

PASSWORD = "plum-orbit-candle-42"
NEW_PASSWORD = "quiet-harbour-lantern-7"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def assert_held_back(response, wait):
    """A 429 naming the wait; Retry-After is that (Flask-Limiter may raise it to its own window's end, and its
    rewrite of the header rounds down: one second less)."""
    assert response.status_code == 429
    assert f"Try again in {wait}." in response.get_data(as_text=True)
    seconds = int(wait.split()[0]) * (60 if "minute" in wait else 1)
    assert seconds - 1 <= int(response.headers["Retry-After"]) <= max(seconds, 60)


def post_login(client, login, password, ip="127.0.0.1", **kwargs):
    return client.post("/auth/login", data={"login": login, "password": password},
                       environ_base={"REMOTE_ADDR": ip}, **kwargs)


@pytest.fixture
def few_free(app, monkeypatch):
    """Three free failures per login and address (four overall), then 15 s doubling up to 60 s."""
    for key, value in {"LOGIN_FREE_FAILURES": 3, "LOGIN_FREE_FAILURES_OVERALL": 4, "LOGIN_DELAY_SECONDS": 15,
                       "LOGIN_MAX_DELAY_SECONDS": 60}.items():
        monkeypatch.setitem(app.config, key, value)


@pytest.fixture
def owner(make_user, db):
    user = make_user("admin", email="boss@example.test", password=PASSWORD)
    db.users.update_one({"_id": user["_id"]}, {"$set": {"phone": "9876543210"}})
    return accounts.get_user(user["_id"])


# --- one identity, however it is spelled --------------------------------------------------------

def test_every_spelling_of_a_phone_is_one_identity_and_the_wait_is_a_429_with_retry_after(client, owner, few_free,
                                                                                          db):
    with clock.frozen(T0):
        for spelling in ("98765 43210", "+91 9876543210", "09876543210"):
            assert post_login(client, spelling, "wrong-password-1").status_code == 422
        held = post_login(client, "+919876543210", PASSWORD)
    assert_held_back(held, "15 seconds")
    assert "Too many failed sign-ins." in held.get_data(as_text=True)
    assert db.sign_in_failures.find_one({"identity": "9876543210", "source": "127.0.0.1"})["failures"] == 3
    assert not db.audit_log.find_one({"action": "login.success"})  # the password was not even checked


def test_an_email_is_one_identity_whatever_its_case_and_spaces(client, owner, few_free):
    with clock.frozen(T0):
        for spelling in ("Boss@Example.test", " boss@example.TEST ", "BOSS@EXAMPLE.TEST"):
            post_login(client, spelling, "wrong-password-1")
        assert post_login(client, "boss@example.test", PASSWORD).status_code == 429


def test_submitted_identity_reads_the_form_or_a_json_body_with_string_values_only(app):
    bodies = [({"data": {"login": " +91 98765 43210"}}, "9876543210"),
              ({"json": {"login": " +91 98765 43210"}}, "9876543210"),
              ({"json": {"login": "Boss@Example.TEST "}}, "boss@example.test"),
              ({"json": {"login": 9876543210}}, ""), ({"json": ["login"]}, ""), ({"json": "login"}, "")]
    for body, expected in bodies:
        with app.test_request_context("/auth/login", method="POST", **body):
            assert submitted_identity() == expected, body


# --- growing waits, no lockout ------------------------------------------------------------------

def test_each_further_failure_doubles_the_wait_up_to_the_cap_and_success_clears_it(client, owner, few_free, db):
    with clock.frozen(T0):
        for _ in range(3):
            post_login(client, owner["email"], "wrong-password-1")
    with clock.frozen(T0 + timedelta(seconds=14)):
        assert_held_back(post_login(client, owner["email"], PASSWORD), "1 second")
    with clock.frozen(T0 + timedelta(seconds=15)):
        assert post_login(client, owner["email"], "wrong-password-1").status_code == 422
        assert_held_back(post_login(client, owner["email"], PASSWORD), "30 seconds")
    with clock.frozen(T0 + timedelta(seconds=45)):
        assert post_login(client, owner["email"], "wrong-password-1").status_code == 422
        assert_held_back(post_login(client, owner["email"], PASSWORD), "1 minute")  # 15·2² is past the cap
    with clock.frozen(T0 + timedelta(seconds=105)):
        assert post_login(client, owner["email"], PASSWORD).status_code == 303
    assert db.sign_in_failures.count_documents({"identity": owner["email"]}) == 0


def test_the_default_wait_is_capped_at_fifteen_minutes(app):
    with app.app_context():
        assert sign_in_guard.wait_after(4, 5) == 0 and sign_in_guard.wait_after(5, 5) == 15
        assert sign_in_guard.wait_after(6, 5) == 30 and sign_in_guard.wait_after(40, 5) == 15 * 60


def test_a_count_is_forgotten_a_day_after_its_last_failure(client, owner, few_free, db):
    with clock.frozen(T0):
        for _ in range(3):
            post_login(client, owner["email"], "wrong-password-1")
    assert db.sign_in_failures.find_one({"source": "127.0.0.1"})["expires_at"] == T0 + timedelta(days=1)
    assert "expires_at_ttl" in db.sign_in_failures.index_information()
    with clock.frozen(T0 + timedelta(days=1, seconds=1)):
        assert post_login(client, owner["email"], "wrong-password-1").status_code == 422
    assert db.sign_in_failures.find_one({"source": "127.0.0.1"})["failures"] == 1


def test_failures_from_one_address_do_not_hold_back_another(client, owner, few_free):
    with clock.frozen(T0):
        for _ in range(3):
            post_login(client, owner["email"], "wrong-password-1", ip="198.51.100.7")
        assert post_login(client, owner["email"], PASSWORD, ip="198.51.100.7").status_code == 429
        assert post_login(client, owner["email"], PASSWORD, ip="192.0.2.20").status_code == 303


def test_the_wait_holds_across_two_app_instances(make_app, owner):
    first = make_app(LOGIN_FREE_FAILURES=2)
    second = make_app(LOGIN_FREE_FAILURES=2)
    with clock.frozen(T0):
        assert post_login(first.test_client(), owner["email"], "wrong-password-1").status_code == 422
        assert post_login(second.test_client(), owner["email"], "wrong-password-1").status_code == 422
        assert post_login(first.test_client(), owner["email"], PASSWORD).status_code == 429


# --- known devices ------------------------------------------------------------------------------

def device_of(app, owner):
    """A client that signed in as `owner` once (so it carries his known-device cookie), signed out again."""
    device = app.test_client()
    assert post_login(device, owner["email"], PASSWORD, ip="203.0.113.5").status_code == 303
    assert device.post("/auth/logout").status_code == 303
    return device


def test_a_known_device_is_not_held_back_by_failures_elsewhere_or_at_its_own_address(app, client, owner, few_free):
    device = device_of(app, owner)
    with clock.frozen(T0):
        for ip in ("198.51.100.1", "198.51.100.2", "203.0.113.5", "203.0.113.5"):
            post_login(client, owner["email"], "wrong-password-1", ip=ip)
        # Four failures overall hold the login back from any new address, and 203.0.113.5 from its own count...
        assert post_login(client, owner["email"], PASSWORD, ip="192.0.2.99").status_code == 429
        # ...but his own phone, at that very address, gets in.
        assert post_login(device, owner["email"], PASSWORD, ip="203.0.113.5").status_code == 303


def test_a_known_device_counts_its_own_failures_and_helps_no_other_login(app, client, owner, make_user, few_free):
    other = make_user("support", email="other@example.test", password=PASSWORD)
    device = device_of(app, owner)
    with clock.frozen(T0):
        for _ in range(3):
            post_login(client, other["email"], "wrong-password-1", ip="203.0.113.5")
        assert post_login(device, other["email"], PASSWORD, ip="203.0.113.5").status_code == 429
        for _ in range(3):
            post_login(device, owner["email"], "wrong-password-1", ip="203.0.113.5")
        assert post_login(device, owner["email"], PASSWORD, ip="203.0.113.5").status_code == 429


def test_the_known_device_cookie_is_signed_long_lived_httponly_lax_and_secure_over_https(app, owner, few_free):
    response = post_login(app.test_client(), owner["email"], PASSWORD)
    cookie = next(value for value in response.headers.getlist("Set-Cookie")
                  if value.startswith(KNOWN_DEVICE_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Max-Age=31536000" in cookie
    https = app.test_client().post("/auth/login", base_url="https://localhost",
                                   headers={"Referer": "https://localhost/auth/login"},
                                   data={"login": owner["email"], "password": PASSWORD})
    cookie = next(value for value in https.headers.getlist("Set-Cookie")
                  if value.startswith(KNOWN_DEVICE_COOKIE + "="))
    assert "Secure" in cookie
    # A forged cookie is no known device.
    forger = app.test_client()
    forger.set_cookie(KNOWN_DEVICE_COOKIE, cookie.split(";")[0].split("=", 1)[1][:-3] + "AAA")
    with clock.frozen(T0):
        for _ in range(3):
            post_login(forger, owner["email"], "wrong-password-1")
        assert post_login(forger, owner["email"], PASSWORD).status_code == 429


# --- the admin lifts the delays -----------------------------------------------------------------

def test_staff_lift_a_customers_delays_with_a_csrf_post_and_it_is_audited(app, client, login_as, make_user, few_free,
                                                                          db):
    customer = make_user("customer", password=PASSWORD)
    with clock.frozen(T0):
        for _ in range(3):
            post_login(app.test_client(), customer["phone"], "wrong-password-1")
        login_as("support")
        path = f"/staff/logins/{customer['_id']}/sign-in-delays"
        assert client.post(path, csrf=False).status_code == 400
        response = client.post(path)
        assert response.status_code == 303
        assert response.headers["Location"] == f"/staff/customers/{customer['customer_id']}"
        assert post_login(app.test_client(), customer["phone"], PASSWORD).status_code == 303
    entry = db.audit_log.find_one({"action": "user.lift_sign_in_delays"})
    assert entry["entity_id"] == customer["_id"] and "2 counts cleared" in entry["summary"]
    page = client.get(f"/staff/customers/{customer['customer_id']}").get_data(as_text=True)
    assert f'action="/staff/logins/{customer["_id"]}/sign-in-delays"' in page


def test_only_an_admin_lifts_a_staff_logins_delays(client, login_as, owner, db):
    login_as("support")
    assert client.post(f"/staff/logins/{owner['_id']}/sign-in-delays").status_code == 403
    admin = login_as("admin")
    assert client.post(f"/staff/logins/{owner['_id']}/sign-in-delays").headers["Location"] == "/staff/team"
    assert f'/staff/logins/{admin["_id"]}/sign-in-delays' in client.get("/staff/team").get_data(as_text=True)


# --- per-address limits (Flask-Limiter) ---------------------------------------------------------

def test_one_address_cannot_spray_many_logins_across_workers(make_app, make_user):
    first = make_app(LOGIN_RATE_LIMIT="3 per minute")
    second = make_app(LOGIN_RATE_LIMIT="3 per minute")
    logins = [make_user("support", password=PASSWORD)["email"] for _ in range(4)]
    for app, login in zip((first, second, first), logins):
        assert post_login(app.test_client(), login, "wrong-password-1").status_code == 422
    limited = post_login(second.test_client(), logins[3], PASSWORD)
    assert limited.status_code == 429 and "Too many" in limited.get_data(as_text=True)
    assert post_login(first.test_client(), logins[3], PASSWORD, ip="192.0.2.8").status_code == 303


SIGNUP = {"name": "Neha Joshi", "address": "22 Park Street", "area": "", "password": PASSWORD, "confirm": PASSWORD}


def test_sign_up_is_limited_per_normalised_phone_and_per_address(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNUP_RATE_LIMIT", "2 per hour")
    for spelling, ip in (("99887 76655", "192.0.2.1"), ("+91 9988776655", "192.0.2.2")):
        assert client.post("/auth/signup", data={**SIGNUP, "phone": spelling},
                           environ_base={"REMOTE_ADDR": ip}).status_code == 303
    limited = client.post("/auth/signup", data={**SIGNUP, "phone": "09988776655"},
                          environ_base={"REMOTE_ADDR": "192.0.2.3"})
    assert limited.status_code == 429
    for phone in ("9000000001", "9000000002"):
        client.post("/auth/signup", data={**SIGNUP, "phone": phone}, environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert client.post("/auth/signup", data={**SIGNUP, "phone": "9000000003"},
                       environ_base={"REMOTE_ADDR": "192.0.2.9"}).status_code == 429


def test_bad_link_tokens_from_an_address_do_not_block_a_valid_link_from_it(app, client, round_link, monkeypatch):
    monkeypatch.setitem(app.config, "LINK_REFUSAL_RATE_LIMIT", "10 per minute")
    for n in range(11):
        client.get(f"/l/{round_link.token}{n}")
    assert client.get(f"/l/{round_link.token}x").status_code == 429  # the guesser is stopped...
    assert client.get(round_link.path).status_code == 200  # ...and the real link still opens from his address


# --- sessions that end --------------------------------------------------------------------------

def copy_of(app, client):
    """Another browser holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_logging_out_ends_a_copied_session_too(app, client, owner, db):
    assert post_login(client, owner["email"], PASSWORD).status_code == 303
    thief = copy_of(app, client)
    assert thief.get("/staff/").status_code == 200
    assert client.post("/auth/logout").status_code == 303
    response = thief.get("/staff/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    assert db.audit_log.find_one({"action": "user.sign_out", "entity_id": owner["_id"]})


def test_changing_the_password_ends_other_sessions_and_keeps_this_one(app, client, owner, db):
    post_login(client, owner["email"], PASSWORD)
    thief = copy_of(app, client)
    page = client.get("/auth/password")
    assert page.status_code == 200 and "Current password" in page.get_data(as_text=True)
    response = client.post("/auth/password", data={"current_password": PASSWORD, "password": NEW_PASSWORD,
                                                   "confirm": NEW_PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    assert thief.get("/staff/").status_code == 302
    assert accounts.authenticate(owner["email"], NEW_PASSWORD)["_id"] == owner["_id"]
    assert db.audit_log.find_one({"action": "user.change_password", "entity_id": owner["_id"]})


def test_a_password_change_needs_the_current_password_and_a_good_new_one(client, owner, db):
    post_login(client, owner["email"], PASSWORD)
    response = client.post("/auth/password", data={"current_password": "not-it-at-all", "password": "short",
                                                   "confirm": "short"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "That is not your current password." in page
    assert "at least 10 characters" in page
    response = client.post("/auth/password", data={"current_password": PASSWORD, "password": "boss@example.test",
                                                   "confirm": "boss@example.test"})
    assert response.status_code == 422 and "too easy to guess" in response.get_data(as_text=True)
    assert db.users.find_one({"_id": owner["_id"]})["session_epoch"] == owner["session_epoch"]
    assert client.get("/staff/").status_code == 200


def test_anonymous_visitors_cannot_change_a_password(client):
    assert client.get("/auth/password").status_code == 302


# --- one hash check per login, known or not -----------------------------------------------------

@pytest.fixture
def hash_checks(monkeypatch):
    calls = []
    real = accounts.check_password_hash

    def counting(stored, password):
        calls.append(stored)
        return real(stored, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting)
    return calls


def test_unknown_and_known_logins_each_check_exactly_one_hash(owner, make_user, hash_checks, db):
    invited = make_user("support", email="invited@example.test", password=PASSWORD)
    db.users.update_one({"_id": invited["_id"]}, {"$set": {"password_hash": None}})
    attempts = [("nobody@example.test", PASSWORD), ("9000000009", PASSWORD), ("12345", PASSWORD),
                ("invited@example.test", PASSWORD), (owner["email"], "wrong-password-1"), (owner["email"], PASSWORD)]
    checked = []
    for login, password in attempts:
        hash_checks.clear()
        accounts.authenticate(login, password, ip="192.0.2.1")
        assert len(hash_checks) == 1, login
        checked += hash_checks
    # One dummy hash, made once, the way real ones are; the real one for the real login.
    assert len(set(checked[:4])) == 1 and checked[0].startswith("pbkdf2:sha256:1000$")
    assert checked[4] == checked[5] == owner["password_hash"]


# --- a sign-up does not tell who is a customer ----------------------------------------------------

def test_sign_up_answers_a_taken_phone_exactly_like_a_new_one_and_writes_only_an_audit_entry(app, client, make_user,
                                                                                               db):
    taken = make_user("customer", password=PASSWORD)
    new = client.post("/auth/signup", data={**SIGNUP, "phone": "9988776655"})
    assert new.status_code == 303 and new.headers["Location"] == "/auth/signup/thanks"
    assert client.get("/me/").status_code == 302  # nobody is signed in by signing up
    before = snapshot(db)
    again = app.test_client().post("/auth/signup", data={**SIGNUP, "phone": "+91 " + taken["phone"]})
    assert (again.status_code, again.headers["Location"]) == (new.status_code, new.headers["Location"])
    after = snapshot(db)
    assert {name for name in after if after[name] != before.get(name)} == {"audit_log"}
    entry = db.audit_log.find_one({"action": "customer.signup_taken"})
    assert entry["entity_id"] == taken["_id"]
    thanks = client.get("/auth/signup/thanks").get_data(as_text=True)
    assert "sign in" in thanks and "password-reset link" in thanks
    assert post_login(client, "9988776655", PASSWORD).status_code == 303


# --- a fresh session at sign-in -----------------------------------------------------------------

def test_the_csrf_token_from_before_login_no_longer_works_after_it(client, owner):
    before = client.csrf_token()
    assert post_login(client, owner["email"], PASSWORD).status_code == 303
    assert client.get("/staff/").status_code == 200
    assert client.post("/auth/logout", headers={"X-CSRFToken": before}).status_code == 400
    assert client.post("/auth/logout").status_code == 303


def test_a_reset_link_and_a_password_change_also_start_a_fresh_session(client, login_as, make_user, system):
    customer = make_user("customer", password=PASSWORD)
    token = accounts.create_invite(customer["_id"], actor=system).rsplit("/", 1)[1]
    before = client.csrf_token()
    client.post(f"/auth/invite/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert client.get("/me/").status_code == 200
    assert client.post("/auth/logout", headers={"X-CSRFToken": before}).status_code == 400
    before = client.csrf_token()
    client.post("/auth/password", data={"current_password": NEW_PASSWORD, "password": PASSWORD, "confirm": PASSWORD})
    assert client.post("/auth/logout", headers={"X-CSRFToken": before}).status_code == 400


# --- reset links --------------------------------------------------------------------------------

def test_support_issues_a_reset_link_shared_on_whatsapp_that_works_once_and_ends_old_sessions(app, client, login_as,
                                                                                             make_user, db):
    customer = make_user("customer", password=PASSWORD)
    old_session = app.test_client()
    post_login(old_session, customer["phone"], PASSWORD)
    login_as("support")
    page = client.post(f"/staff/customers/{customer['customer_id']}/invite").get_data(as_text=True)
    assert f"https://wa.me/91{customer['phone']}?text=" in page
    url = re.search(r'value="(http://localhost/auth/invite/[^"]+)"', page).group(1)
    token = url.rsplit("/", 1)[1]
    assert db.audit_log.find_one({"action": "user.reset_link", "entity_id": customer["_id"]})

    person = app.test_client()
    form = person.get(f"/auth/invite/{token}").get_data(as_text=True)
    assert "Choose a new password" in form and "Welcome" not in form
    weak = person.post(f"/auth/invite/{token}", data={"password": "short", "confirm": "short"})
    assert weak.status_code == 422
    done = person.post(f"/auth/invite/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["Location"] == "/me/"
    assert old_session.get("/me/").status_code == 302
    assert person.get(f"/auth/invite/{token}").status_code == 410
    assert accounts.authenticate(customer["phone"], NEW_PASSWORD)
    entry = db.audit_log.find_one({"action": "user.set_password", "entity_id": customer["_id"]})
    assert entry["summary"] == "Password set via reset link"


def test_a_staff_reset_link_is_for_admins_and_has_no_whatsapp_number_without_a_phone(client, login_as, owner, db):
    db.users.update_one({"_id": owner["_id"]}, {"$set": {"phone": None}})
    login_as("support")
    assert client.post(f"/staff/team/{owner['_id']}/reset").status_code == 403
    login_as("admin")
    page = client.post(f"/staff/team/{owner['_id']}/reset").get_data(as_text=True)
    assert "https://wa.me/?text=" in page
    user, _ = accounts.check_invite(re.search(r"/auth/invite/([^\"<\s]+)", page).group(1))
    assert user["invite"]["purpose"] == "reset"


# --- where to go after signing in ---------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("/%09/evil.test", "/staff/"), ("//evil.test", "/staff/"), ("/%5Cevil.test", "/staff/"),
    ("https://evil.test", "/staff/"), ("/%0a/evil.test", "/staff/"), ("/staff%0a", "/staff"),
    ("/staff/customers?q=Ravi", "/staff/customers?q=Ravi"),
])
def test_next_goes_only_to_a_same_site_path(client, owner, raw, expected):
    response = client.post(f"/auth/login?next={raw}", data={"login": owner["email"], "password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == expected


def test_next_takes_a_customer_to_his_bills(client, make_user):
    customer = make_user("customer", password=PASSWORD)
    response = client.post("/auth/login?next=/me/bills", data={"login": customer["phone"], "password": PASSWORD})
    assert response.headers["Location"] == "/me/bills"


# --- all or nothing ------------------------------------------------------------------------------

def test_a_failed_sign_in_is_counted_and_audited_all_or_nothing(owner, db):
    with clock.frozen(T0):
        assert_all_or_nothing(db, lambda: accounts.authenticate(owner["email"], "wrong-password-1", ip="192.0.2.1"))
    assert db.sign_in_failures.count_documents({"identity": owner["email"], "failures": 1}) == 2
    assert db.audit_log.count_documents({"action": "login.failure"}) == 1


def test_a_password_change_and_lifting_delays_are_all_or_nothing(owner, db, system):
    with clock.frozen(T0):
        accounts.authenticate(owner["email"], "wrong-password-1", ip="192.0.2.1")
        actor = Actor.for_user(owner)
        updated, _ = assert_all_or_nothing(db, lambda: accounts.change_password(PASSWORD, NEW_PASSWORD, actor=actor))
        assert updated["session_epoch"] == owner["session_epoch"] + 1
        assert_all_or_nothing(db, lambda: accounts.lift_sign_in_delays(owner["_id"], actor=system))
    assert db.sign_in_failures.count_documents({}) == 0


def test_only_a_signed_in_person_signs_out_or_changes_a_password(db, system):
    with pytest.raises(accounts.Forbidden):
        accounts.end_sessions(actor=system)
    with pytest.raises(accounts.Forbidden):
        accounts.change_password(PASSWORD, NEW_PASSWORD, actor=system)
