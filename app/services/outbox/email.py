"""The email outbox.

``queue_email`` writes a row in the caller's transaction and asks for a send
job after commit. Subject and body are written in the recipient's language
(``app.i18n.recipient_locale``), whoever caused the email. ``deliver`` sends one row and records the outcome; a
failing mail server marks it failed (RQ retries it) and never undoes the
event that caused it.
"""

from __future__ import annotations

import logging
import sys
from datetime import timedelta

import sqlalchemy as sa

from flask import current_app, render_template
from flask_babel import force_locale
from flask_mail import Connection, Message
from jinja2 import TemplateNotFound

from app import i18n
from app.extensions import db, mail
from app.models import EmailMessage, EmailStatus, User
from app.models.base import utcnow
from app.queue import enqueue_after_commit
from app.services import audit
from app.services.pagination import Keyset

log = logging.getLogger(__name__)


def queue_email(template: str, recipient: User | str, subject, *, locale: str | None = None,
                **context) -> EmailMessage:
    """Render ``email/<template>.txt`` (and ``.html`` if present) into the outbox.

    ``recipient`` is a User, written to in their language (their choice, else their
    partner's default, else the platform's), or a bare address (``locale``, else the
    platform's). ``subject`` should be a lazy string (``lazy_gettext``): it is rendered in
    that language with the body, as are lazy strings passed in ``context``.
    """
    user = None if isinstance(recipient, str) else recipient
    address = recipient if user is None else user.email
    with force_locale(i18n.offered(locale) or i18n.recipient_locale(user)):
        subject = str(subject)
        body_text = render_template(f"email/{template}.txt", recipient=user, **context)
        try:
            body_html = render_template(f"email/{template}.html", recipient=user, **context)
        except TemplateNotFound:  # the HTML part is optional; a broken one is a bug and raises
            body_html = None
    message = EmailMessage(
        template=template,
        recipient=address,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        status=EmailStatus.QUEUED,
    )
    db.session.add(message)
    db.session.flush()
    _send_after_commit(message.id)
    return message


SEND_JOB = "app.jobs.email.send_email_job"


def _send_after_commit(email_id: int) -> None:
    enqueue_after_commit(SEND_JOB, email_id, retry=True)


def deliver(email_id: int) -> str:
    """Send one outbox row now; return its new status. The caller commits."""
    # The row lock makes a re-send and an RQ retry of the same email queue up,
    # and the second one then sees 'sent' and does nothing.
    message = db.session.get(EmailMessage, email_id, with_for_update=True, populate_existing=True)
    if message is None or message.status == EmailStatus.SENT:
        return EmailStatus.SENT if message else "missing"
    message.attempts += 1
    message.last_attempt_at = utcnow()
    try:
        _transport(message)
    except Exception as exc:  # noqa: BLE001 - any transport failure is recorded
        message.status = EmailStatus.FAILED
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        log.warning("email %s to %s failed: %s", message.id, message.recipient, exc)
    else:
        message.status = EmailStatus.SENT
        message.sent_at = utcnow()
        message.last_error = None
    return message.status


def _transport(message: EmailMessage) -> None:
    if not current_app.config.get("MAIL_SERVER"):
        text = f"--- email to {message.recipient}: {message.subject}\n{message.body_text}\n---"
        log.info(text)
        print(text, file=sys.stderr)
        return
    # Settings are read at send time (not frozen at start-up), and sending is
    # never silently suppressed: without MAIL_SERVER we log instead (above).
    settings = mail.init_mail(current_app.config, testing=False)
    with Connection(settings) as connection:
        Message(
            subject=message.subject,
            recipients=[message.recipient],
            body=message.body_text,
            html=message.body_html,
            sender=settings.default_sender,
        ).send(connection)


# The email log newest first, in keyset pages (it grows with every email: no COUNT).
NEWEST_FIRST = Keyset(EmailMessage.id, descending=True)


def email_log_query(status: str | None = None):
    """The outbox, newest first, optionally of one status."""
    query = sa.select(EmailMessage).order_by(EmailMessage.id.desc())
    if status in EmailStatus.values():
        query = query.where(EmailMessage.status == status)
    return query


def failed_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(EmailMessage.id)).where(EmailMessage.status == EmailStatus.FAILED))


def resend(actor, email: EmailMessage) -> bool:
    """Queue an unsent email again (the platform admin's 're-send'); False if it was sent."""
    if email.status == EmailStatus.SENT:
        return False
    email.status = EmailStatus.QUEUED
    db.session.flush()
    audit.record(actor, "email.resent", email, recipient=email.recipient)
    _send_after_commit(email.id)
    return True


STALE_AFTER = timedelta(minutes=10)


def resend_failed(actor) -> int:
    """Queue again every failed email, and every one still 'queued' long after it was written
    (its job was lost: say Redis was down at the commit)."""
    stale = utcnow() - STALE_AFTER
    pending = db.session.execute(
        db.select(EmailMessage).where(
            sa.or_(EmailMessage.status == EmailStatus.FAILED,
                   sa.and_(EmailMessage.status == EmailStatus.QUEUED, EmailMessage.created_at < stale))
        )
    ).scalars().all()
    for message in pending:
        resend(actor, message)
    return len(pending)
