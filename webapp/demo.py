"""The demo business seeded by `make run` on first run, through the services like any user.

Each area adds its step to STEPS; steps run in order, each given the system actor and the
shared `context` dict (ids created by earlier steps).
"""
from webapp.db import get_db
from webapp.services import Actor, accounts

DEMO_PASSWORD = "earlybird-demo"
# (role, login, name): every login printed by `make run`; later steps add theirs here.
DEMO_LOGINS = [
    ("admin", "admin@earlybird.test", "Asha Admin"),
    ("marketing", "marketing@earlybird.test", "Manoj Marketing"),
    ("support", "support@earlybird.test", "Sunita Support"),
    ("supplier", "supplier@earlybird.test", "Shree Dairy Supplier"),
]


def seed_staff(actor, context):
    users = {}
    for role, email, name in DEMO_LOGINS:
        users[role] = accounts.create_user(email, name, role, password=DEMO_PASSWORD, actor=actor)
    context["users"] = users


STEPS = [seed_staff]


def seed_if_empty():
    """Seed once: only when there is no login at all. Returns True if it seeded."""
    if get_db().users.estimated_document_count():
        return False
    actor = Actor.system("seed-demo")
    context = {}
    for step in STEPS:
        step(actor, context)
    return True


def logins_text():
    rows = [f"  {role:<13} {email:<32} {DEMO_PASSWORD}" for role, email, _ in DEMO_LOGINS]
    return "Demo logins (open http://127.0.0.1:5000):\n" + "\n".join(rows)
