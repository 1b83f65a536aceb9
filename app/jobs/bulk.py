"""The bulk enrolment job, and its progress as another web process reads it.

Progress lives in Redis, not in the worker's memory: under
``aula:bulk:<id>:progress`` (a hash with ``done`` and ``total``, kept a day)
and in the RQ job's meta. The web page polls ``read_progress``; the
database row's status says when it is over.

A batch whose job was lost stays 'pending': ``flask resume-bulk-enrolments``
(run it from cron every few minutes) queues it again.
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from app.jobs.context import app_context

log = logging.getLogger(__name__)

PROGRESS_TTL = 24 * 3600


def progress_key(bulk_id: int) -> str:
    return f"aula:bulk:{bulk_id}:progress"


def record_progress(bulk_id: int, done: int, total: int) -> None:
    """Publish how far the job is; a Redis hiccup never stops the enrolment."""
    from rq import get_current_job

    from app.queue import redis_connection

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
    from app.queue import redis_connection

    try:
        values = redis_connection().hgetall(progress_key(bulk_id))
    except RedisError as exc:  # pragma: no cover - depends on the Redis server
        log.warning("bulk enrolment %s: progress not readable: %s", bulk_id, exc)
        return None
    try:
        return int(values[b"done"]), int(values[b"total"])
    except (KeyError, ValueError):
        return None


def run_bulk_enrolment_job(bulk_id: int) -> str:
    """Run one bulk enrolment and commit once; on an error, record it as failed."""
    with app_context():
        from app.services.enrolment.bulk import mark_bulk_failed, run_bulk_enrolment
        from app.transactions import commit, rollback

        try:
            bulk = run_bulk_enrolment(bulk_id, progress=lambda done, total: record_progress(bulk_id, done, total))
            status = bulk.status
            commit()
        except Exception:
            rollback()
            log.exception("bulk enrolment %s failed", bulk_id)
            mark_bulk_failed(bulk_id)
            commit()
            raise
        return status


def register_cli(app) -> None:
    """``flask resume-bulk-enrolments``: queue again the batches a dead worker left pending."""
    import click

    @app.cli.command("resume-bulk-enrolments")
    @click.option("--older-than", default=10, show_default=True, type=click.IntRange(min=0),
                  help="Minutes a batch must have been pending.")
    def resume_bulk_enrolments_command(older_than):
        """Queue again the bulk enrolments still pending after a while (their job was lost)."""
        from datetime import timedelta

        from app.services.enrolment.bulk import resume_stale_bulk_enrolments
        from app.transactions import commit

        count = resume_stale_bulk_enrolments(timedelta(minutes=older_than))
        commit()  # the jobs are queued once this commit succeeds
        noun = "bulk enrolment" if count == 1 else "bulk enrolments"
        click.echo(f"{count} waiting {noun} queued again.")
