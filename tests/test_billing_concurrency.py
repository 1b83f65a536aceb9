"""Billing under real concurrency: several processes, each with its own connections (SQLite file and PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import EmailMessage, Grant, Invoice, Seat, SeatState
from app.services.billing.audit import audit_invoices
from app.transactions import commit
from tests import billing_concurrency_worker as worker
from tests.conftest import Factory
from tests.test_concurrency import PROCESSES, _run, committed_database  # noqa: F401 (a fixture)

pytestmark = pytest.mark.slow

SEATS = 5
PRICE = 2000  # five seats at 20.00: each process pays 20.00, five of six fit


def test_payments_arriving_together_release_each_seat_exactly_once(committed_database, tmp_path):  # noqa: F811
    url, app = committed_database
    with app.app_context():
        factory = Factory(db)
        partner = factory.partner()
        _product, offer = factory.product(factory.course(), factory.course(), price_cents=PRICE)
        invoice = factory.invoice((offer, SEATS))
        users = [factory.student(partner) for _ in range(SEATS)]
        for user in users:
            factory.link(invoice, user)
        commit()
        invoice_id, emails = invoice.id, [u.email for u in users]

    outcomes = _run(worker.pay, [(url, invoice_id, PRICE, f"TRN-{n}") for n in range(PROCESSES)])

    assert sum(o["recorded"] for o in outcomes) == SEATS
    assert sum(o["refused"] for o in outcomes) == PROCESSES - SEATS
    assert sorted(o["released"] for o in outcomes if o["recorded"]) == [0] * (SEATS - 1) + [SEATS]
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        assert (invoice.status, invoice.paid_cents) == ("paid", SEATS * PRICE)
        seats = db.session.execute(sa.select(Seat).where(Seat.invoice_id == invoice_id)).scalars().all()
        assert {seat.state for seat in seats} == {SeatState.RELEASED}
        assert db.session.scalar(sa.select(sa.func.count(Grant.id)).where(Grant.source_kind == "invoice_seat")) == SEATS
        sent = db.session.execute(sa.select(EmailMessage.recipient).where(
            EmailMessage.template == "seat_released")).scalars().all()
        assert sorted(sent) == sorted(emails)
        assert audit_invoices()[1] == []
        db.session.remove()
    result = _audit_cli(url, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Invoice audit passed" in result.stdout


def test_invoices_issued_together_get_distinct_numbers_without_gaps(committed_database):  # noqa: F811
    url, app = committed_database
    with app.app_context():
        factory = Factory(db)
        drafts = [factory.invoice(("Consulting", 1, 10000), issue=False).id for _ in range(PROCESSES)]
        commit()

    outcomes = _run(worker.issue, [(url, invoice_id) for invoice_id in drafts])

    numbers = sorted(int(o["number"].split("-")[1]) for o in outcomes)
    assert numbers == list(range(1, PROCESSES + 1))


def test_links_arriving_together_never_exceed_the_seats(committed_database):  # noqa: F811
    url, app = committed_database
    with app.app_context():
        factory = Factory(db)
        partner = factory.partner()
        _product, offer = factory.product(factory.course())
        invoice = factory.invoice((offer, 3))
        users = [factory.student(partner).id for _ in range(PROCESSES)]
        commit()
        ids = (invoice.id, invoice.lines[0].id)

    outcomes = _run(worker.link, [(url, *ids, user_id) for user_id in users])

    assert sum(o["linked"] for o in outcomes) == 3 and sum(o["refused"] for o in outcomes) == PROCESSES - 3
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Seat.id)).where(
            Seat.invoice_id == ids[0], Seat.state == "released")) == 3
        assert audit_invoices()[1] == []
        db.session.remove()


def _audit_cli(url: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "wsgi.py", "AULA_INSTANCE_DIR": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "flask", "audit-invoices"], env=env, capture_output=True,
                          text=True, cwd=Path(__file__).resolve().parent.parent, timeout=120)
