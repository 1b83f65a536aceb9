"""THE activation of an order, exactly once; and what a confirmed payment does to an order.

``activate_order`` is one conditional state change,
``UPDATE orders SET status = 'active' WHERE id = :id AND status IN (<waiting>)``,
checked by its row count. Only the transaction whose UPDATE changed the row
goes on, in the same transaction, to the ledger entry (an order paid with
credit), the grants (one per line, ``access.grant_product`` with the line as
source) and the outbox email. Every other caller (another tab, a webhook
retry, a second event for the same payment, the return page) finds the
order active and gets "already active": a success, not an error. On
PostgreSQL a concurrent UPDATE of the same row waits for the first to
commit and then matches no row; on SQLite writers are serialised.

``confirm_payment`` is where every provider's confirmation lands (both
webhooks and the customer's return page): the payment is recorded once
(``paid_at`` set by a conditional UPDATE) and the reseller's policy decides
between activating and waiting, with the reason recorded.

Functions add and flush; the caller commits once.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import WAITING, AuditEvent, Order, OrderStatus, PaymentMethod, User
from app.models.base import utcnow
from app.services import DomainError, access, audit
from app.services.ledger import wallets
from app.services.outbox.email import queue_email
from app.services.sales import policies
from app.services.tenancy import sites


class OrderNotWaiting(DomainError):
    """The order was deleted: it can no longer be activated or paid."""

    def __init__(self, message=None, field=None):
        super().__init__(message or _l("This order was deleted: it can no longer be activated or paid."), field)


@dataclass(frozen=True)
class Activation:
    order: Order
    # True for the one call that activated it; False: it was already active (a success all the same).
    activated: bool


def _set_status(order: Order, values: dict, *, where_status: tuple[str, ...]) -> bool:
    """One conditional UPDATE of the order's row; True if it changed (the caller then owns the change)."""
    table = Order.__table__
    result = db.session.execute(
        sa.update(table).where(table.c.id == order.id, table.c.status.in_(where_status)).values(**values)
    )
    db.session.expire(order)
    return result.rowcount == 1


def activate_order(actor: User | None, order: Order, *, mark_paid: bool = False) -> Activation:
    """Activate ``order`` exactly once: the grants, the credit payment and the email happen only here.

    ``mark_paid``: the reseller confirms a bank transfer by activating (seen on the account). A card or PayPal
    order is paid only when its provider says so: activated by hand before that, it stays unpaid.
    Raises OrderNotWaiting for a deleted order; InsufficientCredits (nothing changed) for an order paid
    with credit the customer no longer has; GrantRefused if a line cannot be granted.
    """
    now = utcnow()
    values = {"status": OrderStatus.ACTIVE.value, "activated_at": now,
              "activated_by_id": actor.id if actor else None}
    if not _set_status(order, values, where_status=WAITING):
        if order.status == OrderStatus.ACTIVE.value:
            return Activation(order, activated=False)
        raise OrderNotWaiting()
    if mark_paid and order.paid_at is None and order.payment_method == PaymentMethod.BANK_TRANSFER.value:
        order.paid_at = now
    customer = order.customer
    if order.payment_method == PaymentMethod.CREDIT.value and order.total_credits:
        # The note is the order's number (data): the entry's kind says the rest in the reader's language.
        wallets.pay_order(wallets.wallet_of(customer), order.total_credits, order_id=order.id, actor=actor,
                          note=order.number)
        order.paid_at = order.paid_at or now
    courses = []
    for line in order.lines:
        grant = access.grant_product(actor, customer, line.product, line.offer,
                                     source=access.GrantSource.order_line(line.id))
        courses.extend(enrolment.course for enrolment in grant.enrolments)
    db.session.flush()
    # The link is the platform's own address (customers sign in there), never the request's Host.
    queue_email("order_active", customer.email, _("Your order %(number)s is active", number=order.number),
                order=order, courses=courses, member_url=sites.external_url("member.home"))
    audit.record(actor, "order.activated", order, reseller_id=order.reseller_id, number=order.number,
                 method=order.payment_method)
    return Activation(order, activated=True)


@dataclass(frozen=True)
class PaymentOutcome:
    order: Order
    outcome: str  # "activated", "already_active", "waiting", "already_paid", "deleted", "refused"


def confirm_payment(order: Order, *, reference: str | None = None) -> PaymentOutcome:
    """A provider says the order is paid: record it once, then activate or wait as the reseller's policy says.

    Never raises for a rule: a deleted order, an order already paid or active,
    and an activation refused (e.g. a product emptied since) are outcomes,
    so a webhook always answers and the provider stops retrying.
    """
    if order.status == OrderStatus.DELETED.value:
        _record_payment_after_deletion(order, reference)
        return PaymentOutcome(order, "deleted")
    first = _record_payment(order, reference)
    if order.status == OrderStatus.ACTIVE.value:
        return PaymentOutcome(order, "already_active")
    if not first:
        return PaymentOutcome(order, "already_paid")
    decision = policies.decide(order)
    if decision.activate:
        try:
            with db.session.begin_nested():
                result = activate_order(None, order)
        except DomainError as error:
            _wait(order, policies.by_hand_reason(order.payment_method))
            audit.record(None, "order.activation_refused", order, number=order.number, **error.as_recorded())
            return PaymentOutcome(order, "refused")
        return PaymentOutcome(order, "activated" if result.activated else "already_active")
    _wait(order, decision.reason)
    return PaymentOutcome(order, "waiting")


def _record_payment_after_deletion(order: Order, reference: str | None) -> None:
    """The money arrived all the same: the trail says so once per payment (a provider sends several events
    for one payment: Stripe's intent and its checkout session), for a refund with the provider."""
    action = "order.paid_after_deletion"
    recorded = db.session.execute(sa.select(AuditEvent.details).where(
        AuditEvent.action == action, AuditEvent.object_type == "Order", AuditEvent.object_id == order.id)).scalars()
    if any((details or {}).get("reference") == reference for details in recorded):
        return
    audit.record(None, action, order, reseller_id=order.reseller_id, number=order.number,
                 method=order.payment_method, reference=reference)


def _record_payment(order: Order, reference: str | None) -> bool:
    """Set ``paid_at`` once (conditional UPDATE); True for the call that set it."""
    table = Order.__table__
    result = db.session.execute(
        sa.update(table).where(table.c.id == order.id, table.c.paid_at.is_(None),
                               table.c.status != OrderStatus.DELETED.value)
        .values(paid_at=utcnow(), payment_reference=(reference or None) and reference[:100])
    )
    db.session.expire(order)
    if result.rowcount == 1:
        audit.record(None, "order.paid", order, number=order.number, method=order.payment_method,
                     reference=reference)
    return result.rowcount == 1


def _wait(order: Order, reason) -> None:
    """Move a paid order to the reseller's "to activate" list, with the rule that held it."""
    _set_status(order, {"status": OrderStatus.AWAITING_ACTIVATION.value, "wait_reason": reason.value},
                where_status=(OrderStatus.AWAITING_PAYMENT.value,))
