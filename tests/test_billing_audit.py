"""`flask audit-invoices` (DESIGN.md §4): passes on a good dataset, fails listing exactly the broken invoices."""

import sqlalchemy as sa

from app.models import Grant, Invoice, Seat, SeatState
from app.models.base import utcnow


def test_the_demo_invoices_have_seats_released_and_waiting_and_pass_the_audit(app, db):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    rossi = db.session.execute(sa.select(Invoice).where(Invoice.payer_name == "Rossi S.r.l.")).scalar_one()
    states = sorted(s.state for s in db.session.execute(sa.select(Seat).where(Seat.invoice_id == rossi.id)).scalars())
    assert states == ["free", "free", "released", "released", "waiting"]
    assert rossi.status == "partially_paid"
    result = runner.invoke(args=["audit-invoices"])
    assert result.exit_code == 0, result.output
    assert "Invoice audit passed: 2 invoices" in result.output


def _dataset(factory):
    """Four invoices, each one right: paid with a released seat, open with a waiting seat, ..."""
    _product, offer = factory.product(factory.course(), factory.course())
    partner = factory.partner()
    invoices = [factory.invoice((offer, 2)) for _ in range(4)]
    for invoice in invoices:
        factory.link(invoice, factory.student(partner), mode="now")
        factory.link(invoice, factory.student(partner))
    factory.pay(invoices[0])
    return invoices


def test_the_audit_passes_on_a_good_dataset(app, db, factory):
    _dataset(factory)
    result = app.test_cli_runner().invoke(args=["audit-invoices"])
    assert result.exit_code == 0, result.output
    assert "Invoice audit passed: 4 invoices" in result.output


def test_the_audit_fails_listing_the_broken_invoices_only(app, db, factory):
    good, unpaid_but_paid, without_grant, early = _dataset(factory)
    db.session.execute(sa.update(Invoice).where(Invoice.id == unpaid_but_paid.id).values(status="paid"))
    released_now = next(s for s in without_grant.seats if s.state == SeatState.RELEASED)
    db.session.execute(sa.update(Grant).where(Grant.source_id == str(released_now.id)).values(status="revoked"))
    waiting = next(s for s in early.seats if s.state == SeatState.WAITING)
    db.session.execute(sa.update(Seat).where(Seat.id == waiting.id).values(state="released", released_at=utcnow()))

    result = app.test_cli_runner().invoke(args=["audit-invoices"])

    assert result.exit_code == 1
    assert "Invoice audit FAILED: 3 of 4 invoices broken." in result.output
    assert f"invoice {unpaid_but_paid.id} ({unpaid_but_paid.number}): status paid but payments of 0" in result.output
    assert f"seat {released_now.id} is released but its grant" in result.output
    assert f"seat {waiting.id} (after full payment) released before the invoice was paid in full" in result.output
    assert f"seat {waiting.id} is released but has no grant" in result.output
    assert f"invoice {good.id} " not in result.output


def test_the_audit_finds_more_seats_than_the_quantity(app, db, factory):
    invoice = _dataset(factory)[1]
    db.session.execute(sa.insert(Seat).values(invoice_id=invoice.id, line_id=invoice.lines[0].id, state="free"))
    result = app.test_cli_runner().invoke(args=["audit-invoices"])
    assert result.exit_code == 1 and "3 seats for a quantity of 2" in result.output
