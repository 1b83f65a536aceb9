"""Fixtures in the style of Warehouse and flaskr.

The schema is built once per run by the migrations (on PostgreSQL when
TEST_DATABASE_URL is set, on a SQLite file otherwise); every test runs in a
transaction that is rolled back at the end, and the app's own commits become
savepoints inside it.
"""

from __future__ import annotations

import os
import re

import pytest
from flask import g
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSession

from app import create_app
from app.config import TestConfig
from app.extensions import db as _db
from app.models import Role, User
from tests.factories import PASSWORD, Factory
from tests import querycount


TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")


def sqlalchemy_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def reset_postgres_schema(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(sqlalchemy_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """The .mo files are built, not committed: compile them when a .po is newer (make test does it too)."""
    from app.i18n_catalog import LOCALES, TRANSLATIONS, compile_catalogs

    for locale in LOCALES:
        po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            compile_catalogs()
            break


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if TEST_DATABASE_URL:
        reset_postgres_schema(TEST_DATABASE_URL)
        return sqlalchemy_url(TEST_DATABASE_URL)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    os.environ.setdefault("AULA_INSTANCE_DIR", str(tmp_path_factory.mktemp("instance")))
    app = create_app({**_config_dict(), "SQLALCHEMY_DATABASE_URI": database_url,
                      "UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads"))})

    def _fresh_request_globals():
        # Tests keep one app context open across requests (so the test and
        # the app share one rolled-back session); start each request with an
        # empty ``g`` as a real one would (Flask-Login's user, Flask-WTF's token).
        for name in list(g):
            g.pop(name)

    # First of the app's hooks, so what they put in ``g`` (the brand) survives.
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_request_globals)

    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    return app


def _config_dict() -> dict:
    return {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}


class _BoundSession(FlaskSession):
    """Flask-SQLAlchemy's session, but always on the test's connection."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return self.bind if self.bind is not None else super().get_bind(mapper, clause, bind, **kwargs)


@pytest.fixture
def db(app):
    with app.app_context():
        connection = _db.engine.connect()
        transaction = connection.begin()
        original = _db.session
        _db.session = _db._make_scoped_session(
            {"bind": connection, "class_": _BoundSession, "join_transaction_mode": "create_savepoint"}
        )
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session = original
            if transaction.is_active:
                transaction.rollback()
            connection.close()


class CommittingClient(FlaskClient):
    """Commits what the test has set up before each request, as if it were in the database."""

    def open(self, *args, **kwargs):
        _db.session.commit()
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app, db):
    from app.extensions import limiter

    limiter.reset()
    app.test_client_class = CommittingClient
    return app.test_client()


@pytest.fixture
def queries(db):
    """``with queries() as counter:`` counts the SQL statements the block sends (``counter.count``)."""
    return lambda: querycount.count_queries(db.engine)


@pytest.fixture
def other_client(app, db):
    return app.test_client()


# --- factories (one module per domain in tests/factories/) ---------------------------


@pytest.fixture
def factory(db) -> Factory:
    return Factory(db)


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def csrf_token(client, path="/auth/login") -> str:
    """The CSRF token of the client's session, as the page at ``path`` carries it."""
    html = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def login(client, email, password=PASSWORD):
    token = csrf_token(client)
    return client.post("/auth/login", data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture
def login_as(client, factory):
    """Log the test client in as a new user of ``role`` (or as ``user``)."""

    def _login_as(role: Role | None = None, user: User | None = None, client_=None, **kwargs) -> User:
        user = user or factory.user(role, **kwargs)
        response = login(client_ or client, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return _login_as


def page_csrf(client, path) -> str:
    return csrf_token(client, path)


@pytest.fixture
def count_queries(db):
    """``with count_queries() as counted: client.get(...)``; then ``counted.count`` (tests/querycount.py)."""
    return lambda: querycount.count_queries(_db.engine)
