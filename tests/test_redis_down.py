"""With Redis unreachable, people can still sign in: the login limit falls back to process memory."""

import logging

import pytest

from app import create_app
from app.extensions import db, limiter
from app.models import Role
from app.services.people.users import create_user
from app.transactions import commit
from tests.conftest import PASSWORD, _config_dict, login

# Nothing listens on port 1: every connection is refused at once.
DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture(scope="module")
def app_without_redis(tmp_path_factory):
    """An app whose REDIS_URL points at a closed port; the shared limiter is restored afterwards."""
    saved = dict(vars(limiter))
    path = tmp_path_factory.mktemp("redis-down")
    app = create_app({**_config_dict(), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path / 'down.db'}",
                      "REDIS_URL": DEAD_REDIS})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()
    vars(limiter).clear()
    vars(limiter).update(saved)


def _user(app, email):
    with app.app_context():
        create_user(None, email=email, role=Role.STUDENT, password=PASSWORD, name="Down")
        commit()


def test_the_rate_limit_store_is_redis(app_without_redis):
    assert app_without_redis.config["RATELIMIT_STORAGE_URI"] == DEAD_REDIS


def test_login_works_and_is_logged_while_redis_is_down(app_without_redis, caplog):
    _user(app_without_redis, "down@example.com")
    with caplog.at_level(logging.WARNING):
        response = login(app_without_redis.test_client(), "down@example.com")
    assert response.status_code == 302
    assert "falling back to in-memory storage" in caplog.text


def test_the_login_limit_still_holds_in_memory_while_redis_is_down(app_without_redis):
    _user(app_without_redis, "guessed@example.com")
    client = app_without_redis.test_client()
    for _ in range(5):  # TestConfig: 5 per minute
        assert login(client, "guessed@example.com", "wrong").status_code == 422
    assert login(client, "guessed@example.com").status_code == 429
