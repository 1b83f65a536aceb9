"""Reseller sales: orders and their lines, payment-method policies, processed payment events,
what each reseller may sell, and the order-number counter.

Owned by ``app.services.sales``: an order changes status only there, and it is
activated only by ``sales.activation.activate_order`` (one conditional UPDATE).
Money is integer cents; a price in credits is a whole number of credits.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import StrEnum, UTCDateTime, utcnow


class OrderStatus(StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"  # the customer has not paid yet (card, PayPal)
    AWAITING_ACTIVATION = "awaiting_activation"  # waits for the reseller (the "to activate" list)
    ACTIVE = "active"  # activated: its lines' accesses are granted
    DELETED = "deleted"  # deleted by the reseller: can no longer be paid or activated


# The statuses an activation may start from: the conditional UPDATE lists exactly these.
WAITING = (OrderStatus.AWAITING_PAYMENT.value, OrderStatus.AWAITING_ACTIVATION.value)


class PaymentMethod(StrEnum):
    BANK_TRANSFER = "bank_transfer"  # always activated by hand, once the reseller sees the transfer
    CARD = "card"  # Stripe
    PAYPAL = "paypal"
    CREDIT = "credit"  # the customer's own credit wallet
    BY_RESELLER = "by_reseller"  # added by hand by the reseller ("Add products")


class ActivationPolicy(StrEnum):
    AUTOMATIC = "automatic"
    RETURNING_CUSTOMERS = "returning_customers"  # automatic only for a customer with an activated order
    BY_HAND = "by_hand"


class WaitReason(StrEnum):
    """Why an order waits in the "to activate" list: the rule that held it, recorded when it started waiting."""

    BANK_TRANSFER = "bank_transfer"
    CARD_BY_HAND = "card_by_hand"
    CARD_FIRST_ORDER = "card_first_order"
    PAYPAL_BY_HAND = "paypal_by_hand"
    PAYPAL_FIRST_ORDER = "paypal_first_order"
    ADDED_BY_RESELLER = "added_by_reseller"


class PaymentProvider(StrEnum):
    STRIPE = "stripe"
    PAYPAL = "paypal"


class Order(db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        OrderStatus.check("status", "status_known"),
        PaymentMethod.check("payment_method", "payment_method_known"),
        sa.CheckConstraint("total_cents >= 0", name="total_not_negative"),
        sa.CheckConstraint("total_credits IS NULL OR total_credits >= 0", name="credits_not_negative"),
        sa.Index("ix_orders_reseller_status", "reseller_id", "status", "id"),
        sa.Index("ix_orders_customer_status", "customer_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    reseller_id: Mapped[int] = mapped_column(sa.ForeignKey("resellers.id"))
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(sa.String(20), default=OrderStatus.AWAITING_PAYMENT.value)
    payment_method: Mapped[str] = mapped_column(sa.String(20))
    wait_reason: Mapped[str | None] = mapped_column(sa.String(30))
    total_cents: Mapped[int] = mapped_column(sa.Integer, default=0)
    currency: Mapped[str] = mapped_column(sa.String(3), default="EUR")
    # Set when the order is paid with credit: what it costs in credits.
    total_credits: Mapped[int | None] = mapped_column(sa.Integer)
    # The provider's reference of the payment (a Stripe PaymentIntent, a PayPal order or capture).
    payment_reference: Mapped[str | None] = mapped_column(sa.String(100))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    activated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    customer = relationship("User", foreign_keys=[customer_id])
    reseller = relationship("Reseller")
    lines = relationship("OrderLine", back_populates="order", order_by="OrderLine.id")

    @property
    def is_waiting(self) -> bool:
        return self.status in WAITING


class OrderLine(db.Model):
    __tablename__ = "order_lines"
    __table_args__ = (
        sa.CheckConstraint("price_cents >= 0", name="price_not_negative"),
        sa.CheckConstraint("price_credits IS NULL OR price_credits >= 0", name="credits_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"))
    offer_id: Mapped[int] = mapped_column(sa.ForeignKey("offers.id"))
    # The offer's price when ordered (the catalog may change later).
    price_cents: Mapped[int] = mapped_column(sa.Integer, default=0)
    price_credits: Mapped[int | None] = mapped_column(sa.Integer)

    order = relationship("Order", back_populates="lines")
    product = relationship("Product")
    offer = relationship("Offer")


class PaymentPolicy(db.Model):
    """A reseller's setting for one payment method: when a confirmed payment activates the order.

    Bank transfer is always by hand; its row carries the transfer instructions shown to the customer.
    """

    __tablename__ = "payment_policies"
    __table_args__ = (
        sa.UniqueConstraint("reseller_id", "method", name="uq_payment_policies_reseller_method"),
        PaymentMethod.check("method", "method_known"),
        ActivationPolicy.check("policy", "policy_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reseller_id: Mapped[int] = mapped_column(sa.ForeignKey("resellers.id"))
    method: Mapped[str] = mapped_column(sa.String(20))
    policy: Mapped[str] = mapped_column(sa.String(30), default=ActivationPolicy.BY_HAND.value)
    instructions: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PaymentEvent(db.Model):
    """A payment provider's webhook event, stored once (UNIQUE per provider and event id) in the
    transaction of its effect: a redelivery finds it and changes nothing."""

    __tablename__ = "payment_events"
    __table_args__ = (
        sa.UniqueConstraint("provider", "event_id", name="uq_payment_events_provider_event"),
        PaymentProvider.check("provider", "provider_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(10))
    event_id: Mapped[str] = mapped_column(sa.String(100))
    event_type: Mapped[str] = mapped_column(sa.String(100))
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id"), index=True)
    # What the event did: "activated", "waiting", "already_active", "ignored", ...
    outcome: Mapped[str] = mapped_column(sa.String(30))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ResellerOffer(db.Model):
    """An offer a reseller may sell; ``price_credits`` (optional) lets its customers pay with credit."""

    __tablename__ = "reseller_offers"
    __table_args__ = (
        sa.CheckConstraint("price_credits IS NULL OR price_credits > 0", name="credits_positive"),
    )

    reseller_id: Mapped[int] = mapped_column(sa.ForeignKey("resellers.id"), primary_key=True)
    offer_id: Mapped[int] = mapped_column(sa.ForeignKey("offers.id"), primary_key=True)
    price_credits: Mapped[int | None] = mapped_column(sa.Integer)

    offer = relationship("Offer")


class OrderNumberCounter(db.Model):
    """The last order number given in a year: numbers are gap-free per year (``2026-000042``)."""

    __tablename__ = "order_number_counters"

    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(sa.Integer, default=0)
