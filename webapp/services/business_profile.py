"""The dairy's own details printed on every bill and receipt: name, address, phone, GSTIN, FSSAI licence,
UPI ID and payee name, the bill footer and a logo. One document (`settings`, `_id` "business_profile");
until an admin fills it in, `get()` answers the defaults."""
import hashlib
import re

from webapp import clock
from webapp.db import get_db
from webapp.services import NotFound, ValidationError, uow, validate

PROFILE_ID = "business_profile"
DEFAULTS = {"name": "EarlyBird", "address": "", "phone": "", "gstin": "", "fssai": "", "upi_id": "",
            "payee_name": "", "footer": "", "logo_version": None}
FIELDS = ("name", "address", "phone", "gstin", "fssai", "upi_id", "payee_name", "footer")
LABELS = {"name": "Dairy name", "address": "Address", "phone": "Phone", "gstin": "GSTIN",
          "fssai": "FSSAI licence number", "upi_id": "UPI ID", "payee_name": "Payee name", "footer": "Bill footer"}
# GSTIN: state code, the holder's PAN, entity number, "Z", check character.
GSTIN_RE = re.compile(r"[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]")
FSSAI_RE = re.compile(r"[0-9]{14}")
# A UPI virtual payment address: handle@provider (NPCI allows letters, digits, dot, hyphen and underscore).
UPI_ID_RE = re.compile(r"[A-Za-z0-9._-]{2,64}@[A-Za-z][A-Za-z0-9]{1,63}")
MAX_LOGO_BYTES = 200 * 1024
LOGO_TYPES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


def get():
    """The business profile as a plain dict with every field (defaults where unset), without the logo bytes;
    `logo_version` is None without a logo, else a short hash to put in the logo's URL. One read."""
    stored = get_db().settings.find_one({"_id": PROFILE_ID}, {"logo.data": 0}) or {}
    profile = {key: stored.get(key) or default for key, default in DEFAULTS.items() if key != "logo_version"}
    profile["logo_version"] = (stored.get("logo") or {}).get("version")
    return profile


def logo(version):
    """The logo of that version as {data: bytes, content_type, version}; NotFound without one or for an older
    version (its URL names its content, so it is cached for good)."""
    stored = get_db().settings.find_one({"_id": PROFILE_ID, "logo.version": str(version)}, {"logo": 1})
    if stored is None:
        raise NotFound("No such logo.")
    return stored["logo"]


def clean_profile(values):
    """The fields as they are stored: text cleaned, optional ones may be empty, codes in upper case."""
    errors = validate.Errors()
    cleaned = {
        "name": errors.check("name", validate.text, values.get("name"), "name", label=LABELS["name"], max_length=80),
        "address": errors.check("address", validate.text, values.get("address"), "address", label=LABELS["address"],
                                max_length=300, required=False, multiline=True),
        "payee_name": errors.check("payee_name", validate.text, values.get("payee_name"), "payee_name",
                                   label=LABELS["payee_name"], max_length=80, required=False),
        "footer": errors.check("footer", validate.text, values.get("footer"), "footer", label=LABELS["footer"],
                               max_length=500, required=False, multiline=True),
    }
    phone = (values.get("phone") or "").strip()
    cleaned["phone"] = errors.check("phone", validate.phone, phone, "phone") if phone else ""
    gstin = validate.ascii_digits(values.get("gstin") or "").strip().upper()
    if gstin and not GSTIN_RE.fullmatch(gstin):
        errors.add("gstin", "Enter the 15-character GSTIN, like 27AAPFU0939F1ZV.")
    cleaned["gstin"] = gstin
    fssai = re.sub(r"\s", "", validate.ascii_digits(values.get("fssai") or ""))
    if fssai and not FSSAI_RE.fullmatch(fssai):
        errors.add("fssai", "Enter the 14-digit FSSAI licence number.")
    cleaned["fssai"] = fssai
    upi_id = (values.get("upi_id") or "").strip()
    if upi_id and not UPI_ID_RE.fullmatch(upi_id):
        errors.add("upi_id", "Enter a UPI ID like dairy@okhdfcbank.")
    cleaned["upi_id"] = upi_id
    if upi_id and not cleaned["payee_name"] and "payee_name" not in errors.errors:
        errors.add("payee_name", "Enter the payee name the UPI app shows (the account holder's name).")
    errors.raise_if_any()
    return cleaned


def update(values, *, actor):
    """Change the business profile (admin); the audit keeps every value before and after."""
    actor.require("admin")
    wanted = clean_profile(values)

    def work(u):
        before = u.db.settings.find_one({"_id": PROFILE_ID}, {"logo": 0}) or {}
        changes = {key: {"before": before.get(key, ""), "after": value}
                   for key, value in wanted.items() if before.get(key, "") != value}
        if not changes:
            return get()
        u.db.settings.update_one({"_id": PROFILE_ID}, {"$set": {**wanted, "updated_at": clock.now()}}, upsert=True)
        u.record("business_profile.update", "settings", PROFILE_ID,
                 "Changed the business profile: " + ", ".join(LABELS[key] for key in changes), changes=changes)
        return wanted

    uow.run(actor, work)
    return get()


def logo_type(data):
    """The content type of a PNG or JPEG told by its first bytes (magic numbers), else None."""
    return next((content_type for magic, content_type in LOGO_TYPES if data.startswith(magic)), None)


def set_logo(data, *, actor):
    """Store a new logo (admin): a PNG or JPEG of at most 200 KB, told by its bytes, not its name."""
    actor.require("admin")
    if not data:
        raise ValidationError("Choose a PNG or JPEG file.", field="logo")
    if len(data) > MAX_LOGO_BYTES:
        raise ValidationError("The logo must be at most 200 KB.", field="logo")
    content_type = logo_type(data)
    if content_type is None:
        raise ValidationError("The logo must be a PNG or JPEG image.", field="logo")
    version = hashlib.sha256(data).hexdigest()[:12]

    def work(u):
        u.db.settings.update_one(
            {"_id": PROFILE_ID},
            {"$set": {"logo": {"data": data, "content_type": content_type, "version": version},
                      "updated_at": clock.now()}},
            upsert=True)
        u.record("business_profile.logo", "settings", PROFILE_ID,
                 f"New logo ({content_type}, {len(data) // 1024 or 1} KB)", changes={"logo": {"after": version}})

    uow.run(actor, work)
    return get()


def remove_logo(*, actor):
    """Take the logo off the bills (admin)."""
    actor.require("admin")

    def work(u):
        before = u.db.settings.find_one_and_update({"_id": PROFILE_ID, "logo": {"$ne": None}},
                                                   {"$set": {"logo": None, "updated_at": clock.now()}},
                                                   projection={"logo.version": 1})
        if before is not None:
            u.record("business_profile.logo", "settings", PROFILE_ID, "Removed the logo",
                     changes={"logo": {"before": before["logo"]["version"], "after": None}})

    uow.run(actor, work)
    return get()
