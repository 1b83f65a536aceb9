"""Fixtures in the style of Warehouse and flaskr.

The schema is built once per run by the migrations (on PostgreSQL when
TEST_DATABASE_URL is set, on a SQLite file otherwise); every test runs in a
transaction that is rolled back at the end, and the app's own commits become
savepoints inside it.
"""

from __future__ import annotations

import itertools
import os
import re

import pytest
from flask import g
from flask.testing import FlaskClient
from flask_sqlalchemy.session import Session as FlaskSession

from app import create_app
from app.config import TestConfig
from app.extensions import db as _db
from app.models import Course, Partner, Reseller, Role, User
from app.services.ledger import wallets
from app.services.people.users import create_user
from tests.querycount import count_queries

PASSWORD = "correct horse battery"

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


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if TEST_DATABASE_URL:
        reset_postgres_schema(TEST_DATABASE_URL)
        return sqlalchemy_url(TEST_DATABASE_URL)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    os.environ.setdefault("AULA_INSTANCE_DIR", str(tmp_path_factory.mktemp("instance")))
    app = create_app({**_config_dict(), "SQLALCHEMY_DATABASE_URI": database_url})

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
    return lambda: count_queries(db.engine)


@pytest.fixture
def other_client(app, db):
    return app.test_client()


# --- factories -----------------------------------------------------------------

_seq = itertools.count(1)


class Factory:
    """Builds domain objects through the services, like the app does."""

    def __init__(self, db):
        self.db = db

    def n(self) -> int:
        return next(_seq)

    def partner(self, name=None, credits=0, **kwargs) -> Partner:
        partner = Partner(name=name or f"Partner {self.n()}", kind=kwargs.pop("kind", "default"), **kwargs)
        self.db.session.add(partner)
        self.db.session.flush()
        wallet = wallets.wallet_of(partner)
        if credits:
            wallets.recharge(wallet, credits, actor=self.platform_admin(), note="test opening balance")
        return partner

    def reseller(self, name=None) -> Reseller:
        reseller = Reseller(name=name or f"Reseller {self.n()}")
        self.db.session.add(reseller)
        self.db.session.flush()
        wallets.wallet_of(reseller)
        return reseller

    def user(self, role: Role, email=None, **tenant) -> User:
        role_slug = role.value.replace("_", "-")
        email = email or f"{role_slug}-{self.n()}@example.com"
        if role == Role.PARTNER_ADMIN and "partner" not in tenant:
            tenant["partner"] = self.partner()
        if role == Role.STUDENT and "partner" not in tenant:
            tenant["partner"] = self.partner()
        if role in (Role.RESELLER, Role.CUSTOMER) and "reseller" not in tenant:
            tenant["reseller"] = self.reseller()
        user = create_user(None, email=email, role=role, password=PASSWORD, name=email.split("@")[0], **tenant)
        return user

    _admin: User | None = None

    def platform_admin(self) -> User:
        if self._admin is None:
            self._admin = self.user(Role.PLATFORM_ADMIN)
        return self._admin

    def student(self, partner: Partner, **kwargs) -> User:
        return self.user(Role.STUDENT, partner=partner, **kwargs)

    def course(self, title=None, value=10, assign_to_all=True, partners=None, **kwargs) -> Course:
        from app.models import CoursePartner, Lesson

        course = Course(title=title or f"Course {self.n()}", value_per_enrolment=value,
                        assign_to_all_partners=assign_to_all, **kwargs)
        self.db.session.add(course)
        self.db.session.flush()
        for position in (1, 2, 3):
            self.db.session.add(Lesson(course_id=course.id, position=position, title=f"Lesson {position}"))
        for partner, custom in (partners or {}).items():
            self.db.session.add(CoursePartner(course_id=course.id, partner_id=partner.id, custom_value=custom))
        self.db.session.flush()
        return course


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
