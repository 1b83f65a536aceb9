from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import StrEnum, UTCDateTime, utcnow


class InvoiceStatus(StrEnum):
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    CANCELLED = "cancelled"


class Invoice(db.Model):
    __tablename__ = "invoices"
    __table_args__ = (
        InvoiceStatus.check("status", "status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    customer_name: Mapped[str] = mapped_column(sa.String(200))
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("companies.id"))
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    status: Mapped[str] = mapped_column(sa.String(20), default=InvoiceStatus.OPEN.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines = relationship("InvoiceLine", back_populates="invoice", order_by="InvoiceLine.id")

    @property
    def total_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)


class InvoiceLine(db.Model):
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
