"""Request tests: the delivery boy's round, the staff view of the day, supplier demand — per role."""
import pytest

from webapp.services import deliveries

from tests.delivery_fixtures import TODAY, day_now, route  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("day_now")


def confirm_url(customer, day=TODAY):
    return f"/delivery/round/{customer['_id']}/{day.isoformat()}/confirm"


def staff_confirm_url(boy, customer, day=TODAY):
    return f"/staff/day/{boy['_id']}/{customer['_id']}/{day.isoformat()}/confirm"


@pytest.mark.parametrize("url, allowed", [
    ("/delivery/round", {"delivery_boy"}),
    ("/staff/day", {"admin", "marketing", "support"}),
    ("/staff/demand", {"admin", "marketing", "support"}),
    ("/staff/demand.csv", {"admin", "marketing", "support"}),
    ("/supplier/", {"supplier"}),
    ("/supplier/demand.csv", {"supplier"}),
])
@pytest.mark.parametrize("role", ["admin", "marketing", "support", "delivery_boy", "customer", "supplier"])
def test_access_matrix(client, login_as, route, url, allowed, role):
    login_as(role)
    response = client.get(url)
    assert response.status_code == (200 if role in allowed else 403)


def test_anonymous_is_sent_to_login(client, route):
    assert client.get("/delivery/round").status_code == 302
    response = client.post(confirm_url(route.anil), data={"outcome": "full"}, htmx=True)
    assert response.status_code == 401 and "/login" in response.headers["HX-Redirect"]


def test_round_page_lists_stops_in_order_with_van_load(client, login_as, route):
    login_as(route.ravi)
    page = client.get("/delivery/round").get_data(as_text=True)
    assert page.index("Anil") < page.index("Bina")
    assert "Chetan" not in page
    assert 'href="tel:+91' + route.anil["phone"] in page
    assert "One-time" in page and "Load the van" in page
    assert 'name="viewport"' in page and "<html" in page


def test_round_page_for_a_bad_date_is_a_clear_4xx(client, login_as, route):
    login_as(route.ravi)
    for bad in ("2026-13-45", "tomorrow", "2026-3-1", "9" * 40):
        response = client.get(f"/delivery/round?date={bad}")
        assert response.status_code == 422
        assert "2026-01-31" in response.get_data(as_text=True)


