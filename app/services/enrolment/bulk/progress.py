"""How far a running bulk enrolment job is, as another web process reads it.

Progress lives in Redis, not in the worker's memory: under
``aula:bulk:<id>:progress`` (a hash with ``done`` and ``total``, kept a day)
and in the RQ job's meta. The web page polls ``read_progress``; the
database row's status says when it is over.
"""

from __future__ import annotations

import logging

from app.queue import redis_connection

log = logging.getLogger(__name__)

PROGRESS_TTL = 24 * 3600


def progress_key(bulk_id: int) -> str:
    return f"aula:bulk:{bulk_id}:progress"


def record_progress(bulk_id: int, done: int, total: int) -> None:
    """Publish how far the job is; a Redis hiccup never stops the enrolment."""
    from redis.exceptions import RedisError  # (redis and rq: imported when used, see app.queue)
    from rq import get_current_job

    try:
        job = get_current_job()
        if job is not None:
            job.meta["done"], job.meta["total"] = done, total
            job.save_meta()
        conn = redis_connection()
        key = progress_key(bulk_id)
        with conn.pipeline() as pipe:
            pipe.hset(key, mapping={"done": done, "total": total})
            pipe.expire(key, PROGRESS_TTL)
            pipe.execute()
    except RedisError as exc:  # pragma: no cover - depends on the Redis server
        log.warning("bulk enrolment %s: progress not recorded: %s", bulk_id, exc)


def read_progress(bulk_id: int) -> tuple[int, int] | None:
    """``(done, total)`` as the job last published it, or None if it has not started."""
    from redis.exceptions import RedisError

    try:
        values = redis_connection().hgetall(progress_key(bulk_id))
    except RedisError as exc:  # pragma: no cover - depends on the Redis server
        log.warning("bulk enrolment %s: progress not readable: %s", bulk_id, exc)
        return None
    try:
        return int(values[b"done"]), int(values[b"total"])
    except (KeyError, ValueError):
        return None
