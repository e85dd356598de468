"""The service layer: the only code that writes to MongoDB.

Every entry point takes plain values plus a keyword `actor` (last), checks permission
from that actor, makes its writes and their audit entries in one unit of work
(`uow.run`), and returns plain data or raises one of the errors below.
"""
from dataclasses import dataclass, field


class ServiceError(Exception):
    """An error a person can read. `field` names the form field it concerns, if any."""

    status = 400

    def __init__(self, message, *, field=None, errors=None):
        super().__init__(message)
        self.message = message
        self.field = field
        # {field: message} when several fields are wrong at once.
        self.errors = dict(errors or ({field: message} if field else {}))


class ValidationError(ServiceError):
    """Bad input; nothing was written."""

    status = 422


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    """The current state forbids it: a cancelled order, an issued bill, a date past the cut-off."""

    status = 409


STAFF_ROLES = ("admin", "marketing", "support")
ROLES = STAFF_ROLES + ("delivery_boy", "customer", "supplier")


@dataclass(frozen=True)
class Actor:
    """Who acts: a logged-in user, a signed shared link, or the system (CLI, migrations)."""

    kind: str  # "user" | "link" | "system"
    id: str
    role: str | None = None
    ip: str | None = None
    customer_id: str | None = None
    # A link actor carries the link record it was opened with, so its scope is checked without a re-read.
    link: dict | None = field(default=None, compare=False, repr=False)

    @classmethod
    def system(cls, name="system"):
        return cls("system", name, "system")

    @classmethod
    def for_user(cls, user, ip=None):
        doc = user if isinstance(user, dict) else user.doc
        return cls("user", doc["_id"], doc["role"], ip, doc.get("customer_id"))

    @classmethod
    def for_link(cls, link, ip=None):
        return cls("link", link["_id"], "link", ip, link=link)

    @property
    def is_staff(self):
        return self.kind == "user" and self.role in STAFF_ROLES

    @property
    def is_system(self):
        return self.kind == "system"

    def has_role(self, *roles):
        return self.kind == "user" and self.role in roles

    def as_doc(self):
        """How the actor is stored on records and in the audit log."""
        return {"kind": self.kind, "id": self.id, "role": self.role, "ip": self.ip}

    def require(self, *roles):
        """Raise Forbidden unless the actor is the system or a user with one of `roles`."""
        if self.is_system or self.has_role(*roles):
            return
        raise Forbidden("You are not allowed to do that.")
