"""Invoices, their lines, payments and seats, and the yearly number sequence.

Owned by ``app.services.billing``. Money is integer cents in the invoice's
currency. The database backs the service's rules: a payment never takes the
paid amount above the total (CHECK), payments are append-only (a trigger
refuses UPDATE and DELETE; a reversal is a new row), a payment is reversed at
most once (UNIQUE), and a user holds at most one live seat per line (a
partial UNIQUE index).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import StrEnum, UTCDateTime, utcnow


class InvoiceStatus(StrEnum):
    DRAFT = "draft"  # being written: no number, lines editable
    OPEN = "open"  # issued, nothing paid
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    CANCELLED = "cancelled"


# Issued and alive: seats may be linked and payments recorded.
ISSUED = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID)


class SeatsOnReversal(StrEnum):
    """A platform setting: what a reversal that leaves the invoice unpaid does to the seats its payment released."""

    KEEP = "keep"
    REVOKE = "revoke"


class TaxIdKind(StrEnum):
    IT_VAT = "it_vat"  # partita IVA
    IT_FISCAL_CODE = "it_fiscal_code"  # codice fiscale
    BR_CPF = "br_cpf"
    BR_CNPJ = "br_cnpj"


class Invoice(db.Model):
    __tablename__ = "invoices"
    __table_args__ = (
        InvoiceStatus.check("status", "status_known"),
        sa.CheckConstraint("total_cents >= 0", name="total_not_negative"),
        sa.CheckConstraint("paid_cents >= 0 AND paid_cents <= total_cents", name="paid_within_total"),
        sa.CheckConstraint("customer_id IS NULL OR company_id IS NULL", name="one_payer"),
        sa.CheckConstraint("(status = 'draft') = (number IS NULL)", name="number_once_issued"),
        sa.Index("ix_invoices_status_issued_on", "status", "issued_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # "<year>-<n>", assigned at issue from the year's sequence row; never reused.
    number: Mapped[str | None] = mapped_column(sa.String(30), unique=True)
    status: Mapped[str] = mapped_column(sa.String(20), default=InvoiceStatus.DRAFT.value)
    # The payer: a customer (a user) or a client company; name and tax id are kept as printed.
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("companies.id"), index=True)
    payer_name: Mapped[str] = mapped_column(sa.String(200))
    payer_tax_id_kind: Mapped[str | None] = mapped_column(sa.String(20))
    payer_tax_id: Mapped[str | None] = mapped_column(sa.String(20))
    payer_address: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    issued_on: Mapped[date | None] = mapped_column(sa.Date)
    due_on: Mapped[date | None] = mapped_column(sa.Date)
    notes: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # Kept by the billing service under the invoice's row lock; `flask audit-invoices` re-adds them.
    total_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    paid_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    lines = relationship("InvoiceLine", back_populates="invoice", order_by="InvoiceLine.id")
    payments = relationship("Payment", back_populates="invoice", order_by="Payment.id")
    seats = relationship("Seat", back_populates="invoice", order_by="Seat.id", viewonly=True)
    customer = relationship("User", foreign_keys=[customer_id])
    company = relationship("Company")

    @property
    def due_cents(self) -> int:
        return self.total_cents - self.paid_cents

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT

    @property
    def is_issued(self) -> bool:
        return self.status in ISSUED


class InvoiceLine(db.Model):
    """An access product (quantity = seats, under one offer's settings) or a one-off item."""

    __tablename__ = "invoice_lines"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("unit_price_cents >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(sa.ForeignKey("invoices.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("products.id"))
    offer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offers.id"))
    description: Mapped[str] = mapped_column(sa.String(300))
    quantity: Mapped[int] = mapped_column(sa.Integer, default=1)
    unit_price_cents: Mapped[int] = mapped_column(sa.Integer, default=0)

    invoice = relationship("Invoice", back_populates="lines")
    product = relationship("Product")
    offer = relationship("Offer")

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_price_cents

    @property
    def is_access(self) -> bool:
        return self.product_id is not None


class PaymentKind(StrEnum):
    PAYMENT = "payment"
    REVERSAL = "reversal"  # undoes one payment, whole: a new row, never an edit


class InvoicePaymentMethod(StrEnum):
    BANK_TRANSFER = "bank_transfer"
    CARD = "card"
    CASH = "cash"
    OTHER = "other"


class Payment(db.Model):
    """Money received for an invoice, or the reversal of such a payment. Append-only."""

    __tablename__ = "invoice_payments"
    __table_args__ = (
        PaymentKind.check("kind", "kind_known"),
        InvoicePaymentMethod.check("method", "method_known"),
        sa.CheckConstraint(
            "(kind = 'payment' AND amount_cents > 0 AND reverses_payment_id IS NULL)"
            " OR (kind = 'reversal' AND amount_cents < 0 AND reverses_payment_id IS NOT NULL)",
            name="amount_sign_follows_kind",
        ),
        # The same reference is recorded once per invoice (the service says so first, case-insensitively).
        sa.Index("uq_invoice_payments_invoice_reference", "invoice_id", "reference", unique=True,
                 sqlite_where=sa.text("kind = 'payment'"), postgresql_where=sa.text("kind = 'payment'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(sa.ForeignKey("invoices.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20), default=PaymentKind.PAYMENT.value)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    paid_on: Mapped[date] = mapped_column(sa.Date)
    method: Mapped[str] = mapped_column(sa.String(20))
    reference: Mapped[str] = mapped_column(sa.String(100))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    reverses_payment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invoice_payments.id"), unique=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    invoice = relationship("Invoice", back_populates="payments")
    actor = relationship("User")
    reverses = relationship("Payment", remote_side=[id], foreign_keys=[reverses_payment_id])


class SeatReleaseMode(StrEnum):
    NOW = "now"
    AFTER_FULL_PAYMENT = "after_full_payment"


class SeatState(StrEnum):
    FREE = "free"  # nobody linked yet
    WAITING = "waiting"  # linked, released when the invoice is paid in full
    RELEASED = "released"  # the user has the access (a grant whose source is this seat)
    REVOKED = "revoked"  # withdrawn (invoice cancelled, or a reversal with "revoke"): history, not a seat any more


# The seats that count towards a line's quantity.
LIVE_SEAT_STATES = (SeatState.FREE, SeatState.WAITING, SeatState.RELEASED)
_LIVE_SQL = "state IN ('free','waiting','released')"


class Seat(db.Model):
    """One unit of an access line: created free when the invoice is issued, one row per unit of quantity.

    Releasing a seat grants its line's product to its user with the seat as
    the grant's source, so a seat gives access at most once. A seat withdrawn
    by a reversal becomes ``revoked`` and a new waiting seat for the same user
    takes its place (``replaces_seat_id``), to be released by the next full
    payment under a source of its own.
    """

    __tablename__ = "invoice_seats"
    __table_args__ = (
        SeatState.check("state", "state_known"),
        sa.CheckConstraint("release_mode IS NULL OR release_mode IN ('now','after_full_payment')",
                           name="release_mode_known"),
        sa.CheckConstraint("(state = 'free') = (user_id IS NULL)", name="user_iff_linked"),
        sa.CheckConstraint("state = 'free' OR release_mode IS NOT NULL", name="linked_with_a_mode"),
        sa.CheckConstraint("state <> 'released' OR released_at IS NOT NULL", name="released_when"),
        # One live seat per user and line (a revoked seat is history and does not count).
        sa.Index("uq_invoice_seats_line_user", "line_id", "user_id", unique=True,
                 sqlite_where=sa.text(_LIVE_SQL), postgresql_where=sa.text(_LIVE_SQL)),
        sa.Index("ix_invoice_seats_invoice_state", "invoice_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(sa.ForeignKey("invoices.id"))
    line_id: Mapped[int] = mapped_column(sa.ForeignKey("invoice_lines.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    release_mode: Mapped[str | None] = mapped_column(sa.String(20))
    state: Mapped[str] = mapped_column(sa.String(20), default=SeatState.FREE.value)
    linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    linked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The payment that made the invoice paid in full and so released this seat (after-full-payment mode).
    released_by_payment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invoice_payments.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaces_seat_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invoice_seats.id"))

    invoice = relationship("Invoice", back_populates="seats")
    line = relationship("InvoiceLine")
    user = relationship("User", foreign_keys=[user_id])

    @property
    def is_live(self) -> bool:
        return self.state in LIVE_SEAT_STATES


class InvoiceNumberSequence(db.Model):
    """The last invoice number given in a year: locked and moved by one UPDATE at each issue (gap-free)."""

    __tablename__ = "invoice_number_sequences"
    __table_args__ = (sa.CheckConstraint("last_number >= 0", name="last_number_not_negative"),)

    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(sa.Integer, default=0)
