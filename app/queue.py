"""The job queue (RQ): where jobs go, and enqueueing after the commit.

With ``REDIS_URL`` set, jobs go to a real queue served by ``rq worker``.
Without it, RQ's synchronous mode runs them in-process (on an in-memory
Redis), right after the commit that asked for them.

Jobs are named by dotted path (``"app.jobs.email.send_email_job"``), so a
service asks for a job without importing the job's module: the jobs import
the services, never the other way round.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app

from app.transactions import after_commit

if TYPE_CHECKING:
    from redis import Redis
    from rq import Queue

# redis and rq are imported when a job is enqueued or its progress read, not when the app
# starts: a CLI command such as ``flask audit-ledger`` never loads them.


def redis_connection() -> Redis:
    from redis import Redis

    url = current_app.config.get("REDIS_URL")
    if url:
        return Redis.from_url(url)
    conn = current_app.extensions.get("aula_fake_redis")
    if conn is None:
        import fakeredis

        conn = current_app.extensions["aula_fake_redis"] = fakeredis.FakeRedis()
    return conn


def get_queue() -> Queue:
    from rq import Queue

    is_async = bool(current_app.config.get("REDIS_URL"))
    return Queue(current_app.config["RQ_QUEUE"], connection=redis_connection(), is_async=is_async)


def enqueue_after_commit(job: str, *args, retry: bool = False) -> None:
    """Enqueue the job at dotted path ``job`` with ``args`` once the current transaction has committed."""

    def _enqueue():
        from rq import Retry

        options = {}
        if retry:
            intervals = current_app.config["EMAIL_RETRY_INTERVALS"]
            options["retry"] = Retry(max=len(intervals), interval=intervals)
        get_queue().enqueue(job, *args, **options)

    after_commit(_enqueue)
