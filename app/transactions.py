"""Database plumbing: engine tuning and the one commit at the edge.

Services only add and flush. The edge commits once; work registered with
``after_commit()`` (emails, jobs) runs only once that commit has succeeded
and is dropped on rollback.

The edges: a request (``init_app``), a CLI command, a job. A request that
changes state (POST, PUT, PATCH, DELETE) is committed when its answer is a
success or a redirect, and rolled back when it is a refusal (4xx) or an
error, the way Indico's request handler commits unless something went
wrong. A refusal normally leaves nothing behind; a service that refuses but
has recorded something that must stay (the "not enough credits" alert, which
must go out precisely because the enrolment was refused) says so with
``keep_despite_refusal()``. Views never call commit() or rollback(); a GET
that writes (a download's audit row) commits itself before streaming.
"""

from __future__ import annotations

import logging
from typing import Callable

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.extensions import db

_PENDING = "aula_after_commit"
log = logging.getLogger(__name__)


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` after the current transaction commits; drop it on rollback."""
    db.session.info.setdefault(_PENDING, []).append(callback)


def commit() -> None:
    """Commit the request's unit of work, then run what waited for it.

    The commit has happened: a failing callback (say Redis is down and a job
    cannot be queued) is logged, never turned into an error for work that is
    already saved. What it left behind is picked up again: emails still
    'queued' by ``flask retry-emails``, bulk enrolments by ``flask resume-bulk-enrolments``.
    """
    db.session.commit()
    callbacks = db.session.info.pop(_PENDING, [])
    for callback in callbacks:
        try:
            callback()
        except Exception:  # noqa: BLE001 - see the docstring
            log.exception("after-commit callback %r failed; the committed work stands", callback)


def rollback() -> None:
    db.session.rollback()


_KEEP = "aula_keep_despite_refusal"
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def keep_despite_refusal() -> None:
    """The work flushed so far must be committed even though the request is refused (4xx)."""
    db.session.info[_KEEP] = True


def commit_at_the_edge(method: str, status: int) -> None:
    """Commit a state-changing request that succeeded (or is a kept refusal); roll back anything else."""
    keep = db.session.info.pop(_KEEP, False)
    if method in STATE_CHANGING and (status < 400 or (keep and status < 500)):
        commit()
    else:
        rollback()


def init_app(app) -> None:
    from flask import request

    @app.after_request
    def _commit_at_the_edge(response):
        commit_at_the_edge(request.method, response.status_code)
        return response


READ_ONLY = "aula_read_only"


def begin_read_only() -> None:
    """Begin the session's next transaction as a reader.

    For streamed downloads: the view commits (or only reads), and the stream
    reads in a transaction of its own. On SQLite that one starts with a plain
    (deferred) BEGIN, so a slow client never holds the write lock; on other
    engines nothing changes. Inside an open transaction it does nothing.
    """
    if db.session().get_transaction() is None:
        db.session.connection(execution_options={READ_ONLY: True})


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending_on_rollback(session, previous_transaction):  # noqa: ARG001
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)
        session.info.pop(_KEEP, None)


def configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout and BEGIN IMMEDIATE for SQLite.

    Every transaction takes SQLite's write lock up front, so two processes
    never both read a balance and then fail to upgrade to a write
    (SQLITE_BUSY_SNAPSHOT); they queue on the busy timeout instead.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record):  # noqa: ARG001
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
