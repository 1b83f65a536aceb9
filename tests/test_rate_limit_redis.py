"""With REDIS_URL set, the login limit is shared by every worker (here: two app instances)."""

import uuid

import pytest

from app import create_app
from tests.conftest import TEST_REDIS_URL, _config_dict, login

pytestmark = pytest.mark.skipif(
    not TEST_REDIS_URL, reason="TEST_REDIS_URL is not set: the shared rate-limit test needs a Redis server")


def test_two_workers_share_one_login_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("AULA_INSTANCE_DIR", str(tmp_path))
    prefix = f"aula-test-{uuid.uuid4().hex}"
    config = {**_config_dict(), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'limit.db'}",
              "REDIS_URL": TEST_REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix}
    worker_a, worker_b = create_app(config), create_app(config)
    assert worker_a.config["RATELIMIT_STORAGE_URI"] == TEST_REDIS_URL
    with worker_a.app_context():
        from flask_migrate import upgrade

        upgrade()

    for _ in range(3):
        assert login(worker_a.test_client(), "someone@example.com", "wrong").status_code == 422
    for _ in range(2):
        assert login(worker_b.test_client(), "someone@example.com", "wrong").status_code == 422
    # Five attempts in all (TestConfig: 5 per minute): the next one is refused on either worker.
    assert login(worker_a.test_client(), "someone@example.com", "wrong").status_code == 429
    assert login(worker_b.test_client(), "someone@example.com", "wrong").status_code == 429

    import redis

    conn = redis.Redis.from_url(TEST_REDIS_URL)
    for key in conn.scan_iter(f"*{prefix}*"):
        conn.delete(key)
