from __future__ import annotations

from app.jobs.context import app_context


class EmailNotSent(Exception):
    """Raised so RQ retries the job; the outbox row already says why."""


def send_email_job(email_id: int) -> str:
    with app_context():
        from app.transactions import commit
        from app.services.outbox.email import deliver

        status = deliver(email_id)
        commit()
        if status == "failed":
            raise EmailNotSent(f"email {email_id} failed; will be retried")
        return status
