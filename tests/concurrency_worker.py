"""Code run in separate processes by test_concurrency.py (each with its own app and pool)."""

from __future__ import annotations


def enrol_many(database_url: str, partner_id: int, admin_id: int, student_ids: list[int], course_id: int,
               start, results) -> None:
    from app import create_app
    from app.config import TestConfig
    from app.extensions import db
    from app.models import Course, Partner, User
    from app.services.enrolment.enrol import AlreadyEnrolled, enrol_student
    from app.services.ledger.wallets import InsufficientCredits
    from app.transactions import commit, rollback

    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    app = create_app({**config, "SQLALCHEMY_DATABASE_URI": database_url})
    outcome = {"enrolled": 0, "insufficient": 0, "already": 0}
    with app.app_context():
        start.wait(30)
        for student_id in student_ids:
            partner = db.session.get(Partner, partner_id)
            admin = db.session.get(User, admin_id)
            student = db.session.get(User, student_id)
            course = db.session.get(Course, course_id)
            try:
                enrol_student(admin, partner, student, course)
                commit()
                outcome["enrolled"] += 1
            except InsufficientCredits:
                rollback()
                outcome["insufficient"] += 1
            except AlreadyEnrolled:
                rollback()
                outcome["already"] += 1
        db.engine.dispose()
    results.put(outcome)


def recharge_same_key(database_url: str, wallet_id: int, admin_id: int, key: str, start, results) -> None:
    from app import create_app
    from app.config import TestConfig
    from app.extensions import db
    from app.models import User, Wallet
    from app.services.ledger import wallets
    from app.transactions import commit

    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    app = create_app({**config, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        start.wait(30)
        entry = wallets.recharge(db.session.get(Wallet, wallet_id), 7, actor=db.session.get(User, admin_id),
                                 idempotency_key=key)
        replayed = entry.replayed
        commit()
        db.engine.dispose()
    results.put({"replayed": replayed})


def cancel_loaded_enrolment(database_url: str, partner_id: int, admin_id: int, enrolment_id: int, ready,
                            start, results) -> None:
    """Load the enrolment, then cancel it, all processes at once.

    On PostgreSQL every process has read the enrolment ('active') before any
    of them cancels it: the widest window for a stale status. On SQLite a read
    already takes the write lock (BEGIN IMMEDIATE), so they meet before it.
    """
    from app import create_app
    from app.config import TestConfig
    from app.extensions import db
    from app.models import Enrolment, Partner, User
    from app.services import DomainError
    from app.services.enrolment.enrol import cancel_enrolment
    from app.transactions import commit, rollback

    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    app = create_app({**config, "SQLALCHEMY_DATABASE_URI": database_url})
    sqlite = database_url.startswith("sqlite")
    with app.app_context():
        start.wait(30)
        if sqlite:
            ready.wait(60)
        partner = db.session.get(Partner, partner_id)
        admin = db.session.get(User, admin_id)
        enrolment = db.session.get(Enrolment, enrolment_id)
        if not sqlite:
            ready.wait(60)
        try:
            cancel_enrolment(admin, partner, enrolment)
            commit()
            outcome = "cancelled"
        except DomainError:
            rollback()
            outcome = "refused"
        except Exception as exc:  # noqa: BLE001 - reported to the test instead of a silent hang
            rollback()
            outcome = f"error: {exc!r}"
        db.engine.dispose()
    results.put(outcome)
