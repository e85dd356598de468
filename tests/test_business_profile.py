"""The business profile: the dairy's details (admin only, audited, checked by the field) and its logo (PNG or
JPEG by its bytes, at most 200 KB, served publicly with its content type)."""
import io

import pytest

from webapp.services import Forbidden, ValidationError, business_profile
from webapp.services.business_profile import MAX_LOGO_BYTES

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
FORM = {"name": "Gokul Dairy", "address": "12 MG Road", "phone": "98765 43210", "gstin": "29aapfu0939f1zv",
        "fssai": "1122 3344 5566 77", "upi_id": "gokul@okhdfcbank", "payee_name": "Gokul Dairy Farms", "footer": ""}


def test_until_it_is_filled_in_the_profile_has_defaults():
    profile = business_profile.get()
    assert profile["name"] == "EarlyBird" and profile["upi_id"] == "" and profile["logo_version"] is None


def test_an_admin_changes_it_and_the_audit_keeps_before_and_after(db, system):
    business_profile.update(FORM, actor=system)
    profile = business_profile.update({**FORM, "name": "Gokul Dairy Farms"}, actor=system)
    assert profile["name"] == "Gokul Dairy Farms"
    assert (profile["phone"], profile["gstin"], profile["fssai"]) == ("9876543210", "29AAPFU0939F1ZV", "11223344556677")
    entries = list(db.audit_log.find({"action": "business_profile.update"}).sort("at", 1))
    assert len(entries) == 2
    assert entries[1]["changes"] == {"name": {"before": "Gokul Dairy", "after": "Gokul Dairy Farms"}}
    business_profile.update({**FORM, "name": "Gokul Dairy Farms"}, actor=system)  # nothing changed: no entry
    assert db.audit_log.count_documents({"action": "business_profile.update"}) == 2


@pytest.mark.parametrize("field, value", [("gstin", "29AAPFU0939F1Z"), ("fssai", "12345"), ("upi_id", "gokul"),
                                          ("upi_id", "a b@okaxis"), ("phone", "12345"), ("name", " "),
                                          ("payee_name", "")])
def test_wrong_details_are_refused_by_their_field(db, system, field, value):
    with pytest.raises(ValidationError) as caught:
        business_profile.update({**FORM, field: value}, actor=system)
    assert field in caught.value.errors
    assert db.settings.count_documents({}) == 0


@pytest.mark.parametrize("role", ["marketing", "support", "customer"])
def test_only_an_admin_changes_it(make_user, role):
    from webapp.services import Actor

    with pytest.raises(Forbidden):
        business_profile.update(FORM, actor=Actor.for_user(make_user(role)))


@pytest.mark.parametrize("role, status", [("admin", 200), ("marketing", 403), ("support", 403), ("customer", 403),
                                          ("delivery_boy", 403), ("supplier", 403)])
def test_the_settings_page_per_role(client, login_as, role, status):
    login_as(role)
    assert client.get("/staff/billing/business").status_code == status
    assert client.post("/staff/billing/business", data=FORM).status_code in ({303} if status == 200 else {403})


def test_the_settings_form_saves_and_shows_errors_by_the_field(client, login_as, db):
    login_as("admin")
    response = client.post("/staff/billing/business", data={**FORM, "gstin": "NOT-A-GSTIN"})
    assert response.status_code == 422
    assert "Enter the 15-character GSTIN" in response.get_data(as_text=True)
    assert db.settings.count_documents({}) == 0
    assert client.post("/staff/billing/business", data=FORM).status_code == 303
    page = client.get("/staff/billing/business").get_data(as_text=True)
    assert 'value="gokul@okhdfcbank"' in page and "GSTIN 29AAPFU0939F1ZV" in page


def upload(client, data, name="logo.png", field="logo"):
    return client.post("/staff/billing/business/logo", data={field: (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


@pytest.mark.parametrize("data, content_type", [(PNG, "image/png"), (JPEG, "image/jpeg")])
def test_a_logo_is_stored_and_served_with_its_type(client, login_as, db, data, content_type):
    login_as("admin")
    assert upload(client, data, name="whatever.gif").status_code == 303
    version = business_profile.get()["logo_version"]
    assert db.audit_log.count_documents({"action": "business_profile.logo"}) == 1
    client.post("/auth/logout")
    with client.session_transaction() as session:
        session.clear()
    served = client.get(f"/staff/billing/business/logo?v={version}")  # public: shared bill links show it
    assert served.status_code == 200 and served.data == data
    assert served.headers["Content-Type"] == content_type
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/staff/billing/business/logo?v=000000000000").status_code == 404


@pytest.mark.parametrize("data, message", [(b"GIF89a" + b"\x00" * 64, "must be a PNG or JPEG"),
                                           (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "must be a PNG or JPEG"),
                                           (PNG + b"\x00" * MAX_LOGO_BYTES, "at most 200 KB"),
                                           (b"", "Choose a PNG or JPEG file")])
def test_anything_but_a_small_png_or_jpeg_is_refused(client, login_as, db, data, message):
    login_as("admin")
    response = upload(client, data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert business_profile.get()["logo_version"] is None


def test_a_file_goes_only_to_the_logo_field_of_the_logo_form(client, login_as):
    login_as("admin")
    assert upload(client, PNG, field="attachment").status_code == 400
    response = client.post("/staff/billing/business", data={**FORM, "logo": (io.BytesIO(PNG), "logo.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 400


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(client, login_as):
    login_as("admin")
    assert upload(client, PNG + b"\x00" * (400 * 1024)).status_code == 413


def test_only_an_admin_uploads_or_removes_the_logo(client, login_as, system):
    business_profile.set_logo(PNG, actor=system)
    login_as("marketing")
    assert upload(client, JPEG).status_code == 403
    assert client.post("/staff/billing/business/logo/remove").status_code == 403
    login_as("admin")
    assert client.post("/staff/billing/business/logo/remove").status_code == 303
    assert business_profile.get()["logo_version"] is None


def test_the_logo_heads_the_bill_pages(client, login_as, system):
    business_profile.set_logo(PNG, actor=system)
    version = business_profile.get()["logo_version"]
    login_as("admin")
    page = client.get("/staff/billing/business").get_data(as_text=True)
    assert f'src="/staff/billing/business/logo?v={version}"' in page
