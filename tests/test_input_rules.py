"""Issue 13, what a person can type or send: passwords hard to guess, digits of any script read as one
number, invisible characters dropped, forms that read strings only, and dates within the business's years."""
from datetime import date, datetime

import pytest

from webapp import clock
from webapp.demo import DEMO_PASSWORD
from webapp.services import ValidationError, accounts, customers, orders, payments, validate

NOW = datetime(2026, 4, 1, 9, 0)


# --- passwords ------------------------------------------------------------------------------------

@pytest.mark.parametrize("weak, why", [
    ("12345678", "at least 10 characters"),
    ("password", "at least 10 characters"),
    ("password12", "This is a very common password."),
    ("aaaaaaaaaaaa", "Repeats like \"aaa\" are easy to guess."),
    ("qwertyuiop", "This is a top-100 common password."),
])
def test_a_weak_password_is_refused_and_the_message_says_why(weak, why):
    with pytest.raises(ValidationError) as caught:
        validate.password(weak)
    assert caught.value.field == "password" and why in caught.value.message


def test_a_password_made_of_the_persons_own_details_is_weak():
    details = ("Neha Joshi", "neha.joshi@example.test", "9988776655")
    assert validate.password("neha-9988776655") == "neha-9988776655"  # strong enough to a stranger
    with pytest.raises(ValidationError) as caught:
        validate.password("neha-9988776655", user_inputs=details)
    assert caught.value.message.startswith(
        "That password is too easy to guess. Your own name, email or mobile number is easy to guess.")


def test_the_phone_in_the_persons_details_counts_in_any_script():
    with pytest.raises(ValidationError):
        validate.password("neha-9988776655", user_inputs=("Neha Joshi", "९९८८७७६६५५"))


@pytest.mark.parametrize("good", [DEMO_PASSWORD, "correct-horse-1", "fresh-milk-2026", "x" * 60 + "-Tq9#vLm2&Rw"])
def test_the_demo_and_fixture_passwords_pass_the_policy(good):
    assert validate.password(good, user_inputs=("Admin", "admin@example.test")) == good


def test_a_password_longer_than_the_estimator_takes_is_judged_not_crashed():
    with pytest.raises(ValidationError):
        validate.password("a" * 150)
    strong = "Tq9#vLm2&Rw-fresh-milk-" * 6
    assert validate.password(strong) == strong


def test_a_refused_password_is_never_hashed(monkeypatch):
    hashed = []
    monkeypatch.setattr(accounts, "hash_password", lambda plain: hashed.append(plain) or "hash")
    with pytest.raises(ValidationError) as caught:
        customers.sign_up("Neha Joshi", "9988776655", "22 Park Street", "password12")
    assert "password" in caught.value.errors and hashed == []


def test_sign_up_page_shows_why_a_password_is_weak(client, db):
    form = {"name": "Neha Joshi", "phone": "9988776655", "address": "22 Park Street", "area": "",
            "password": "password12", "confirm": "password12"}
    response = client.post("/auth/signup", data=form)
    assert response.status_code == 422 and "This is a very common password." in response.text
    short = client.post("/auth/signup", data={**form, "password": "milk-123", "confirm": "milk-123"})
    assert short.status_code == 422 and "Choose a password of at least 10 characters." in short.text
    assert db.users.count_documents({}) == 0


# --- look-alike digits and invisible characters ----------------------------------------------------

@pytest.mark.parametrize("typed", ["९८७६५४३२१०", "૯૮૭૬૫૪૩૨૧૦", "９８７６５４３２１０", "+९१ ९८७६५-४३२१०", "0９８７６５４３２１０",
                                   "98765\u200b43210"])
def test_a_mobile_number_in_any_script_is_stored_in_ascii_digits(typed):
    assert validate.phone(typed) == "9876543210"


def test_the_same_number_in_another_script_is_the_same_login(make_customer, make_user):
    make_customer(phone="9876543210")
    with pytest.raises(ValidationError) as caught:
        make_customer(phone="९८७६५४३२१०")
    assert caught.value.field == "phone" and "already exists" in caught.value.message
    boy = make_user("delivery_boy", phone="9123456780", password="right-password-1")
    assert accounts.authenticate("९१२३४५६७८०", "right-password-1")["_id"] == boy["_id"]
    assert accounts.authenticate("９１２３４５６７８０", "right-password-1")["_id"] == boy["_id"]


def test_a_quantity_in_another_script_or_of_thousands_of_digits_is_a_field_error():
    assert (validate.whole_number("३", "qty"), validate.whole_number("３", "qty")) == (3, 3)
    with pytest.raises(ValidationError) as caught:
        validate.whole_number("9" * 5000, "qty")
    assert caught.value.message == "Quantity cannot be more than 50."
    with pytest.raises(ValidationError) as caught:
        validate.whole_number("-" + "9" * 5000, "qty")
    assert caught.value.message == "Quantity cannot be less than 0."


