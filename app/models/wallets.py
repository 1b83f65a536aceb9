"""Credit wallets and their append-only history.

The balance is changed only by ``app.services.ledger.wallets``; the database keeps
``balance >= 0`` (CHECK) and refuses UPDATE/DELETE on entries (trigger).
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class EntryKind(str, enum.Enum):
    RECHARGE = "recharge"
    DEDUCTION = "deduction"
    ENROLMENT_DEBIT = "enrolment_debit"
    ENROLMENT_REFUND = "enrolment_refund"
    TRANSFER_IN = "transfer_in"
    TRANSFER_OUT = "transfer_out"
    ORDER_PAYMENT = "order_payment"  # a customer pays an order with credit
    RECOVERY_OUT = "recovery_out"  # a reseller recovers a customer's whole credit: the customer's side
    RECOVERY_IN = "recovery_in"  # ... and the reseller's side


class Wallet(db.Model):
    __tablename__ = "wallets"
    __table_args__ = (
        sa.CheckConstraint("balance >= 0", name="balance_not_negative"),
        sa.CheckConstraint(
            "(CASE WHEN partner_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN reseller_id IS NULL THEN 0 ELSE 1 END"
            " + CASE WHEN user_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_owner",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partners.id"), unique=True)
    reseller_id: Mapped[int | None] = mapped_column(sa.ForeignKey("resellers.id"), unique=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    balance: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    partner = relationship("Partner", backref=sa.orm.backref("wallet", uselist=False))
    reseller = relationship("Reseller", backref=sa.orm.backref("wallet", uselist=False))
    user = relationship("User", backref=sa.orm.backref("wallet", uselist=False))

    @property
    def owner_label(self) -> str:
        if self.partner is not None:
            return f"partner {self.partner.name}"
        if self.reseller is not None:
            return f"reseller {self.reseller.name}"
        return f"user {self.user.email}"


class WalletEntry(db.Model):
    __tablename__ = "wallet_entries"
    __table_args__ = (
        sa.CheckConstraint("amount <> 0", name="amount_not_zero"),
        sa.CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
        sa.Index("ix_wallet_entries_wallet_id_id", "wallet_id", "id"),
        # The history's filters: by kind (newest first), by date.
        sa.Index("ix_wallet_entries_wallet_kind_id", "wallet_id", "kind", "id"),
        sa.Index("ix_wallet_entries_wallet_created_at", "wallet_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wallet_id: Mapped[int] = mapped_column(sa.ForeignKey("wallets.id"))
    amount: Mapped[int] = mapped_column(sa.Integer)
    balance_after: Mapped[int] = mapped_column(sa.Integer)
    kind: Mapped[str] = mapped_column(sa.String(30), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    # What the entry is about: an enrolment, the debit a refund reverses,
    # the entry on the other side of a transfer.
    enrolment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enrolments.id"), index=True)
    reverses_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wallet_entries.id"))
    counterpart_wallet_id: Mapped[int | None] = mapped_column(sa.ForeignKey("wallets.id"))
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    wallet = relationship("Wallet", foreign_keys=[wallet_id])
    actor = relationship("User", foreign_keys=[actor_id])
    enrolment = relationship("Enrolment", foreign_keys=[enrolment_id])
    counterpart_wallet = relationship("Wallet", foreign_keys=[counterpart_wallet_id])
