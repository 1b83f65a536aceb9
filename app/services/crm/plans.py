"""Plan change: "+ Product" gives a contact a product under a chosen offer; the old access can then be removed.

A plan change is two steps the admin sees and confirms: a manual grant
(``access.grant_product`` with ``GrantSource.manual(key)``, the key the dialog
was rendered with, so a double submit grants once), then ``access.revoke_grant``
of the old one. Progress belongs to the enrolment, not the grant: lessons done
stay done across both steps. The start date is kept (the one delays count
from now for the same courses) or today, as the dialog says.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import Enrolment, Grant, Offer, Product, ProductKind, User
from app.services import DomainError, access


class StartChoice(str, enum.Enum):
    KEEP = "keep"  # the start date delays count from now for the same courses (today without one)
    TODAY = "today"


class PlanChangeRefused(DomainError):
    pass


def product_choices() -> list[Product]:
    """Access products that have at least one offer, with their offers, by name."""
    return db.session.execute(
        sa.select(Product).where(Product.kind == ProductKind.ACCESS.value, Product.offers.any())
        .options(sa.orm.selectinload(Product.offers), sa.orm.selectinload(Product.courses))
        .order_by(sa.func.lower(Product.name), Product.id)
    ).scalars().all()


@dataclass(frozen=True)
class StartOptions:
    """What each start choice gives for this contact and product (``current`` None: no current access)."""

    current: date | None
    today: date

    def date_for(self, choice: StartChoice) -> date:
        return self.current if choice == StartChoice.KEEP and self.current is not None else self.today


def start_options(contact: User, product: Product | None) -> StartOptions:
    current = access.current_start_date(contact, product.courses) if product is not None else None
    return StartOptions(current, access.today())


def _product_and_offer(product_id: int | None, offer_id: int | None) -> tuple[Product, Offer]:
    product = db.session.get(Product, product_id) if product_id else None
    if product is None:
        raise PlanChangeRefused(_l("Choose a product."), field="product")
    offer = db.session.get(Offer, offer_id) if offer_id else None
    if offer is None:
        raise PlanChangeRefused(_l("Choose an offer."), field="offer")
    return product, offer


def add_product(actor: User, contact: User, *, product_id: int | None, offer_id: int | None, start: StartChoice,
                key: str, reason: str) -> Grant:
    """Give ``contact`` the product under the offer, from ``start``; the same ``key`` again grants once."""
    reason = access.clean_reason(reason)
    product, offer = _product_and_offer(product_id, offer_id)
    options = start_options(contact, product)
    return access.grant_product(actor, contact, product, offer, source=access.GrantSource.manual(f"crm:{key}"),
                                start_date=options.date_for(StartChoice(start)), reason=reason)


def removal_effects(grant: Grant) -> list[Enrolment]:
    """The enrolments removing the access would end (each keeps its progress)."""
    return access.enrolments_ending_with(grant)


def remove_access(actor: User, grant: Grant, *, reason: str) -> list[Enrolment]:
    """Revoke the grant; the enrolments nothing else holds end, their lessons done kept."""
    reason = access.clean_reason(reason)
    if not grant.is_active:
        raise PlanChangeRefused(_l("This access was already removed."))
    return access.revoke_grant(actor, grant, reason=reason)