def test_confirm_in_full_with_htmx_swaps_the_stop_in_place(client, login_as, route, db):
    login_as(route.ravi)
    response = client.post(confirm_url(route.anil), data={"outcome": "full"}, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert f'id="stop-{route.anil["_id"]}"' in body and 'data-state="DELIVERED"' in body
    assert 'id="round-progress"' not in body  # the page recounts its progress from the stops it shows
    record = db.deliveries.find_one({"order_id": route.anil_sub["_id"]})
    assert record["status"] == "DELIVERED" and record["via"] == "delivery_boy"


def test_plain_form_confirmation_redirects_back_to_the_round(client, login_as, route, db):
    login_as(route.ravi)
    response = client.post(confirm_url(route.anil), data={"outcome": "full"})
    assert response.status_code == 303 and "/delivery/round?date=2026-03-10" in response.headers["Location"]
    page = client.get("/delivery/round").get_data(as_text=True)
    assert '<strong data-count="done">1</strong> of <span data-count="total">2</span> done' in page and 'data-state="DELIVERED"' in page
    assert db.deliveries.count_documents({}) == 1


def test_partial_with_quantity_above_due_comes_back_422_with_the_field_error(client, login_as, route, db):
    login_as(route.ravi)
    field = deliveries.quantity_field(route.anil_sub["_id"], route.milk["_id"])
    curd = deliveries.quantity_field(route.anil_sub["_id"], route.curd["_id"])
    response = client.post(confirm_url(route.anil), data={"outcome": "partial", field: "5", curd: "1"}, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in body
    assert "cannot be more than 2" in body and 'class="field qty-field has-error"' in body
    assert db.deliveries.count_documents({}) == 0


@pytest.mark.parametrize("data", [
    {"outcome": "partial", "qty:SU-x:PR-y": "1"},
    {"outcome": "partial", "qty:broken": "1"},
    {"outcome": "partial", **{f"qty:SU-{n}:PR-1": "1" for n in range(101)}},
    {"outcome": "teleported"},
    {"outcome": "not_delivered"},
    {"outcome": "not_delivered", "reason": "ghosts"},
    {},
])
def test_hand_crafted_confirmations_are_refused_without_writing(client, login_as, route, db, data):
    login_as(route.ravi)
    response = client.post(confirm_url(route.anil), data=data, htmx=True)
    assert response.status_code == 422
    assert db.deliveries.count_documents({}) == 0


def test_partial_and_not_delivered_through_the_page(client, login_as, route, db):
    login_as(route.ravi)
    milk = deliveries.quantity_field(route.anil_sub["_id"], route.milk["_id"])
    curd = deliveries.quantity_field(route.anil_sub["_id"], route.curd["_id"])
    response = client.post(confirm_url(route.anil), data={"outcome": "partial", milk: "1", curd: "1"}, htmx=True)
    assert response.status_code == 200 and 'data-state="PARTIALLY_DELIVERED"' in response.get_data(as_text=True)
    response = client.post(confirm_url(route.bina), data={"outcome": "not_delivered", "reason": "door_locked"},
                           htmx=True)
    assert 'data-state="NOT_DELIVERED"' in response.get_data(as_text=True)
    assert db.orders.find_one({"_id": route.bina_paneer["_id"]})["status"] == "NOT_DELIVERED"


def test_a_delivery_boy_reaching_another_boys_stop_gets_404(client, login_as, route, db):
    login_as(route.ravi)
    assert client.post(confirm_url(route.chetan), data={"outcome": "full"}, htmx=True).status_code == 404
    assert client.post(confirm_url(route.chetan), data={"outcome": "bogus"}, htmx=True).status_code == 404
    assert client.post("/delivery/round/CU-nope/2026-03-10/confirm", data={"outcome": "full"}).status_code == 404
    assert db.deliveries.count_documents({}) == 0


def test_bad_date_in_the_confirm_url_is_a_4xx(client, login_as, route, db):
    login_as(route.ravi)
    response = client.post(confirm_url(route.anil).replace("2026-03-10", "2026-13-45"), data={"outcome": "full"},
                           htmx=True)
    assert 400 <= response.status_code < 500
    assert db.deliveries.count_documents({}) == 0


def test_confirm_without_csrf_is_refused(client, login_as, route, db):
    login_as(route.ravi)
    response = client.post(confirm_url(route.anil), data={"outcome": "full"}, csrf=False)
    assert response.status_code == 400
    assert db.deliveries.count_documents({}) == 0


def test_past_round_is_read_only_for_the_delivery_boy(client, login_as, route):
    login_as(route.ravi)
    page = client.get("/delivery/round?date=2026-03-09").get_data(as_text=True)
    assert "Anil" in page and "Delivered in full" not in page
    response = client.post(confirm_url(route.anil, TODAY.replace(day=9)), data={"outcome": "full"}, htmx=True)
    assert response.status_code == 409


def test_staff_overview_shows_progress_per_boy_and_filters_by_area(client, login_as, route):
    login_as("support")
    deliveries.confirm(route.anil_sub["_id"], TODAY, actor=route.ravi_actor)
    page = client.get("/staff/day").get_data(as_text=True)
    assert "Ravi" in page and "Gopal" in page
    page = client.get("/staff/day?area=Koramangala").get_data(as_text=True)
    assert 'value="Koramangala" selected' in page
    response = client.get("/staff/day", htmx=True)
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    assert client.get("/staff/day?date=2026-02-30").status_code == 422


def test_staff_confirm_and_correct_any_past_day(client, login_as, route, db):
    login_as("admin")
    page = client.get(f"/staff/day/{route.ravi['_id']}?date=2026-03-09").get_data(as_text=True)
    assert "Anil" in page and "Delivered in full" in page
    url = staff_confirm_url(route.ravi, route.anil, TODAY.replace(day=9))
    response = client.post(url, data={"outcome": "full"}, htmx=True)
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    milk = deliveries.quantity_field(route.anil_sub["_id"], route.milk["_id"])
    curd = deliveries.quantity_field(route.anil_sub["_id"], route.curd["_id"])
    client.post(url, data={"outcome": "partial", milk: "1", curd: "0"}, htmx=True)
    record = db.deliveries.find_one({"order_id": route.anil_sub["_id"], "date": "2026-03-09"})
    assert record["status"] == "PARTIALLY_DELIVERED" and record["via"] == "staff" and record["revisions"] == 2
    assert client.get("/staff/day/US-nobody").status_code == 404
    # a stop asked for under another boy's round is not there, and nothing is written
    other = staff_confirm_url(route.gopal, route.anil)
    assert client.post(other, data={"outcome": "full"}, htmx=True).status_code == 404
    assert db.deliveries.count_documents({"date": TODAY.isoformat()}) == 0


def test_supplier_demand_page_and_csv(client, login_as, route):
    login_as("supplier")
    page = client.get("/supplier/?date=2026-03-10").get_data(as_text=True)
    assert "Milk" in page and "Paneer" in page
    response = client.get("/supplier/demand.csv?date=2026-03-10")
    assert response.mimetype == "text/csv"
    assert 'filename="demand-2026-03-10.csv"' in response.headers["Content-Disposition"]
    rows = response.get_data(as_text=True).splitlines()
    assert rows[0] == "date,product_id,product,unit,quantity,orders"
    milk_row = next(row for row in rows if ",Milk," in row)
    assert milk_row.endswith(",4,3")  # Anil 2 + Bina 1 + Chetan 1, three orders
    assert client.get("/supplier/demand.csv?date=2026-02-31").status_code == 422
    response = client.get("/supplier/?date=2026-03-11", htmx=True)
    assert "<html" not in response.get_data(as_text=True)
