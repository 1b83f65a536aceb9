"""Cancelling an issued invoice (its number stays taken) and discarding a draft (it never had one).

An invoice is cancelled only with nothing paid on it (reverse the payments
first) and, when seats are released, only with the admin's confirmation that
their access is revoked: the seats become ``revoked`` and their grants are
revoked (an enrolment that another way still holds stays). Waiting seats are
withdrawn too. Functions add and flush; the caller commits once.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l, lazy_ngettext

from app.extensions import db
from app.models import Invoice, InvoiceStatus, Seat, SeatState, User
from app.models.base import utcnow
from app.services import audit
from app.services.billing import seats as seat_svc
from app.services.billing.invoices import InvoiceRefused, lock_invoice
from app.services.billing.payments import money


def released_seat_count(invoice: Invoice) -> int:
    return db.session.scalar(sa.select(sa.func.count(Seat.id)).where(
        Seat.invoice_id == invoice.id, Seat.state == SeatState.RELEASED.value)) or 0


def cancel_invoice(actor: User | None, invoice: Invoice, *, revoke_released: bool = False) -> Invoice:
    """Cancel an issued invoice; released seats are revoked only when ``revoke_released`` confirms it."""
    lock_invoice(invoice)
    if invoice.status == InvoiceStatus.DRAFT:
        raise InvoiceRefused(_l("A draft has no number: discard it instead."))
    if invoice.status == InvoiceStatus.CANCELLED:
        raise InvoiceRefused(_l("Invoice %(number)s is already cancelled.", number=invoice.number))
    if invoice.paid_cents > 0:
        raise InvoiceRefused(_l("%(amount)s is recorded as paid on this invoice: reverse the payments first.",
                                amount=money(invoice.paid_cents, invoice.currency)))
    released = released_seat_count(invoice)
    if released and not revoke_released:
        raise InvoiceRefused(lazy_ngettext(
            "%(num)d seat is released: tick the confirmation to revoke its access and cancel.",
            "%(num)d seats are released: tick the confirmation to revoke their access and cancel.", released), field="revoke_released")
    linked = db.session.execute(sa.select(Seat).where(
        Seat.invoice_id == invoice.id, Seat.state.in_([SeatState.WAITING.value, SeatState.RELEASED.value]))
    ).scalars().all()
    seat_svc.withdraw(actor, invoice, linked, replace=False)
    invoice.status = InvoiceStatus.CANCELLED.value
    invoice.cancelled_at, invoice.cancelled_by_id = utcnow(), actor.id if actor else None
    db.session.flush()
    audit.record(actor, "invoice.cancelled", invoice, number=invoice.number, revoked_seats=released)
    return invoice


def discard_draft(actor: User | None, invoice: Invoice) -> None:
    """Delete a draft and its lines (no number, payment or seat exists yet)."""
    lock_invoice(invoice)
    if invoice.status != InvoiceStatus.DRAFT:
        raise InvoiceRefused(_l("Only a draft can be discarded: cancel an issued invoice instead."))
    audit.record(actor, "invoice.discarded", invoice, payer=invoice.payer_name, total_cents=invoice.total_cents)
    for line in invoice.lines:
        db.session.delete(line)
    db.session.delete(invoice)
    db.session.flush()
