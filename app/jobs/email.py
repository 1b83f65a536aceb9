"""The email job: send one outbox row and record the outcome; a failure raises so RQ retries it."""

from __future__ import annotations

from app.jobs.context import app_context
from app.models import EmailStatus
from app.services.outbox.email import deliver
from app.transactions import commit


class EmailNotSent(Exception):
    """Raised so RQ retries the job; the outbox row already says why."""


def send_email_job(email_id: int) -> str:
    with app_context():
        status = deliver(email_id)
        commit()
        if status == EmailStatus.FAILED:
            raise EmailNotSent(f"email {email_id} failed; will be retried")
        return status
