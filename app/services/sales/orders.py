"""Orders: a customer's order from the shop, a reseller's order by hand, deleting a waiting order,
order numbers, and the order lists (customer's, reseller's with filters, CSV rows).

An order holds one line per offer bought, each with the price of the day.
Its status changes only here (placed, deleted) and in ``activation``.
Functions add and flush; the caller commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Iterator

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.models import (
    WAITING, Grant, GrantSourceKind, Order, OrderLine, OrderNumberCounter, OrderStatus, PaymentMethod, Reseller,
    Role, User, WaitReason, Enrolment,
)
from app.models.base import MAX_ID, utcnow
from app.services import DomainError, audit
from app.services.ledger.statements import platform_zone, start_of_day
from app.transactions import begin_read_only
from app.services.sales import activation, catalog, policies
from app.services.sales.catalog import OfferForSale

# What a customer may choose in the shop.
CUSTOMER_METHODS = (PaymentMethod.BANK_TRANSFER.value, PaymentMethod.CARD.value, PaymentMethod.PAYPAL.value,
                    PaymentMethod.CREDIT.value)


class OrderRefused(DomainError):
    pass


# --- numbers ------------------------------------------------------------------------


def next_order_number() -> str:
    """``<year>-<n>``, n gap-free per year (the counter row is locked by its UPDATE until commit)."""
    year = utcnow().astimezone(platform_zone()).year
    table = OrderNumberCounter.__table__
    bump = sa.update(table).where(table.c.year == year).values(last=table.c.last + 1).returning(table.c.last)
    number = db.session.execute(bump).scalar_one_or_none()
    if number is None:
        try:
            with db.session.begin_nested():
                db.session.execute(sa.insert(table).values(year=year, last=1))
            number = 1
        except IntegrityError:  # another transaction started the year first
            number = db.session.execute(bump).scalar_one()
    return f"{year}-{number:06d}"


# --- placing and deleting -------------------------------------------------------------


def _new_order(actor: User | None, customer: User, item: OfferForSale, method: str, *, status: str,
               wait_reason: WaitReason | None = None) -> Order:
    if not item.product.courses:
        raise OrderRefused(_l("This product has no course yet: it cannot be ordered."), field="offer")
    paid_in_credits = method == PaymentMethod.CREDIT.value
    order = Order(
        number=next_order_number(), reseller_id=customer.reseller_id, customer_id=customer.id, status=status,
        payment_method=method, wait_reason=wait_reason.value if wait_reason else None,
        total_cents=item.offer.price_cents, currency=current_app.config["AULA_CURRENCY"],
        total_credits=item.price_credits if paid_in_credits else None, created_by_id=actor.id if actor else None,
    )
    db.session.add(order)
    db.session.flush()
    db.session.add(OrderLine(order_id=order.id, product_id=item.product.id, offer_id=item.offer.id,
                             price_cents=item.offer.price_cents, price_credits=item.price_credits))
    db.session.flush()
    audit.record(actor, "order.placed", order, reseller_id=order.reseller_id, number=order.number, method=method,
                 offer=item.offer.id)
    return order


def place_order(customer: User, offer_id: int | None, method: str) -> Order:
    """The customer orders an offer its reseller sells, paying with ``method``.

    Bank transfer: the order waits for the reseller. Card, PayPal: it waits
    for the payment. Credit: paid and activated now, or refused with nothing
    changed (``InsufficientCredits``) when the credit is short.
    """
    if customer.role != Role.CUSTOMER.value or customer.reseller_id is None:
        raise OrderRefused(_l("Only a reseller's customer can order here."))
    if method not in CUSTOMER_METHODS:
        raise OrderRefused(_l("Choose a payment method."), field="method")
    item = catalog.offer_for_sale(customer.reseller, offer_id)
    if method == PaymentMethod.CREDIT.value and not item.price_credits:
        raise OrderRefused(_l("This offer cannot be paid with credit."), field="method")
    if method == PaymentMethod.BANK_TRANSFER.value:
        return _new_order(customer, customer, item, method, status=OrderStatus.AWAITING_ACTIVATION.value,
                          wait_reason=WaitReason.BANK_TRANSFER)
    order = _new_order(customer, customer, item, method, status=OrderStatus.AWAITING_PAYMENT.value)
    if method == PaymentMethod.CREDIT.value:
        activation.activate_order(customer, order)
    return order


def add_products(actor: User, reseller: Reseller, customer: User, offer_id: int | None, *,
                 activate_now: bool) -> Order:
    """The reseller orders an offer for its customer by hand; activated at once if asked, else it waits."""
    if customer.reseller_id != reseller.id or customer.role != Role.CUSTOMER.value:
        raise OrderRefused(_l("This customer does not belong to your organisation."))
    item = catalog.offer_for_sale(reseller, offer_id)
    order = _new_order(actor, customer, item, PaymentMethod.BY_RESELLER.value,
                       status=OrderStatus.AWAITING_ACTIVATION.value, wait_reason=WaitReason.ADDED_BY_RESELLER)
    if activate_now:
        activation.activate_order(actor, order, mark_paid=True)
    return order


def delete_order(actor: User, order: Order) -> bool:
    """Delete a waiting order (it can no longer be paid or activated). Deleting it again changes nothing.

    An active order is refused: its accesses were granted.
    """
    table = Order.__table__
    result = db.session.execute(
        sa.update(table).where(table.c.id == order.id, table.c.status.in_(WAITING))
        .values(status=OrderStatus.DELETED.value, deleted_at=utcnow())
    )
    db.session.expire(order)
    if result.rowcount == 1:
        audit.record(actor, "order.deleted", order, reseller_id=order.reseller_id, number=order.number)
        return True
    if order.status == OrderStatus.ACTIVE.value:
        raise OrderRefused(_l("Order %(number)s is active: it cannot be deleted.", number=order.number))
    return False


# --- finding --------------------------------------------------------------------------


def _valid(order_id) -> bool:
    return isinstance(order_id, int) and 0 < order_id <= MAX_ID


def find_order(reseller: Reseller, order_id: int | None) -> Order | None:
    """The reseller's own order, or None (also for another reseller's)."""
    if not _valid(order_id):
        return None
    return db.session.execute(
        sa.select(Order).where(Order.id == order_id, Order.reseller_id == reseller.id)
    ).scalar_one_or_none()


def find_customer_order(customer: User, order_id: int | None) -> Order | None:
    """The customer's own order, or None (also for another customer's)."""
    if not _valid(order_id):
        return None
    return db.session.execute(
        sa.select(Order).where(Order.id == order_id, Order.customer_id == customer.id)
    ).scalar_one_or_none()


def find_order_by_number(number: str | None) -> Order | None:
    if not number or len(number) > 20:
        return None
    return db.session.execute(sa.select(Order).where(Order.number == number)).scalar_one_or_none()


# --- lists ----------------------------------------------------------------------------


def _with_lines(query):
    return query.options(selectinload(Order.lines).joinedload(OrderLine.product),
                         selectinload(Order.lines).joinedload(OrderLine.offer))


def customer_orders_query(customer: User):
    """The customer's orders, newest first, with their lines."""
    return _with_lines(sa.select(Order).where(Order.customer_id == customer.id).order_by(Order.id.desc()))


