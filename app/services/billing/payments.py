"""Payments of an invoice: record (full or partial) and reverse; the invoice's status follows them.

Invariants, kept under concurrency on PostgreSQL and SQLite:
1. paid = sum of the invoice's payments, and the status follows from it
   (open, partially paid, paid): both change only here, under the invoice's
   row lock (``invoices.lock_invoice``, taken first), in the payment's
   transaction.
2. never overpaid: a payment above what is still due is refused (and a CHECK
   ``paid_cents <= total_cents`` backs it up).
3. payments are append-only: a mistake is undone by a reversal, a new row
   that references the payment (at most one reversal per payment: UNIQUE);
   a trigger refuses UPDATE and DELETE.
4. the same reference is recorded once per invoice (case-insensitive here; a
   partial UNIQUE index on the exact text backs it up).
5. exactly once: the payment that makes the invoice paid in full releases
   every seat waiting for it in the same transaction; a second payment
   arriving together waits for the lock and then sees the invoice paid
   (refused as an overpayment) or the seats released (nothing left waiting).

A reversal that leaves the invoice unpaid keeps or revokes the seats that
full payment released, as the platform setting says (``seats_on_reversal``);
seats released *now* never depended on payment and are kept.

Functions add and flush; the caller commits once.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import format_currency, format_date
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import (
    Invoice, InvoiceStatus, Payment, PaymentKind, InvoicePaymentMethod, Seat, SeatReleaseMode, SeatsOnReversal, SeatState,
    User,
)
from app.services import audit
from app.services.access import today
from app.services.billing import seats as seat_svc
from app.services.billing.invoices import InvoiceRefused, lock_invoice, status_for
from app.services.tenancy.settings import settings

REFERENCE_MAX = 100
NOTE_MAX = 500


class PaymentRefused(InvoiceRefused):
    """The payment cannot be recorded or reversed as asked."""


def money(cents: int, currency: str) -> str:
    return format_currency(cents / 100, currency)


def clean_reference(text: str | None) -> str:
    """A reference as typed, in one form: compatibility characters as their plain ones (full-width
    "ＴＲＮ-1" is "TRN-1"), runs of spaces as one."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


@dataclass
class PaymentValues:
    amount_cents: int | None = None
    paid_on: date | None = None
    method: str | None = None
    reference: str | None = None
    note: str = ""


def _refuse_unless_payable(invoice: Invoice) -> None:
    if invoice.status == InvoiceStatus.DRAFT:
        raise PaymentRefused(_l("Issue the invoice before recording a payment."))
    if invoice.status == InvoiceStatus.CANCELLED:
        raise PaymentRefused(_l("Invoice %(number)s is cancelled: no payment can be recorded on it.",
                                number=invoice.number))
    if invoice.status == InvoiceStatus.PAID:
        raise PaymentRefused(_l("Invoice %(number)s is already paid in full.", number=invoice.number),
                             field="amount")


def _checked(invoice: Invoice, values: PaymentValues) -> tuple[int, date, str, str]:
    amount = values.amount_cents
    if amount is None:
        raise PaymentRefused(_l("Enter the amount received."), field="amount")
    if amount <= 0:
        raise PaymentRefused(_l("The amount must be more than zero."), field="amount")
    if amount > invoice.due_cents:
        raise PaymentRefused(_l("%(amount)s is more than the %(due)s still due: an invoice is never overpaid.",
                                amount=money(amount, invoice.currency), due=money(invoice.due_cents, invoice.currency)),
                             field="amount")
    if values.paid_on is None:
        raise PaymentRefused(_l("Enter the day the payment was received."), field="paid_on")
    if values.paid_on > today():
        raise PaymentRefused(_l("A payment cannot be dated in the future."), field="paid_on")
    if values.method not in InvoicePaymentMethod.values():
        raise PaymentRefused(_l("Choose how it was paid."), field="method")
    reference = clean_reference(values.reference)
    if not reference:
        raise PaymentRefused(_l("Enter the payment's reference (e.g. the bank transfer's CRO/TRN)."),
                             field="reference")
    if len(reference) > REFERENCE_MAX:
        raise PaymentRefused(_l("A reference has at most %(n)s characters.", n=REFERENCE_MAX), field="reference")
    # Compared here, not with the database's lower() (SQLite's knows only ASCII): an invoice has few payments.
    earlier = next((payment for payment in db.session.execute(
        sa.select(Payment).where(Payment.invoice_id == invoice.id, Payment.kind == PaymentKind.PAYMENT.value)
    ).scalars() if payment.reference.casefold() == reference.casefold()), None)
    if earlier is not None:
        raise PaymentRefused(_l("Reference %(reference)s is already recorded on this invoice (%(amount)s on %(day)s): "
                                "the same payment is not recorded twice. If it was reversed and is paid again, "
                                "tell the two apart, e.g. %(reference)s-2.", reference=earlier.reference,
                                amount=money(earlier.amount_cents, invoice.currency),
                                day=format_date(earlier.paid_on)), field="reference")
    return amount, values.paid_on, values.method, reference


