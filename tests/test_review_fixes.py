"""Edges found in review: each test pins one behaviour an operator relies on."""

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.models import EmailMessage, Role
from app.models.base import utcnow
from app.services.enrolment import enrol as enrol_svc
from app.services.ledger import wallets
from app.services.outbox.email import queue_email, resend, resend_failed
from app.transactions import after_commit, commit
from app.services.catalog import pricing
from tests.conftest import login


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


def test_a_wallet_never_exceeds_the_largest_balance(db, factory):
    wallet = wallets.wallet_of(factory.partner())
    admin = factory.platform_admin()
    wallets.recharge(wallet, wallets.MAX_AMOUNT, actor=admin)
    wallets.recharge(wallet, wallets.MAX_AMOUNT, actor=admin)
    with pytest.raises(wallets.InvalidAmount):
        wallets.recharge(wallet, 1, actor=admin)
    assert wallet.balance == wallets.MAX_BALANCE


def test_a_partner_switched_to_default_loses_its_free_own_courses(db, factory):
    partner = factory.partner(kind="whitelabel", domain="own.example.com")
    course = factory.course(value=0, assign_to_all=False, owner_partner_id=partner.id)
    assert pricing.price_for(course, partner) == 0
    partner.kind = "default"
    partner.domain = None
    assert pricing.price_for(course, partner) is None
    assert course.id not in [c.id for c, _ in pricing.catalog_for(partner)]


def test_a_deactivated_student_is_not_enrolled_or_charged(db, factory):
    partner = factory.partner(credits=20)
    admin = factory.user(Role.PARTNER_ADMIN, partner=partner)
    student = factory.student(partner)
    student.is_active_account = False
    with pytest.raises(enrol_svc.InactiveStudent):
        enrol_svc.enrol_student(admin, partner, student, factory.course(value=5))
    assert wallets.wallet_of(partner).balance == 20


@pytest.mark.parametrize("path", [
    "/partner/enrolments?course_id=%C2%B2",
    "/partner/enrolments?course_id=99999999999999999999999",
    "/partner/participants?course_id=%C2%B2",
    "/partner/participants?student_id=99999999999999999999999",
    "/partner/participants?course_id=99999999999999999999999",
    "/partner/reports/enrolments.csv?company=%C2%B2",
    "/partner/reports/enrolments.csv?course=99999999999999999999999",
])
def test_odd_ids_in_partner_urls_are_never_server_errors(client, factory, path):
    login(client, factory.user(Role.PARTNER_ADMIN).email)
    assert client.get(path).status_code in (200, 422)