def courses_given(orders: list[Order]) -> dict[int, list[str]]:
    """order id -> titles of the courses its lines granted (one query for a page of orders)."""
    by_line = {str(line.id): line.order_id for order in orders for line in order.lines}
    if not by_line:
        return {}
    grants = db.session.execute(
        sa.select(Grant).where(Grant.source_kind == GrantSourceKind.ORDER_LINE.value,
                               Grant.source_id.in_(list(by_line)))
        .options(selectinload(Grant.enrolments).joinedload(Enrolment.course))
    ).scalars().all()
    given: dict[int, list[str]] = {}
    for grant in grants:
        given.setdefault(by_line[grant.source_id], []).extend(e.course.title for e in grant.enrolments)
    return given


@dataclass(frozen=True)
class OrderFilters:
    text: str = ""
    status: str | None = None
    method: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def reseller_orders_query(reseller: Reseller, filters: OrderFilters = OrderFilters(), *, customer: User | None = None):
    """The reseller's orders, newest first, filtered; customer and lines loaded with the page."""
    query = sa.select(Order).join(User, User.id == Order.customer_id).where(Order.reseller_id == reseller.id)
    if customer is not None:
        query = query.where(Order.customer_id == customer.id)
    if filters.status in OrderStatus.values():
        query = query.where(Order.status == filters.status)
    if filters.method in PaymentMethod.values():
        query = query.where(Order.payment_method == filters.method)
    text = (filters.text or "").strip()[:200]
    if text:
        query = query.where(matches_customer_or_number(text))
    if filters.date_from:
        query = query.where(Order.created_at >= start_of_day(filters.date_from))
    if filters.date_to:
        query = query.where(Order.created_at < start_of_day(filters.date_to + timedelta(days=1)))
    return _with_lines(query.options(joinedload(Order.customer)).order_by(Order.id.desc()))