def record_payment(actor: User | None, invoice: Invoice, values: PaymentValues) -> Payment:
    """Record money received; if it pays the invoice in full, release the seats waiting for it, now."""
    lock_invoice(invoice)
    _refuse_unless_payable(invoice)
    amount, paid_on, method, reference = _checked(invoice, values)
    payment = Payment(invoice_id=invoice.id, kind=PaymentKind.PAYMENT.value, amount_cents=amount, paid_on=paid_on,
                      method=method, reference=reference, note=(values.note or "").strip()[:NOTE_MAX],
                      actor_id=actor.id if actor else None)
    db.session.add(payment)
    invoice.paid_cents += amount
    invoice.status = status_for(invoice.total_cents, invoice.paid_cents).value
    db.session.flush()
    audit.record(actor, "invoice.payment_recorded", invoice, payment_id=payment.id, amount_cents=amount,
                 reference=reference, status=invoice.status)
    if invoice.status == InvoiceStatus.PAID:
        seat_svc.release_waiting(actor, invoice, payment)
    return payment


def reverse_payment(actor: User | None, invoice: Invoice, payment_id: int, *, reason: str) -> Payment:
    """Undo a payment with a new entry; released seats are kept or revoked as the platform setting says."""
    lock_invoice(invoice)
    payment = db.session.execute(
        sa.select(Payment).where(Payment.id == payment_id, Payment.invoice_id == invoice.id)).scalar_one_or_none()
    if payment is None or payment.kind != PaymentKind.PAYMENT:
        raise PaymentRefused(_l("This payment is not on the invoice."))
    reversed_by = db.session.execute(
        sa.select(Payment).where(Payment.reverses_payment_id == payment.id)).scalar_one_or_none()
    if reversed_by is not None:
        raise PaymentRefused(_l("This payment was already reversed on %(day)s.", day=format_date(reversed_by.paid_on)))
    reason = " ".join((reason or "").split())
    if not reason:
        raise PaymentRefused(_l("Say why the payment is reversed (it stays in the invoice's history)."), field="reason")
    was_paid = invoice.status == InvoiceStatus.PAID
    reversal = Payment(invoice_id=invoice.id, kind=PaymentKind.REVERSAL.value, amount_cents=-payment.amount_cents,
                       paid_on=today(), method=payment.method, reference=payment.reference, note=reason[:NOTE_MAX],
                       reverses_payment_id=payment.id, actor_id=actor.id if actor else None)
    db.session.add(reversal)
    invoice.paid_cents -= payment.amount_cents
    invoice.status = status_for(invoice.total_cents, invoice.paid_cents).value
    db.session.flush()
    policy = settings().seats_on_reversal
    audit.record(actor, "invoice.payment_reversed", invoice, payment_id=payment.id, reversal_id=reversal.id,
                 amount_cents=payment.amount_cents, status=invoice.status, seats_on_reversal=policy)
    if was_paid and invoice.status != InvoiceStatus.PAID and policy == SeatsOnReversal.REVOKE:
        released = db.session.execute(sa.select(Seat).where(
            Seat.invoice_id == invoice.id, Seat.state == SeatState.RELEASED.value,
            Seat.release_mode == SeatReleaseMode.AFTER_FULL_PAYMENT.value)).scalars().all()
        seat_svc.withdraw(actor, invoice, released, replace=True)
    return reversal


def payments_of(invoice: Invoice) -> list[Payment]:
    """The invoice's payments and reversals, oldest first, with who recorded them."""
    return db.session.execute(
        sa.select(Payment).where(Payment.invoice_id == invoice.id).options(sa.orm.joinedload(Payment.actor))
        .order_by(Payment.id)
    ).scalars().all()


def reversed_ids(payments: list[Payment]) -> set[int]:
    return {p.reverses_payment_id for p in payments if p.reverses_payment_id is not None}
