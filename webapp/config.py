"""Settings from environment variables, with safe defaults.

`load_config(overrides)` is what `create_app` uses; tests pass their own overrides.
"""
import ipaddress
import os
import secrets
from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("EARLYBIRD_INSTANCE_DIR", PROJECT_ROOT / "instance"))


def _env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _env_date(name, default):
    """An ISO date from the environment, checked when the app starts (a bad one would refuse every date typed)."""
    value = os.environ.get(name) or default
    try:
        date.fromisoformat(value)
    except ValueError:
        raise RuntimeError(f"{name} must be a date written YYYY-MM-DD, not {value!r}") from None
    return value


def _env_networks(name, default):
    """Comma-separated networks (CIDR) from the environment, checked when the app starts."""
    networks = [n.strip() for n in (os.environ.get(name) or default).split(",") if n.strip()]
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise RuntimeError(f"{name} must list networks like 10.0.0.0/8, not {network!r}") from None
    return networks


def instance_secret_key(instance_dir=INSTANCE_DIR):
    """The key kept in instance/secret_key, created once (atomically, so racing workers agree)."""
    instance_dir = Path(instance_dir)
    instance_dir.mkdir(parents=True, exist_ok=True)
    path = instance_dir / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def load_config(overrides=None):
    overrides = dict(overrides or {})
    config = {
        # Database: unset MONGO_URI means "start the embedded server under instance/db".
        "MONGO_URI": os.environ.get("MONGO_URI") or None,
        "MONGO_DBNAME": os.environ.get("MONGO_DBNAME", "earlybird"),
        # How long a request waits for an unreachable database before the "try again shortly" page (503).
        "MONGO_SERVER_SELECTION_MS": _env_int("MONGO_SERVER_SELECTION_MS", 1500),
        "EMBEDDED_DB_PORT": _env_int("EMBEDDED_DB_PORT", 27817),
        "EMBEDDED_DB_PATH": str(INSTANCE_DIR / "db"),
        # Rate limits live in MongoDB so they hold across workers; None = the app's database server.
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI") or None,
        "RATELIMIT_STRATEGY": "moving-window",
        "RATELIMIT_HEADERS_ENABLED": True,
        # Sign-in: every attempt from one client address, whatever login it names (Flask-Limiter).
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "60 per minute"),
        # Failed sign-ins per (login, address): this many are free, then each failure doubles the wait from
        # LOGIN_DELAY_SECONDS up to LOGIN_MAX_DELAY_SECONDS. The login's count over every address has more
        # free failures. A device that signed in before (known-device cookie) is counted on its own.
        "LOGIN_FREE_FAILURES": _env_int("LOGIN_FREE_FAILURES", 5),
        "LOGIN_FREE_FAILURES_OVERALL": _env_int("LOGIN_FREE_FAILURES_OVERALL", 20),
        "LOGIN_DELAY_SECONDS": _env_int("LOGIN_DELAY_SECONDS", 15),
        "LOGIN_MAX_DELAY_SECONDS": _env_int("LOGIN_MAX_DELAY_SECONDS", 15 * 60),
        "KNOWN_DEVICE_DAYS": _env_int("KNOWN_DEVICE_DAYS", 365),
        # Self sign-up, per client address and per mobile number.
        "SIGNUP_RATE_LIMIT": os.environ.get("SIGNUP_RATE_LIMIT", "10 per hour"),
        # Shared links (/l/...): every request of one link (page views and actions together), and
        # refused tokens (invalid, expired, revoked) per client address; only refusals count there.
        "LINK_RATE_LIMIT": os.environ.get("LINK_RATE_LIMIT", "60 per minute"),
        "LINK_REFUSAL_RATE_LIMIT": os.environ.get("LINK_REFUSAL_RATE_LIMIT", "10 per minute"),
        # Default lifetime of a bill link, in days (a round link lasts until the end of its day).
        "BILL_LINK_DAYS": _env_int("BILL_LINK_DAYS", 30),
        # Business rules
        "BUSINESS_TZ": os.environ.get("BUSINESS_TZ", "Asia/Kolkata"),
        "CUTOFF_HOUR": _env_int("CUTOFF_HOUR", 21),
        # Nothing a person types (payments, orders, months) is dated before the business started.
        "BUSINESS_START_DATE": _env_date("BUSINESS_START_DATE", "2020-01-01"),
        "INVITE_MAX_AGE_HOURS": _env_int("INVITE_MAX_AGE_HOURS", 72),
        # A billing run silent this long lost its process: it is marked failed and its month can run again.
        "BILLING_HEARTBEAT_SECONDS": _env_int("BILLING_HEARTBEAT_SECONDS", 60),
        # For this many days after a bill is issued its customer may question its lines (not overdue while open).
        "BILL_QUESTION_DAYS": _env_int("BILL_QUESTION_DAYS", 7),
        # Returnable bottles still with a customer this many days after their delivery are charged (services/bottles.py)
        "BOTTLE_RETURN_DAYS": _env_int("BOTTLE_RETURN_DAYS", 14),
        # Links in invites and shared links are built from this when there is no request.
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000"),
        # Cookies: HttpOnly and SameSite=Lax always; Secure whenever the request came over https.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        # Number of proxies in front of the app whose X-Forwarded-* headers are trusted.
        "TRUSTED_PROXIES": _env_int("TRUSTED_PROXIES", 0),
        "WTF_CSRF_TIME_LIMIT": None,
        # A form here is a few kilobytes; anything larger is refused with 413 before it is read (imports and
        # restores go through the command line, not the web).
        "MAX_CONTENT_LENGTH": _env_int("MAX_CONTENT_LENGTH", 64 * 1024),
        # Who may read /metrics without signing in as an admin: the Prometheus scraper's addresses.
        "METRICS_ALLOWED_NETWORKS": _env_networks("METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128"),
        "TESTING": False,
    }
    config.update(overrides)
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or instance_secret_key()
    return config
