"""Exports: customers, orders, deliveries (a date range) and bills stream from a cursor as CSV, every cell
neutralised against spreadsheet formulas; admin only."""
import csv
import io
import types
from datetime import date

import pytest

from tests.billing_fixtures import AFTER_MONTH
from webapp import clock
from webapp.services import Actor, Forbidden, ValidationError, exports


def read_csv(text):
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def admin(make_user):
    return Actor.for_user(make_user("admin"))


@pytest.fixture
def many_customers(db):
    count = 2 * exports.BATCH_SIZE + 500
    db.customers.insert_many([{"_id": f"CU-{n:06d}", "name": f"Customer {n}", "phone": f"9{n:09d}",
                               "address": "1 Lake Road", "area": "Indiranagar", "status": "active"}
                              for n in range(count)])
    return count


class CountingDatabase:
    """The app's database whose cursors count the documents the export has taken from them."""

    def __init__(self, db):
        self.db = db
        self.taken = 0

    def __getattr__(self, name):
        collection = getattr(self.db, name)
        counter = self

        def find(*args, **kwargs):
            cursor = collection.find(*args, **kwargs)

            class Counted:
                def sort(self, *sort_args):
                    cursor.sort(*sort_args)
                    return self

                def __iter__(self):
                    for document in cursor:
                        counter.taken += 1
                        yield document

            return Counted()

        return types.SimpleNamespace(find=find)


def test_an_export_yields_its_first_rows_before_the_cursor_is_exhausted(monkeypatch, db, admin, many_customers):
    counting = CountingDatabase(db)
    monkeypatch.setattr(exports, "get_db", lambda: counting)
    chunks = exports.customers(actor=admin)
    assert counting.taken == 0  # nothing read until the response is sent
    first = next(chunks)
    assert read_csv(first)[0][0] == "customer_id" and len(read_csv(first)) == exports.BATCH_SIZE + 1
    assert counting.taken <= exports.BATCH_SIZE + 1 < many_customers
    rest = list(chunks)
    assert counting.taken == many_customers
    assert sum(len(read_csv(chunk)) for chunk in [first, *rest]) == many_customers + 1


def test_customers_export_neutralises_formulas_and_streams(client, login_as, db):
    db.customers.insert_one({"_id": "CU-X", "name": '=HYPERLINK("http://evil.test","Pay")', "phone": "9876543210",
                             "address": "+91 Lake Road", "area": "@Area", "status": "active"})
    login_as("admin")
    response = client.get("/staff/exports/customers.csv")
    assert response.status_code == 200 and response.is_streamed and response.mimetype == "text/csv"
    assert 'attachment; filename="customers.csv"' == response.headers["Content-Disposition"]
    rows = read_csv(response.get_data(as_text=True))
    row = next(r for r in rows if r[0] == "CU-X")
    assert row[1] == "'=HYPERLINK(\"http://evil.test\",\"Pay\")" and row[4] == "'+91 Lake Road" and row[5] == "'@Area"


def test_orders_deliveries_and_bills_exports(client, login_as, db, make_user, milk, subscribe, deliver, system):
    from webapp.services import billing

    customer = db.customers.find_one({"_id": make_user("customer")["customer_id"]})
    order = subscribe(customer, milk, qty=2)
    deliver(order, [date(2026, 4, 1), date(2026, 4, 2)])
    deliver(order, [date(2026, 4, 3)], {milk["_id"]: 0}, reason="door_locked")
    with clock.frozen(AFTER_MONTH):
        billing.run_month("2026-04", actor=system)
    login_as("admin")
    orders_rows = read_csv(client.get("/staff/exports/orders.csv").get_data(as_text=True))
    assert orders_rows[1][:4] == [order["_id"], "SUBSCRIPTION", customer["_id"], order["status"]]
    assert orders_rows[1][7:11] == ["daily", milk["_id"], "2", "50.00"]
    deliveries_rows = read_csv(client.get(
        "/staff/exports/deliveries.csv?first_day=2026-04-02&last_day=2026-04-30").get_data(as_text=True))
    assert [(r[1], r[6], r[10], r[12]) for r in deliveries_rows[1:]] == [
        ("2026-04-02", "DELIVERED", "2", "100.00"), ("2026-04-03", "NOT_DELIVERED", "0", "0.00")]
    bills_rows = read_csv(client.get("/staff/exports/bills.csv").get_data(as_text=True))
    assert len(bills_rows) == 2 and bills_rows[1][1] == customer["_id"] and bills_rows[1][5] == "200.00"


@pytest.mark.parametrize("query", ["?first_day=2026-04-30&last_day=2026-04-01", "?first_day=x&last_day=y",
                                   "?first_day=2026-01-01&last_day=2027-06-01"])
def test_a_wrong_deliveries_range_is_refused_before_anything_is_sent(client, login_as, query):
    login_as("admin")
    assert client.get("/staff/exports/deliveries.csv" + query).status_code == 422


def test_deliveries_default_to_this_month(client, login_as):
    login_as("admin")
    with clock.frozen(AFTER_MONTH):
        response = client.get("/staff/exports/deliveries.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="deliveries-2026-05-01-2026-05-01.csv"'


def test_the_deliveries_range_is_checked_by_the_service(admin):
    with pytest.raises(ValidationError) as error:
        exports.deliveries("2026-04-30", "2026-04-01", actor=admin)
    assert error.value.field == "last_day"


@pytest.mark.parametrize("role", ["support", "marketing", "delivery_boy", "customer", "supplier"])
def test_only_an_admin_exports(make_user, role):
    actor = Actor.for_user(make_user(role))
    for export in (exports.customers, exports.orders, exports.bills,
                   lambda actor: exports.deliveries("2026-04-01", "2026-04-30", actor=actor)):
        with pytest.raises(Forbidden):
            export(actor=actor)


@pytest.mark.parametrize("role, expected", [("admin", 200), ("support", 403), ("marketing", 403),
                                            ("customer", 403), ("delivery_boy", 403)])
def test_export_pages_access(client, login_as, role, expected):
    login_as(role)
    assert client.get("/staff/exports").status_code == expected
    assert client.get("/staff/exports/bills.csv").status_code == expected