def matches_customer_or_number(text: str):
    """A WHERE clause: the customer's name or email contains ``text``, or the order number does."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return sa.or_(sa.func.lower(User.name).like(pattern, escape="\\"),
                  sa.func.lower(User.email).like(pattern, escape="\\"),
                  sa.func.lower(Order.number).like(pattern, escape="\\"))


def waiting_count(customer: User) -> int:
    return db.session.scalar(sa.select(sa.func.count(Order.id)).where(
        Order.customer_id == customer.id, Order.status == OrderStatus.AWAITING_ACTIVATION.value)) or 0


# --- the orders CSV -------------------------------------------------------------------


def order_csv_header() -> list[str]:
    zone = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    return [str(title) for title in (
        _l("Order"), _l("Placed (%(zone)s)", zone=zone), _l("Customer"), _l("Email"), _l("Products"),
        _l("Method"), _l("Status"), _l("Waits because"), _l("Total"), _l("Currency"), _l("Credits"),
        _l("Paid (%(zone)s)", zone=zone), _l("Activated (%(zone)s)", zone=zone))]


STATUS_LABELS = {
    OrderStatus.AWAITING_PAYMENT.value: _l("Awaiting payment"),
    OrderStatus.AWAITING_ACTIVATION.value: _l("To activate"),
    OrderStatus.ACTIVE.value: _l("Active"),
    OrderStatus.DELETED.value: _l("Deleted"),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


# The same statuses in the customer's words: "to activate" is the reseller's job, not theirs.
CUSTOMER_STATUS_LABELS = {
    OrderStatus.AWAITING_PAYMENT.value: _l("Waiting for your payment"),
    OrderStatus.AWAITING_ACTIVATION.value: _l("Waiting for activation"),
    OrderStatus.ACTIVE.value: _l("Active"),
    OrderStatus.DELETED.value: _l("Cancelled by the seller"),
}


def customer_status_label(status: str) -> str:
    return str(CUSTOMER_STATUS_LABELS.get(status, status))


def order_rows(query) -> Iterator[tuple]:
    """The orders of ``query`` as typed rows (the columns of ``order_csv_header``), read in batches."""
    zone = platform_zone()
    begin_read_only()  # a streamed download reads after the request's transaction ended

    def local(moment):
        return moment.astimezone(zone).replace(tzinfo=None) if moment else None

    for order in db.session.execute(query.execution_options(yield_per=500)).scalars():
        yield (
            order.number, local(order.created_at), order.customer.name, order.customer.email,
            "; ".join(f"{line.product.name} — {line.offer.name}" for line in order.lines),
            policies.method_label(order.payment_method), status_label(order.status),
            policies.wait_reason_label(order) if order.is_waiting else "",
            (Decimal(order.total_cents) / 100).quantize(Decimal("0.01")), order.currency, order.total_credits,
            local(order.paid_at), local(order.activated_at),
        )

