"""Settings from environment variables, with safe embedded defaults.

Embedded default (nothing set): SQLite under ``instance/``, jobs run in-process
through RQ's synchronous mode, email printed and logged. Production sets
``DATABASE_URL``, ``REDIS_URL``, ``MAIL_*`` and ``SECRET_KEY``.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("AULA_INSTANCE_DIR", BASE_DIR / "instance"))


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{INSTANCE_DIR / 'aula.db'}"
    # Heroku-style URLs and plain "postgresql://" both go through psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _development_secret_key() -> str:
    """A random key generated once and kept in instance/ (never in git)."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip().lower() for item in os.environ.get(name, default).split(",") if item.strip()]


class Config:
    PLATFORM_NAME = os.environ.get("AULA_PLATFORM_NAME", "Aula")
    # Where the platform is served: links in emails and PDFs are built from it
    # (a whitelabel partner's from https://<its domain>), never from the Host
    # header. Its host is the one host served besides whitelabel domains and
    # EXTRA_TRUSTED_HOSTS; any other Host gets 400.
    PLATFORM_URL = os.environ.get("AULA_PLATFORM_URL", "http://127.0.0.1:8000").rstrip("/")
    EXTRA_TRUSTED_HOSTS = _env_list("AULA_TRUSTED_HOSTS")
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL") or None
    RQ_QUEUE = os.environ.get("RQ_QUEUE", "aula")

    SECRET_KEY = os.environ.get("SECRET_KEY") or None

    # CSRF token is bound to the session and never expires on its own, so a
    # tab left open all day keeps working.
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_SSL_STRICT = True

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(days=14)

    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Aula <no-reply@aula.localhost>")
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", "10"))

    # The languages Aula speaks; the platform default answers when nothing else does
    # (see app.blueprints.language). Catalogs live in app/translations/.
    LANGUAGES = ["en", "it", "pt_BR"]
    BABEL_DEFAULT_LOCALE = os.environ.get("AULA_DEFAULT_LOCALE", "en")
    # The platform's time zone: times are shown in it, and release dates are whole days in it.
    AULA_TIMEZONE = os.environ.get("AULA_TIMEZONE", "Europe/Rome")
    BABEL_DEFAULT_TIMEZONE = AULA_TIMEZONE
    AULA_CURRENCY = os.environ.get("AULA_CURRENCY", "EUR")
    # Homework files: stored outside the web root, at most this many bytes each.
    UPLOAD_DIR = os.environ.get("AULA_UPLOAD_DIR") or str(INSTANCE_DIR / "uploads")
    HOMEWORK_MAX_BYTES = int(os.environ.get("AULA_HOMEWORK_MAX_BYTES", str(10 * 1024 * 1024)))
    # No request body larger than the largest upload (plus room for the form around it): 413 otherwise.
    MAX_CONTENT_LENGTH = HOMEWORK_MAX_BYTES + 1024 * 1024

    # Per address and email (guessing one account), and per address (spraying many).
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    LOGIN_IP_RATE_LIMIT = os.environ.get("LOGIN_IP_RATE_LIMIT", "100 per minute")
    # Number of reverse proxies in front of the app whose X-Forwarded-* to trust.
    PROXY_COUNT = int(os.environ.get("AULA_PROXY_COUNT", "0"))
    # werkzeug's default (scrypt) in production; tests use a cheaper one.
    PASSWORD_HASH_METHOD = os.environ.get("AULA_PASSWORD_HASH", "scrypt")
    RATELIMIT_HEADERS_ENABLED = True
    # Redis down must not stop people signing in: Flask-Limiter logs a warning
    # ("falling back to in-memory storage"), counts in this process until Redis
    # answers again, and swallows (and logs) any other storage error. A Redis
    # that hangs gives up after half a second instead of holding the login.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}

    # How often a retried email is attempted (seconds between attempts).
    EMAIL_RETRY_INTERVALS = [30, 120, 600, 3600]

    # Payments (README "Payments"). Without STRIPE_SECRET_KEY / PAYPAL_CLIENT_ID, checkout offers a
    # clearly marked test-mode payment (only where PAYMENTS_TEST_MODE is on: never by default in
    # production) that signs its event with the test secrets below and posts it through the webhook handler.
    PAYMENTS_TEST_MODE = _env_bool("AULA_PAYMENTS_TEST_MODE", True)
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY") or None
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET") or "whsec_aula_embedded_test_mode_secret"
    STRIPE_WEBHOOK_TOLERANCE = int(os.environ.get("STRIPE_WEBHOOK_TOLERANCE", "300"))
    PAYPAL_CLIENT_ID = os.environ.get("PAYPAL_CLIENT_ID") or None
    PAYPAL_CLIENT_SECRET = os.environ.get("PAYPAL_CLIENT_SECRET") or None
    PAYPAL_WEBHOOK_ID = os.environ.get("PAYPAL_WEBHOOK_ID") or None
    PAYPAL_API_BASE = os.environ.get("PAYPAL_API_BASE", "https://api-m.sandbox.paypal.com")
    PAYPAL_TEST_WEBHOOK_SECRET = os.environ.get("PAYPAL_TEST_WEBHOOK_SECRET") or "aula-embedded-paypal-test-secret"
    PAYPAL_WEBHOOK_TOLERANCE = int(os.environ.get("PAYPAL_WEBHOOK_TOLERANCE", "300"))


class DevelopmentConfig(Config):
    SECRET_KEY = Config.SECRET_KEY or _development_secret_key()
    # http://localhost:8000 works as well as http://127.0.0.1:8000 on a laptop.
    EXTRA_TRUSTED_HOSTS = _env_list("AULA_TRUSTED_HOSTS", "localhost,127.0.0.1")


class ProductionConfig(Config):
    # No embedded secret in production: a webhook without its configured secret is refused (400),
    # and test-mode payments exist only if AULA_PAYMENTS_TEST_MODE says so explicitly.
    PAYMENTS_TEST_MODE = _env_bool("AULA_PAYMENTS_TEST_MODE", False)
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET") or None
    PAYPAL_TEST_WEBHOOK_SECRET = os.environ.get("PAYPAL_TEST_WEBHOOK_SECRET") or None
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def check(cls) -> None:
        if not os.environ.get("SECRET_KEY"):
            raise RuntimeError(
                "SECRET_KEY must be set in production (AULA_ENV=production)."
            )
        if not os.environ.get("AULA_PLATFORM_URL"):
            raise RuntimeError(
                "AULA_PLATFORM_URL must be set in production (AULA_ENV=production): "
                "links in emails are built from it."
            )


class TestConfig(Config):
    TESTING = True
    PLATFORM_URL = "http://localhost"  # the test client's host
    EXTRA_TRUSTED_HOSTS: list[str] = []
    SECRET_KEY = "test-secret-key-not-for-production"
    SQLALCHEMY_DATABASE_URI = "sqlite://"  # replaced by the test fixtures
    MAIL_SERVER = None
    REDIS_URL = None
    LOGIN_RATE_LIMIT = "5 per minute"
    LOGIN_IP_RATE_LIMIT = "1000 per minute"
    WTF_CSRF_SSL_STRICT = False
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"


def config_from_env() -> type[Config]:
    env = os.environ.get("AULA_ENV", "development").lower()
    if env == "production":
        ProductionConfig.check()
        return ProductionConfig
    return DevelopmentConfig