@pytest.mark.parametrize("typed, kept", [
    ("Asha\u200b Rao", "Asha Rao"),
    ("\ufeffAsha\u2060 Rao\u200d", "Asha Rao"),
    ("Asha \u202eoaR\u202c", "Asha oaR"),
    ("\u2066Asha\u2069 Rao", "Asha Rao"),
    ("Asha\x00\x07 Rao\x7f", "Asha Rao"),
    ("Asha\tRao", "Asha Rao"),
    ("Cafe\u0301 Lane", "Caf\u00e9 Lane"),
    ("12 Lake Road\r\nIndiranagar", "12 Lake Road Indiranagar"),
])
def test_free_text_loses_invisible_and_control_characters_and_is_nfc(typed, kept):
    assert validate.text(typed, "name", label="Name") == kept


def test_a_multi_line_field_keeps_its_line_breaks():
    assert validate.text("12 Lake Road\r\n\u200bIndiranagar\n", "address", label="Address",
                         multiline=True) == "12 Lake Road\nIndiranagar"


def test_text_made_only_of_invisible_characters_is_missing_and_a_non_string_is_refused():
    with pytest.raises(ValidationError) as caught:
        validate.text("\u200b\u200d\ufeff", "name", label="Name")
    assert caught.value.message == "Name is required."
    with pytest.raises(ValidationError) as caught:
        validate.text({"$gt": ""}, "name", label="Name")
    assert caught.value.message == "Name must be text."


def test_a_customer_saved_with_invisible_characters_is_saved_without_them(make_customer):
    customer = make_customer(name="Meena\u200b \u202eIyer", area="Indira\u200bnagar")
    assert (customer["name"], customer["area"]) == ("Meena Iyer", "Indiranagar")


def test_an_email_with_invisible_or_full_width_characters_is_one_spelling():
    assert validate.email("\u200bAsha@Example.test\ufeff") == "asha@example.test"
    assert validate.email("ａｓｈａ＠example.test") == "asha@example.test"


# --- the forms read the browser form, and nothing else ---------------------------------------------

def test_a_form_never_reads_a_json_body_or_files(app):
    from io import BytesIO

    from webapp.forms.catalog import ProductForm

    with app.test_request_context("/", method="POST", json={"name": {"$gt": ""}, "unit": [1, 2]}):
        form = ProductForm(meta={"csrf": False})
        assert (form.name.data, form.unit.data) == (None, None)
    with app.test_request_context("/", method="POST", data={"name": "Milk", "unit": (BytesIO(b"x"), "unit.txt")}):
        form = ProductForm(meta={"csrf": False})
        assert (form.name.data, form.unit.data) == ("Milk", None)


# --- dates at the ends of the calendar ---------------------------------------------------------------

@pytest.mark.parametrize("typed", ["20260401", "2026-W14-3", "2026-04-01T00:00", "२०२६-०४-०१", "2026-02-30",
                                   "0000-01-01", "2026-4-1", ["2026-04-01"], 20260401])
def test_a_date_must_be_written_yyyy_mm_dd(typed):
    with clock.frozen(NOW), pytest.raises(ValidationError) as caught:
        validate.day(typed, "date")
    assert caught.value.message == "Date must be a date like 2026-01-31."


def test_a_date_is_between_the_business_start_and_a_year_ahead(app, monkeypatch):
    with clock.frozen(NOW):
        assert validate.day(" 2026-10-01\n", "date") == date(2026, 10, 1)
        with pytest.raises(ValidationError) as caught:
            validate.day("0001-01-01", "date")
        assert caught.value.message == "Choose a date from 1 January 2020."
        with pytest.raises(ValidationError) as caught:
            validate.day("9999-12-31", "date")
        assert caught.value.message == "Choose a date up to 1 April 2027."
        assert validate.day("2027-04-01", "date") == date(2027, 4, 1)
        monkeypatch.setitem(app.config, "BUSINESS_START_DATE", "2025-06-01")
        with pytest.raises(ValidationError) as caught:
            validate.day(date(2025, 5, 31), "date")
        assert caught.value.message == "Choose a date from 1 June 2025."


def test_a_year_ahead_of_29_february_is_28_february():
    assert validate.one_year_after(date(2028, 2, 29)) == date(2029, 2, 28)


@pytest.mark.parametrize("typed, message", [
    ("0000-01", "Choose a month from January 2020."),
    ("0001-01", "Choose a month from January 2020."),
    ("9999-12", "Choose a month up to April 2027."),
    ("2026-1", "Month must look like 2026-01."),
    ("２０２６-０１", "Month must look like 2026-01."),
    ("2026-13", "Month must look like 2026-01."),
    (202601, "Month must look like 2026-01."),
])
def test_a_month_is_yyyy_mm_within_the_business_years(typed, message):
    with clock.frozen(NOW), pytest.raises(ValidationError) as caught:
        validate.month(typed)
    assert caught.value.message == message


def test_a_month_with_a_trailing_newline_is_that_month():
    with clock.frozen(NOW):
        assert validate.month("2026-10\n") == "2026-10"


