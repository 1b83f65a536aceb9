"""Emails through a real Redis queue and a real ``rq worker`` process.

Runs only when TEST_REDIS_URL is set (e.g. redis://127.0.0.1:6379/0). The
queue has a name of its own per run, so no other job on that Redis is
touched, and it is removed at the end. The database is a migrated SQLite
file: the worker is another process and must see what the test committed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.queue import get_queue, redis_connection
from app.models import EmailMessage
from app.services.outbox.email import queue_email
from app.transactions import commit

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")

pytestmark = pytest.mark.skipif(
    not TEST_REDIS_URL,
    reason="TEST_REDIS_URL is not set (e.g. TEST_REDIS_URL=redis://127.0.0.1:6379/0): "
           "the real-queue email tests need a Redis server",
)

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# Settings of the developer's shell that must not reach the worker.
_SCRUBBED_PREFIXES = ("AULA_", "DATABASE_URL", "REDIS_URL", "RQ_", "MAIL_", "SECRET_KEY", "FLASK_",
                      "TEST_DATABASE_URL")


@pytest.fixture(scope="module")
def queue_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("real-queue")
    db_file = tmp / "aula.db"
    queue_name = f"aula-test-{uuid.uuid4().hex[:12]}"
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{db_file}",
        REDIS_URL=TEST_REDIS_URL,
        RQ_QUEUE=queue_name,
        RATELIMIT_STORAGE_URI="memory://",
    )
    app = create_app(config)
    app.extensions["test_worker_env"] = _worker_env(tmp / "instance", db_file, queue_name)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.session.remove()
    try:
        yield app
    finally:
        with app.app_context():
            _delete_queue(queue_name)


def _worker_env(instance_dir: Path, db_file: Path, queue_name: str) -> dict[str, str]:
    """The worker builds its app from the environment (app.config.config_from_env)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES)}
    env.update(
        AULA_INSTANCE_DIR=str(instance_dir),
        DATABASE_URL=f"sqlite:///{db_file}",
        REDIS_URL=TEST_REDIS_URL,
        RQ_QUEUE=queue_name,
    )
    return env


def _delete_queue(queue_name: str) -> None:
    """Remove the queue, its jobs and its registries; the name is this run's own."""
    from rq.job import Job

    queue = get_queue()
    conn = redis_connection()
    registries = [queue.started_job_registry, queue.finished_job_registry, queue.failed_job_registry,
                  queue.deferred_job_registry, queue.scheduled_job_registry, queue.canceled_job_registry]
    job_ids = set(queue.job_ids)
    for registry in registries:
        job_ids.update(registry.get_job_ids())
    for job_id in job_ids:
        Job(job_id, connection=conn).delete(remove_from_queue=False)
        conn.delete(f"rq:results:{job_id}")
    queue.delete(delete_jobs=True)
    for key in conn.scan_iter(match=f"rq:*{queue_name}*"):
        conn.delete(key)
    # The burst worker's own record lingers (with a TTL) after it exits.
    for key in conn.scan_iter(match="rq:worker:*"):
        if conn.type(key) == b"hash" and conn.hget(key, "queues") == queue_name.encode():
            conn.delete(key)


def run_worker(app) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(BIN / "rq"), "worker", "--burst", "--url", TEST_REDIS_URL, app.config["RQ_QUEUE"]],
        cwd=ROOT, env=app.extensions["test_worker_env"], capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, f"rq worker exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def queue_low_balance_email(subject: str) -> EmailMessage:
    return queue_email("low_balance", "partner@example.com", subject,
                       partner=SimpleNamespace(name="Demo Partner"), balance=3, threshold=10)


def test_committed_email_is_sent_by_a_real_worker(queue_app):
    with queue_app.app_context():
        queue = get_queue()
        assert queue.is_async and queue.count == 0

        email_id = queue_low_balance_email("Demo Partner: credit balance is low").id
        assert queue.count == 0, "the job was enqueued before the commit"
        commit()

        jobs = queue.get_jobs()
        assert [(j.func_name, j.args) for j in jobs] == [("app.jobs.email.send_email_job", (email_id,))]
        job_id = jobs[0].id
        assert db.session.get(EmailMessage, email_id).status == "queued"
        db.session.remove()  # end our transaction: SQLite's write lock is taken at BEGIN

    result = run_worker(queue_app)

    with queue_app.app_context():
        message = db.session.get(EmailMessage, email_id)
        assert (message.status, message.attempts) == ("sent", 1), result.stderr
        assert message.sent_at is not None and message.last_error is None
        assert "--- email to partner@example.com: Demo Partner: credit balance is low" in result.stderr
        queue = get_queue()
        assert queue.count == 0
        assert queue.fetch_job(job_id).get_status() == "finished"
        db.session.remove()


def test_rolled_back_email_leaves_no_row_and_no_job(queue_app):
    with queue_app.app_context():
        queue = get_queue()
        subject = f"rolled back {uuid.uuid4().hex}"
        queue_low_balance_email(subject)
        db.session.rollback()
        commit()  # a later commit in the same session must not send the dropped email either

        assert queue.count == 0
        assert queue.get_jobs() == []
        count = db.session.scalar(
            db.select(db.func.count(EmailMessage.id)).where(EmailMessage.subject == subject))
        assert count == 0
        db.session.remove()
