from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import StrEnum, UTCDateTime, utcnow
from app.models.billing import SeatsOnReversal


class PartnerKind(StrEnum):
    DEFAULT = "default"  # the platform's look and domain
    WHITELABEL = "whitelabel"  # its own domain, name and look; may have its own courses


class Partner(db.Model):
    """A partner company that enrols its students with prepaid credits."""

    __tablename__ = "partners"
    __table_args__ = (
        PartnerKind.check("kind", "kind_known"),
        sa.CheckConstraint(
            "low_balance_threshold IS NULL OR low_balance_threshold >= 0",
            name="threshold_not_negative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20), default=PartnerKind.DEFAULT.value)
    domain: Mapped[str | None] = mapped_column(sa.String(253), unique=True)
    brand_color: Mapped[str | None] = mapped_column(sa.String(7))
    logo_url: Mapped[str | None] = mapped_column(sa.String(500))
    # The language for its users who chose none and whose browser asks for none Aula offers
    # (on its own domain), and for emails to its users; None = the platform default.
    default_locale: Mapped[str | None] = mapped_column(sa.String(10))
    # Set when the partner uploaded its own logo (PartnerLogo): part of the logo's URL, so a new one shows at once.
    logo_version: Mapped[str | None] = mapped_column(sa.String(16))
    # None = use the platform default threshold.
    low_balance_threshold: Mapped[int | None] = mapped_column(sa.Integer)
    # When the last "not enough credits" alert went out (at most one an hour).
    last_credit_alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_whitelabel(self) -> bool:
        return self.kind == PartnerKind.WHITELABEL

    def __repr__(self) -> str:
        return f"<Partner {self.name}>"


class PartnerLogo(db.Model):
    """A whitelabel partner's uploaded logo, kept in the database (never under the web root).

    Its own table, so the Partner row read on every request (the brand by Host) never carries it.
    """

    __tablename__ = "partner_logos"

    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("partners.id"), primary_key=True)
    content_type: Mapped[str] = mapped_column(sa.String(20))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Company(db.Model):
    """A client company (azienda) administered by a partner or by the platform."""

    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partners.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    vat_number: Mapped[str | None] = mapped_column(sa.String(30))
    contact: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# A partner's company names are unique ignoring case (the service says so first;
# this index settles a race between two requests).
sa.Index("uq_companies_partner_lower_name", Company.partner_id, sa.func.lower(Company.name), unique=True)
# The CRM finds contacts by their company's name anywhere in it (PostgreSQL's pg_trgm).
sa.Index("ix_companies_name_trgm", sa.func.lower(Company.name).label("lower_name"), postgresql_using="gin",
         postgresql_ops={"lower_name": "gin_trgm_ops"}).ddl_if(dialect="postgresql")


# The partner list in name order (keyset pages).
sa.Index("ix_partners_lower_name", sa.func.lower(Partner.name), Partner.id)


class Reseller(db.Model):
    """A reseller organisation; its users have role reseller, its customers role customer."""

    __tablename__ = "resellers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlatformSettings(db.Model):
    """One row of platform-wide settings editable by the platform admin."""

    __tablename__ = "platform_settings"
    __table_args__ = (SeatsOnReversal.check("seats_on_reversal", "seats_on_reversal_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    low_balance_threshold: Mapped[int] = mapped_column(sa.Integer, default=10)
    refund_on_cancel: Mapped[bool] = mapped_column(default=True)
    # What a payment reversal that leaves an invoice unpaid does to the seats released by full payment.
    seats_on_reversal: Mapped[str] = mapped_column(
        sa.String(10), default=SeatsOnReversal.KEEP.value, server_default=SeatsOnReversal.KEEP.value)
