"""Grants of products to users, where each came from, and per-participant overrides of access settings.

Owned by ``app.services.access``: a grant is made, linked to enrolments and
revoked only there.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class GrantSourceKind(str, enum.Enum):
    """Where a grant came from. A new way in adds a member here (no migration: no CHECK on purpose)."""

    ORDER_LINE = "order_line"  # an activated order line (reseller orders)
    INVOICE_SEAT = "invoice_seat"  # a released invoice seat (billing)
    MANUAL = "manual"  # "+ Product" in the CRM (id: the form's idempotency key)
    PARTNER_ENROLMENT = "partner_enrolment"  # a partner's paid enrolment of a product


class GrantStatus(str, enum.Enum):
    ACTIVE = "active"
    REVOKED = "revoked"


# Which enrolments (one per course of the product) a grant holds.
grant_enrolments = sa.Table(
    "grant_enrolments",
    db.metadata,
    sa.Column("grant_id", sa.ForeignKey("grants.id"), primary_key=True),
    sa.Column("enrolment_id", sa.ForeignKey("enrolments.id"), primary_key=True, index=True),
)


class Grant(db.Model):
    """A user's access to a product under an offer, from one source (unique: granted once)."""

    __tablename__ = "grants"
    __table_args__ = (
        sa.UniqueConstraint("source_kind", "source_id", name="uq_grants_source"),
        sa.CheckConstraint("status IN ('active','revoked')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"), index=True)
    offer_id: Mapped[int] = mapped_column(sa.ForeignKey("offers.id"), index=True)
    source_kind: Mapped[str] = mapped_column(sa.String(30))
    source_id: Mapped[str] = mapped_column(sa.String(100))
    status: Mapped[str] = mapped_column(sa.String(20), default=GrantStatus.ACTIVE.value)
    # Release delays count from this day (platform time zone).
    start_date: Mapped[date] = mapped_column(sa.Date)
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    user = relationship("User", foreign_keys=[user_id])
    product = relationship("Product")
    offer = relationship("Offer")
    enrolments = relationship("Enrolment", secondary=grant_enrolments, order_by="Enrolment.id")
    overrides = relationship("GrantOverride", back_populates="grant", order_by="GrantOverride.id")

    @property
    def is_active(self) -> bool:
        return self.status == GrantStatus.ACTIVE.value


class GrantOverride(db.Model):
    """One change to one access setting of one grant. Append-only: the latest row per field wins.

    ``inherit`` true means "back to the offer's value" (a reset is itself a row).
    """

    __tablename__ = "grant_overrides"
    __table_args__ = (sa.Index("ix_grant_overrides_grant_field", "grant_id", "field", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(sa.ForeignKey("grants.id"))
    field: Mapped[str] = mapped_column(sa.String(40))
    value: Mapped[object | None] = mapped_column(sa.JSON)
    inherit: Mapped[bool] = mapped_column(default=False)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    grant = relationship("Grant", back_populates="overrides")
    actor = relationship("User")
