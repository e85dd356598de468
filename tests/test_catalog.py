"""Issue 3: the product catalogue — rules in the service, pages per role."""
import pytest

from webapp.db import get_db
from webapp.services import Actor, Forbidden, ValidationError, catalog


def test_create_product_stores_paise_and_audits(system):
    product = catalog.create_product("Milk", "500 ml packet", 3200, actor=system)
    assert product["_id"] == "PR-0001" and product["price_paise"] == 3200 and product["status"] == "active"
    assert get_db().audit_log.find_one({"action": "product.create", "entity_id": product["_id"]})


def test_product_name_is_unique_whatever_the_case(make_product):
    make_product("Paneer")
    with pytest.raises(ValidationError) as caught:
        make_product("  PANEER ")
    assert caught.value.field == "name"
    assert get_db().products.count_documents({}) == 1


@pytest.mark.parametrize("price", [-100, 0, "32.50", 12.5, None, True, catalog.MAX_PRICE_PAISE + 1])
def test_bad_prices_are_field_errors_and_nothing_is_written(system, price):
    with pytest.raises(ValidationError) as caught:
        catalog.create_product("Curd", "400 g cup", price, actor=system)
    assert set(caught.value.errors) == {"price_paise"}
    assert get_db().products.count_documents({}) == 0


def test_empty_name_and_unit_are_reported_together(system):
    with pytest.raises(ValidationError) as caught:
        catalog.create_product(" ", "", 100, actor=system)
    assert set(caught.value.errors) == {"name", "unit"}


def test_price_edit_is_audited_with_before_and_after(make_product, system):
    product = make_product("Bread", "400 g loaf", 4000)
    updated = catalog.update_product(product["_id"], "Bread", "400 g loaf", 4500, actor=system)
    assert updated["price_paise"] == 4500
    entry = get_db().audit_log.find_one({"action": "product.update"})
    assert entry["changes"] == {"price_paise": {"before": 4000, "after": 4500}}
    assert "₹40.00 → ₹45.00" in entry["summary"]


def test_rename_onto_an_existing_name_is_refused(make_product, system):
    make_product("Ghee")
    bread = make_product("Bread")
    with pytest.raises(ValidationError) as caught:
        catalog.update_product(bread["_id"], "ghee", bread["unit"], bread["price_paise"], actor=system)
    assert caught.value.field == "name"
    assert catalog.get_product(bread["_id"])["name"] == "Bread"


@pytest.mark.parametrize("role", ["marketing", "support", "delivery_boy", "customer", "supplier"])
def test_only_admin_changes_the_catalogue(make_user, make_product, role):
    product = make_product()
    actor = Actor.for_user(make_user(role))
    with pytest.raises(Forbidden):
        catalog.update_product(product["_id"], product["name"], product["unit"], 1, actor=actor)
    with pytest.raises(Forbidden):
        catalog.set_status(product["_id"], "discontinued", actor=actor)
    with pytest.raises(Forbidden):
        catalog.create_product("X", "1 kg", 100, actor=actor)
    assert catalog.get_product(product["_id"])["price_paise"] == product["price_paise"]


def test_discontinued_product_cannot_be_ordered_but_still_exists(make_product, system):
    product = make_product("Buttermilk")
    assert catalog.ensure_orderable(catalog.get_product(product["_id"]))["_id"] == product["_id"]
    catalog.set_status(product["_id"], "discontinued", actor=system)
    with pytest.raises(ValidationError, match="discontinued") as caught:
        catalog.ensure_orderable(catalog.get_product(product["_id"]))
    assert caught.value.field == "items"
    assert catalog.get_product(product["_id"])["status"] == "discontinued"
    assert product["_id"] not in [p["_id"] for p in catalog.list_products(include_discontinued=False)]
    assert get_db().audit_log.find_one({"action": "product.discontinue", "entity_id": product["_id"]})
    catalog.set_status(product["_id"], "active", actor=system)
    assert catalog.ensure_orderable(catalog.get_product(product["_id"]))


def test_unknown_product_is_not_orderable():
    with pytest.raises(ValidationError, match="catalogue"):
        catalog.ensure_orderable(catalog.products_by_id(["PR-9999"]).get("PR-9999"))


# --- pages -------------------------------------------------------------------------------------

def test_staff_see_the_catalogue_with_rupee_prices(client, login_as, make_product):
    make_product("Milk", price_paise=3250)
    for role in ("admin", "marketing", "support"):
        login_as(role)
        page = client.get("/staff/products").get_data(as_text=True)
        assert "Milk" in page and "₹32.50" in page


@pytest.mark.parametrize("role,status", [("delivery_boy", 403), ("customer", 403), ("supplier", 403)])
def test_others_cannot_see_the_staff_catalogue(client, login_as, role, status):
    login_as(role)
    assert client.get("/staff/products").status_code == status


def test_admin_creates_a_product_with_a_rupee_price(client, login_as):
    login_as("admin")
    response = client.post("/staff/products/new", data={"name": "Curd", "unit": "400 g cup", "price_paise": "45.50"})
    assert response.status_code == 303
    assert get_db().products.find_one({"name": "Curd"})["price_paise"] == 4550


@pytest.mark.parametrize("price,message", [("-5", "more than zero"), ("abc", "like 32.50"), ("", "required")])
def test_bad_price_in_the_form_is_shown_by_the_field(client, login_as, price, message):
    login_as("admin")
    response = client.post("/staff/products/new", data={"name": "Curd", "unit": "400 g cup", "price_paise": price})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert get_db().products.count_documents({}) == 0


def test_duplicate_name_in_the_form_is_shown_by_the_field(client, login_as, make_product):
    make_product("Curd")
    login_as("admin")
    response = client.post("/staff/products/new", data={"name": "curd", "unit": "cup", "price_paise": "10"})
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)


def test_marketing_cannot_edit_prices(client, login_as, make_product):
    product = make_product(price_paise=3000)
    login_as("marketing")
    assert client.get(f"/staff/products/{product['_id']}/edit").status_code == 403
    response = client.post(f"/staff/products/{product['_id']}/edit",
                           data={"name": product["name"], "unit": product["unit"], "price_paise": "1.00"})
    assert response.status_code == 403
    assert catalog.get_product(product["_id"])["price_paise"] == 3000
    assert "/edit" not in client.get("/staff/products").get_data(as_text=True)


def test_admin_edits_a_price_and_discontinues(client, login_as, make_product):
    product = make_product(price_paise=3000)
    login_as("admin")
    response = client.post(f"/staff/products/{product['_id']}/edit",
                           data={"name": product["name"], "unit": product["unit"], "price_paise": "31.00"})
    assert response.status_code == 303
    assert catalog.get_product(product["_id"])["price_paise"] == 3100
    response = client.post(f"/staff/products/{product['_id']}/status", data={"status": "discontinued"})
    assert response.status_code == 303
    assert catalog.get_product(product["_id"])["status"] == "discontinued"
    assert "Discontinued" in client.get("/staff/products").get_data(as_text=True)


def test_unknown_product_page_is_404(client, login_as):
    login_as("admin")
    assert client.get("/staff/products/PR-9999/edit").status_code == 404
    assert client.post("/staff/products/PR-9999/status", data={"status": "discontinued"}).status_code == 404