def test_orders_reach_at_most_a_year_ahead(make_customer, make_product, make_user, system):
    from webapp.services import Actor

    customer, milk = make_customer(), make_product("Milk")
    staff = Actor.for_user(make_user("admin"))
    items = [{"product_id": milk["_id"], "qty": 1}]
    with clock.frozen(NOW):
        with pytest.raises(ValidationError) as caught:
            orders.create_one_time_order(customer["_id"], items, "9999-12-31", actor=staff)
        assert caught.value.errors == {"delivery_date": "Choose a date up to 1 April 2027."}
        with pytest.raises(ValidationError) as caught:
            orders.create_subscription(customer["_id"], items, {"kind": "daily"}, "2026-04-03", "9999-12-31",
                                       actor=staff)
        assert caught.value.errors == {"end_date": "Choose a date up to 1 April 2027."}
        with pytest.raises(ValidationError) as caught:
            orders.create_subscription(customer["_id"], items, {"kind": "daily"}, "2027-04-02", actor=system)
        assert caught.value.errors == {"start_date": "Choose a date up to 1 April 2027."}
        subscription = orders.create_subscription(customer["_id"], items, {"kind": "daily"}, "2026-04-03",
                                                  actor=staff)
        with pytest.raises(ValidationError) as caught:
            orders.pause(subscription["_id"], "2026-04-05", "9999-12-31", actor=staff)
        assert caught.value.errors == {"last_day": "Choose a date up to 1 April 2027."}
        assert orders.create_one_time_order(customer["_id"], items, "2027-04-01", actor=staff)


def test_the_order_page_says_the_latest_date_next_to_the_field(client, login_as, make_product, system):
    make_product("Milk")
    owner = login_as("customer")
    from webapp.services import catalog

    milk = catalog.list_products()[0]
    with clock.frozen(NOW):
        response = client.post("/me/orders/new/one-time", data={
            "items-0-product_id": milk["_id"], "items-0-qty": "1", "delivery_date": "9999-12-31"})
    assert response.status_code == 422 and "Choose a date up to 1 April 2027." in response.text
    assert orders.orders_of_customer(owner["customer_id"], actor=system) == []


def test_a_payment_is_dated_between_the_business_start_and_today(make_customer, system, db):
    customer = make_customer()
    with clock.frozen(NOW):
        with pytest.raises(ValidationError) as caught:
            payments.record_payment(customer["_id"], 10_000, "cash", received_on="0001-01-01", actor=system)
        assert caught.value.errors == {"received_on": "Choose a date from 1 January 2020."}
        with pytest.raises(ValidationError) as caught:
            payments.record_payment(customer["_id"], 10_000, "cash", received_on="2026-04-02", actor=system)
        assert caught.value.errors == {"received_on": "Date received cannot be in the future."}
        payments.record_payment(customer["_id"], 10_000, "cash", received_on="2026-04-01", actor=system)
    assert [p["received_on"] for p in db.payments.find()] == ["2026-04-01"]


DAY_PAGES = [("admin", "/staff/day"), ("admin", "/staff/demand"), ("admin", "/staff/demand.csv"),
             ("admin", "/staff/orders"), ("supplier", "/supplier/"), ("supplier", "/supplier/demand.csv"),
             ("delivery_boy", "/delivery/round")]


@pytest.mark.parametrize("role, path", DAY_PAGES)
@pytest.mark.parametrize("value, message", [("0001-01-01", "Choose a date from 1 January 2020."),
                                            ("9999-12-31", "Choose a date up to 1 April 2027."),
                                            ("2026-02-30", "must be a date like 2026-01-31.")])
def test_a_page_of_a_day_answers_an_extreme_date_with_a_message(client, login_as, role, path, value, message):
    login_as(role)
    with clock.frozen(NOW):
        response = client.get(path, query_string={"date": value, "day": value})
    assert response.status_code == 422 and message in response.text


@pytest.mark.parametrize("role, path", DAY_PAGES)
def test_a_page_of_a_day_reads_a_date_with_a_trailing_newline(client, login_as, role, path):
    login_as(role)
    with clock.frozen(NOW):
        assert client.get(path, query_string={"date": "2026-10-01\n", "day": "2026-10-01\n"}).status_code == 200


@pytest.mark.parametrize("value", ["0000-01", "9999-12", "2026-10\n", "0001-01"])
def test_a_calendar_answers_an_extreme_month_with_a_message(client, login_as, value):
    owner = login_as("customer")
    with clock.frozen(NOW):
        response = client.get("/me/calendar", query_string={"month": value})
        staff_view = login_as("admin") and client.get(f"/staff/customers/{owner['customer_id']}/orders",
                                                      query_string={"month": value})
    if value == "2026-10\n":
        assert (response.status_code, staff_view.status_code) == (200, 200)
    else:
        assert (response.status_code, staff_view.status_code) == (422, 422)
        assert "Choose a month" in response.text and "Choose a month" in staff_view.text


def test_a_page_number_in_another_script_is_the_first_page(client, login_as):
    login_as("admin")
    assert client.get("/staff/customers", query_string={"page": "²"}).status_code == 200
