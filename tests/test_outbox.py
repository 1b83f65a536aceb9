"""The email outbox: written with its cause, sent after commit, failures recorded and retried."""

from __future__ import annotations

import socket

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from app.models import AuditEvent, EmailMessage, Role
from app.services import audit
from app.services.ledger import wallets
from app.services.outbox.email import queue_email, resend_failed
from app.transactions import commit, rollback
from tests.conftest import csrf_token
from app.services.outbox.email import resend
from app.transactions import after_commit
from app.models.base import utcnow
from datetime import timedelta
import logging


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mail_server_config(app):
    saved = {k: app.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT")}
    yield app.config
    app.config.update(saved)


def _queue_low_balance(recipient="ops@example.com"):
    from app.models import Partner

    return queue_email("low_balance", recipient, "Credit balance is low",
                       partner=Partner(name="Acme"), balance=3, threshold=10, platform_name="Aula")


def _emails(db, recipient="ops@example.com"):
    db.session.expire_all()
    return db.session.execute(sa.select(EmailMessage).where(EmailMessage.recipient == recipient)).scalars().all()


def test_a_rolled_back_transaction_leaves_no_email_and_sends_nothing(db, smtp_server, mail_server_config):
    controller, inbox = smtp_server
    mail_server_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    _queue_low_balance()
    rollback()
    commit()  # a later, unrelated commit must not send the dropped email
    assert _emails(db) == []
    assert inbox.messages == []


def test_a_committed_transaction_sends_exactly_one_email(db, smtp_server, mail_server_config):
    controller, inbox = smtp_server
    mail_server_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    _queue_low_balance()
    commit()
    [email] = _emails(db)
    assert (email.status, email.attempts, email.last_error) == ("sent", 1, None)
    assert email.sent_at is not None
    assert len(inbox.messages) == 1
    assert inbox.messages[0].rcpt_tos == ["ops@example.com"]
    assert b"Credit balance is low" in inbox.messages[0].content


def test_a_failing_mail_server_keeps_the_cause_and_marks_the_email_failed_then_retry_sends_it(
        db, factory, smtp_server, mail_server_config):
    controller, inbox = smtp_server
    mail_server_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())  # nothing listens there
    partner = factory.partner()
    entry = wallets.recharge(wallets.wallet_of(partner), 50, actor=factory.platform_admin())
    _queue_low_balance()
    commit()

    db.session.expire_all()
    assert wallets.wallet_of(partner).balance == 50  # the cause is committed
    [email] = _emails(db)
    assert email.status == "failed" and email.attempts == 1
    assert "Connection" in email.last_error or "refused" in email.last_error.lower()
    assert entry.id is not None

    mail_server_config.update(MAIL_PORT=controller.port)  # the server is back
    assert resend_failed(None) == 1
    commit()
    [email] = _emails(db)
    assert (email.status, email.attempts, email.last_error) == ("sent", 2, None)
    assert len(inbox.messages) == 1


def test_without_a_mail_server_the_email_is_logged_and_marked_sent(db, capsys):
    _queue_low_balance()
    commit()
    [email] = _emails(db)
    assert email.status == "sent"
    assert "--- email to ops@example.com: Credit balance is low" in capsys.readouterr().err


def test_platform_admin_sees_failed_emails_and_re_sends_one(db, client, login_as, mail_server_config):
    admin = login_as(Role.PLATFORM_ADMIN)
    mail_server_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())
    _queue_low_balance()
    commit()
    [email] = _emails(db)
    assert email.status == "failed"

    page = client.get("/platform/emails?status=failed").get_data(as_text=True)
    assert "ops@example.com" in page and "Failed" in page and "Re-send" in page
    assert "ops@example.com" not in client.get("/platform/emails?status=sent").get_data(as_text=True)

    mail_server_config.update(MAIL_SERVER=None)  # now it goes through (logged)
    token = csrf_token(client, "/platform/emails")
    response = client.post(f"/platform/emails/{email.id}/resend", data={"csrf_token": token},
                           headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="email-{email.id}"' in html and "Sent" in html and "queued again" in html
    assert _emails(db)[0].status == "sent"
    assert db.session.scalar(sa.select(sa.func.count()).where(
        AuditEvent.action == "email.resent", AuditEvent.actor_id == admin.id)) == 1


def test_audit_record_keeps_who_did_what_to_which_object(db, factory):
    actor = factory.platform_admin()
    partner = factory.partner()
    event = audit.record(actor, "partner.updated", partner, partner_id=partner.id, name="New name", skipped=None)
    db.session.flush()
    assert (event.actor_id, event.action, event.object_type, event.object_id, event.partner_id) == (
        actor.id, "partner.updated", "Partner", partner.id, partner.id)
    assert event.details == {"name": "New name"}


def test_a_failing_after_commit_step_keeps_the_committed_work_and_runs_the_others(db, factory, caplog):
    caplog.set_level(logging.ERROR, logger="app.transactions")
    partner = factory.partner()
    ran = []

    def broken():
        raise ConnectionError("redis is down")

    after_commit(broken)
    after_commit(lambda: ran.append("second"))
    commit()  # must not raise: the work is saved
    assert ran == ["second"]
    assert "after-commit callback" in caplog.text
    db.session.expire_all()
    assert db.session.get(type(partner), partner.id) is not None


def test_retry_emails_also_picks_up_emails_whose_job_was_lost(db, app):
    from app.models import Partner

    message = queue_email("low_balance", "lost@example.com", "Low", partner=Partner(name="P"),
                          balance=1, threshold=5, platform_name="Aula")
    db.session.info.pop("aula_after_commit", None)  # the job never reached the queue
    commit()
    message.created_at = utcnow() - timedelta(minutes=30)
    commit()
    assert resend_failed(None) == 1
    commit()
    db.session.refresh(message)
    assert message.status == "sent"


def test_a_recent_queued_email_is_left_to_its_job(db):
    from app.models import Partner

    queue_email("low_balance", "fresh@example.com", "Low", partner=Partner(name="P"),
                balance=1, threshold=5, platform_name="Aula")
    db.session.info.pop("aula_after_commit", None)
    commit()
    assert resend_failed(None) == 0


def test_resend_refuses_an_email_already_sent(db):
    from app.models import Partner

    message = queue_email("low_balance", "x@example.com", "Low", partner=Partner(name="P"),
                          balance=1, threshold=5, platform_name="Aula")
    commit()
    assert message.status == "sent"
    assert resend(None, message) is False
    assert db.session.scalar(sa.select(sa.func.count()).where(EmailMessage.recipient == "x@example.com")) == 1
