"""A reseller's payment settings, and what a confirmed payment does under them.

For card and for PayPal the reseller chooses *activate automatically*,
*automatically only for customers who already have an activated order*, or
*by hand*; bank transfer is always by hand (its setting carries the transfer
instructions the customer sees). ``decide`` applies the policy when a payment
is confirmed and says, when the order must wait, which rule held it.
Functions add and flush; the caller commits once.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import (
    ActivationPolicy, Order, OrderStatus, PaymentMethod, PaymentPolicy, Reseller, User, WaitReason,
)
from app.services import DomainError, audit

# The methods whose policy the reseller chooses.
CHOOSABLE = (PaymentMethod.CARD.value, PaymentMethod.PAYPAL.value)
DEFAULT_POLICY = ActivationPolicy.RETURNING_CUSTOMERS.value
INSTRUCTIONS_MAX = 2000

POLICY_LABELS = {
    ActivationPolicy.AUTOMATIC.value: _l("Activate automatically"),
    ActivationPolicy.RETURNING_CUSTOMERS.value: _l("Automatically only for customers who already have an "
                                                   "activated order"),
    ActivationPolicy.BY_HAND.value: _l("By hand"),
}

METHOD_LABELS = {
    PaymentMethod.BANK_TRANSFER.value: _l("Bank transfer"),
    PaymentMethod.CARD.value: _l("Card"),
    PaymentMethod.PAYPAL.value: _l("PayPal"),
    PaymentMethod.CREDIT.value: _l("Credit"),
    PaymentMethod.BY_RESELLER.value: _l("Added by the reseller"),
}

# Why an order waits, in the words the reseller reads on the "to activate" list.
WAIT_REASON_LABELS = {
    WaitReason.BANK_TRANSFER.value: _l("bank transfer"),
    WaitReason.CARD_BY_HAND.value: _l("card: by hand"),
    WaitReason.CARD_FIRST_ORDER.value: _l("card: first order of this customer"),
    WaitReason.PAYPAL_BY_HAND.value: _l("PayPal: by hand"),
    WaitReason.PAYPAL_FIRST_ORDER.value: _l("PayPal: first order of this customer"),
    WaitReason.ADDED_BY_RESELLER.value: _l("added by hand, not activated yet"),
}

_BY_HAND = {PaymentMethod.CARD.value: WaitReason.CARD_BY_HAND, PaymentMethod.PAYPAL.value: WaitReason.PAYPAL_BY_HAND}
_FIRST_ORDER = {PaymentMethod.CARD.value: WaitReason.CARD_FIRST_ORDER,
                PaymentMethod.PAYPAL.value: WaitReason.PAYPAL_FIRST_ORDER}


def wait_reason_label(order: Order) -> str:
    """Why ``order`` waits (empty when it does not wait for the reseller)."""
    if order.status == OrderStatus.AWAITING_PAYMENT.value:
        return str(_l("waiting for the customer's payment"))
    return str(WAIT_REASON_LABELS.get(order.wait_reason or "", ""))


def by_hand_reason(method: str) -> WaitReason:
    """The reason an order of ``method`` waits when it must be activated by hand."""
    return _BY_HAND.get(method, WaitReason.ADDED_BY_RESELLER)


def method_label(method: str) -> str:
    return str(METHOD_LABELS.get(method, method))


@dataclass(frozen=True)
class PaymentSettings:
    card: str
    paypal: str
    bank_instructions: str


def _rows(reseller: Reseller) -> dict[str, PaymentPolicy]:
    return {row.method: row for row in db.session.execute(
        sa.select(PaymentPolicy).where(PaymentPolicy.reseller_id == reseller.id)).scalars()}


def payment_settings(reseller: Reseller) -> PaymentSettings:
    """The reseller's settings; a method never set uses the default (returning customers only)."""
    rows = _rows(reseller)

    def policy(method):
        return rows[method].policy if method in rows else DEFAULT_POLICY

    bank = rows.get(PaymentMethod.BANK_TRANSFER.value)
    return PaymentSettings(card=policy(PaymentMethod.CARD.value), paypal=policy(PaymentMethod.PAYPAL.value),
                           bank_instructions=bank.instructions if bank else "")


def save_payment_settings(actor: User, reseller: Reseller, *, card: str, paypal: str,
                          bank_instructions: str) -> PaymentSettings:
    """Set the policy of card and PayPal and the bank transfer instructions. Applies to payments confirmed from now on."""
    for field, value in (("card", card), ("paypal", paypal)):
        if value not in ActivationPolicy.values():
            raise DomainError(_l("Choose one of the three policies."), field=field)
    instructions = (bank_instructions or "").strip()
    if len(instructions) > INSTRUCTIONS_MAX:
        raise DomainError(_l("At most %(n)s characters.", n=INSTRUCTIONS_MAX), field="bank_instructions")
    rows = _rows(reseller)
    wanted = {PaymentMethod.CARD.value: (card, ""), PaymentMethod.PAYPAL.value: (paypal, ""),
              PaymentMethod.BANK_TRANSFER.value: (ActivationPolicy.BY_HAND.value, instructions)}
    for method, (policy, text) in wanted.items():
        row = rows.get(method)
        if row is None:
            db.session.add(PaymentPolicy(reseller_id=reseller.id, method=method, policy=policy, instructions=text))
        else:
            row.policy, row.instructions = policy, text
    db.session.flush()
    audit.record(actor, "reseller.payment_settings", reseller, card=card, paypal=paypal)
    return payment_settings(reseller)


def has_activated_order(customer: User, *, besides: Order) -> bool:
    """Whether ``customer`` already has an activated order other than ``besides`` (a returning customer)."""
    return db.session.scalar(
        sa.select(Order.id).where(Order.customer_id == customer.id, Order.id != besides.id,
                                  Order.activated_at.is_not(None)).limit(1)
    ) is not None


@dataclass(frozen=True)
class Decision:
    """What a confirmed payment does: activate now, or wait for the reseller for ``reason``."""

    activate: bool
    reason: WaitReason | None = None


def decide(order: Order) -> Decision:
    """Apply the reseller's policy for the order's method to a payment just confirmed."""
    method = order.payment_method
    if method not in CHOOSABLE:
        return Decision(activate=True)
    settings = payment_settings(order.reseller)
    policy = settings.card if method == PaymentMethod.CARD.value else settings.paypal
    if policy == ActivationPolicy.AUTOMATIC.value:
        return Decision(activate=True)
    if policy == ActivationPolicy.RETURNING_CUSTOMERS.value:
        if has_activated_order(order.customer, besides=order):
            return Decision(activate=True)
        return Decision(activate=False, reason=_FIRST_ORDER[method])
    return Decision(activate=False, reason=_BY_HAND[method])
