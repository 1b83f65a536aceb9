"""The "to activate" list as a reseller reads it: how many orders wait, and the customers they belong to.

Read-only. One page of customers costs a constant number of queries whatever
its size: the count, the page of customers, their waiting orders (with lines,
products and offers loaded together).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.models import Order, OrderLine, OrderStatus, Reseller, Role, User
from app.services.ledger.statements import start_of_day
from app.services.sales.orders import matches_customer_or_number

WAITING_FOR_RESELLER = OrderStatus.AWAITING_ACTIVATION.value


def count_to_activate(reseller: Reseller) -> int:
    """How many of the reseller's orders wait for it."""
    return db.session.scalar(sa.select(sa.func.count(Order.id)).where(
        Order.reseller_id == reseller.id, Order.status == WAITING_FOR_RESELLER)) or 0


@dataclass(frozen=True)
class WaitingSearch:
    """Name, email or order number (any part of it), and the day an order was placed (platform time zone)."""

    text: str = ""
    day: date | None = None


def _waiting_orders(reseller: Reseller, search: WaitingSearch):
    query = (sa.select(Order.id).join(User, User.id == Order.customer_id)
             .where(Order.reseller_id == reseller.id, Order.status == WAITING_FOR_RESELLER))
    text = (search.text or "").strip()[:200]
    if text:
        query = query.where(matches_customer_or_number(text))
    if search.day:
        query = query.where(Order.created_at >= start_of_day(search.day),
                            Order.created_at < start_of_day(search.day + timedelta(days=1)))
    return query


def customers_waiting_query(reseller: Reseller, search: WaitingSearch = WaitingSearch()):
    """The customers with an order matching ``search`` waiting for the reseller, the longest waiting first."""
    matching = _waiting_orders(reseller, search).add_columns(Order.customer_id).subquery()
    oldest = (sa.select(matching.c.customer_id, sa.func.min(matching.c.id).label("first_order"))
              .group_by(matching.c.customer_id).subquery())
    return (sa.select(User).join(oldest, oldest.c.customer_id == User.id)
            .where(User.role == Role.CUSTOMER.value).order_by(oldest.c.first_order, User.id))


def waiting_orders_of(reseller: Reseller, customers: list[User], search: WaitingSearch = WaitingSearch()) -> dict[int, list[Order]]:
    """customer id -> their orders matching ``search`` that wait for the reseller (one query, lines loaded)."""
    if not customers:
        return {}
    ids = _waiting_orders(reseller, search).where(Order.customer_id.in_([c.id for c in customers]))
    rows = db.session.execute(
        sa.select(Order).where(Order.id.in_(ids)).order_by(Order.id)
        .options(selectinload(Order.lines).joinedload(OrderLine.product),
                 selectinload(Order.lines).joinedload(OrderLine.offer), joinedload(Order.customer))
    ).scalars().all()
    grouped: dict[int, list[Order]] = {}
    for order in rows:
        grouped.setdefault(order.customer_id, []).append(order)
    return grouped
