"""Code run in separate processes by test_billing_concurrency.py (each with its own app and pool)."""

from __future__ import annotations


def _app(database_url: str):
    from app import create_app
    from app.config import TestConfig

    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    return create_app({**config, "SQLALCHEMY_DATABASE_URI": database_url})


def pay(database_url: str, invoice_id: int, amount_cents: int, reference: str, start, results) -> None:
    """Record one payment; report whether it was recorded and how many seats it released."""
    from app.extensions import db
    from app.models import Invoice, Seat
    from app.services import DomainError
    from app.services.access import today
    from app.services.billing import payments
    from app.transactions import commit, rollback

    app = _app(database_url)
    outcome = {"recorded": 0, "refused": 0, "released": 0}
    with app.app_context():
        start.wait(30)
        try:
            payment = payments.record_payment(None, db.session.get(Invoice, invoice_id), payments.PaymentValues(
                amount_cents=amount_cents, paid_on=today(), method="bank_transfer", reference=reference))
            outcome["released"] = db.session.query(Seat).filter_by(released_by_payment_id=payment.id).count()
            commit()
            outcome["recorded"] = 1
        except DomainError:
            rollback()
            outcome["refused"] = 1
        db.engine.dispose()
    results.put(outcome)


def issue(database_url: str, invoice_id: int, start, results) -> None:
    from app.extensions import db
    from app.models import Invoice
    from app.services.billing import invoices
    from app.transactions import commit

    app = _app(database_url)
    with app.app_context():
        start.wait(30)
        number = invoices.issue_invoice(None, db.session.get(Invoice, invoice_id)).number
        commit()
        db.engine.dispose()
    results.put({"number": number})


def link(database_url: str, invoice_id: int, line_id: int, user_id: int, start, results) -> None:
    from app.extensions import db
    from app.models import Invoice
    from app.services import DomainError
    from app.services.billing import seats
    from app.transactions import commit, rollback

    app = _app(database_url)
    outcome = {"linked": 0, "refused": 0}
    with app.app_context():
        start.wait(30)
        try:
            seats.link_seat(None, db.session.get(Invoice, invoice_id), line_id=line_id, user_id=user_id,
                            release_mode="now")
            commit()
            outcome["linked"] = 1
        except DomainError:
            rollback()
            outcome["refused"] = 1
        db.engine.dispose()
    results.put(outcome)
