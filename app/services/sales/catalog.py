"""What each reseller may sell: offers of access products, each with an optional price in credits.

The platform admin chooses them; a reseller's shop, its "Add products" and
its customers' orders only ever see these. Functions add and flush; the caller commits once.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Offer, Product, ProductKind, Reseller, ResellerOffer, User
from app.services import DomainError, audit
from app.services.ledger.wallets import MAX_AMOUNT


class OfferNotForSale(DomainError):
    field = "offer"

    def __init__(self, message=None, field=None):
        super().__init__(message or _l("Choose one of the offers on sale."), field)


@dataclass(frozen=True)
class OfferForSale:
    offer: Offer
    product: Product
    price_credits: int | None

    @property
    def label(self) -> str:
        return f"{self.product.name} — {self.offer.name}"


def _for_sale_query(reseller: Reseller):
    return (
        sa.select(ResellerOffer)
        .join(Offer, Offer.id == ResellerOffer.offer_id)
        .join(Product, Product.id == Offer.product_id)
        .where(ResellerOffer.reseller_id == reseller.id, Product.kind == ProductKind.ACCESS.value)
        .options(joinedload(ResellerOffer.offer).joinedload(Offer.product).selectinload(Product.courses))
        .order_by(sa.func.lower(Product.name), Offer.id)
    )


def offers_for_sale(reseller: Reseller) -> list[OfferForSale]:
    """The offers ``reseller`` sells, by product name (few per reseller: a short list, one query or two)."""
    rows = db.session.execute(_for_sale_query(reseller)).unique().scalars().all()
    return [OfferForSale(row.offer, row.offer.product, row.price_credits) for row in rows]


def offer_for_sale(reseller: Reseller, offer_id: int | None) -> OfferForSale:
    """The offer ``offer_id`` if ``reseller`` sells it; else ``OfferNotForSale``."""
    if offer_id is None:
        raise OfferNotForSale()
    row = db.session.execute(_for_sale_query(reseller).where(ResellerOffer.offer_id == offer_id)).unique().scalar()
    if row is None:
        raise OfferNotForSale()
    return OfferForSale(row.offer, row.offer.product, row.price_credits)


def sellable_offers() -> list[Offer]:
    """Every offer of an access product (what the platform admin may give a reseller), by product."""
    return db.session.execute(
        sa.select(Offer).join(Product).where(Product.kind == ProductKind.ACCESS.value)
        .options(joinedload(Offer.product)).order_by(sa.func.lower(Product.name), Offer.id)
    ).scalars().all()


def set_offers_for_sale(actor: User, reseller: Reseller, chosen: dict[int, int | None]) -> None:
    """Replace what ``reseller`` sells with ``chosen`` (offer id -> price in credits, or None).

    Orders already placed keep their lines; only new orders see the change.
    """
    known = {offer.id for offer in sellable_offers()}
    unknown = set(chosen) - known
    if unknown:
        raise OfferNotForSale(_l("One of the chosen offers does not exist any more."))
    for price in chosen.values():
        if price is not None and not (isinstance(price, int) and 0 < price <= MAX_AMOUNT):
            raise DomainError(_l("A price in credits is a whole number from 1 to %(n)s.", n=MAX_AMOUNT))
    current = {row.offer_id: row for row in db.session.execute(
        sa.select(ResellerOffer).where(ResellerOffer.reseller_id == reseller.id)).scalars()}
    for offer_id, row in current.items():
        if offer_id not in chosen:
            db.session.delete(row)
    for offer_id, price in chosen.items():
        if offer_id in current:
            current[offer_id].price_credits = price
        else:
            db.session.add(ResellerOffer(reseller_id=reseller.id, offer_id=offer_id, price_credits=price))
    db.session.flush()
    audit.record(actor, "reseller.offers_set", reseller, offers={str(k): v for k, v in sorted(chosen.items())})


def reseller_offer_prices(reseller: Reseller) -> dict[int, int | None]:
    """offer id -> price in credits of what ``reseller`` sells (for the admin's form)."""
    return dict(db.session.execute(
        sa.select(ResellerOffer.offer_id, ResellerOffer.price_credits).where(ResellerOffer.reseller_id == reseller.id)
    ).all())

