"""Access products with one offer, and grants of them (a manual source, unique per call)."""

from __future__ import annotations

from app.models import Offer, Product
from app.services import access


class AccessFactory:
    def product(self, *courses, name=None, **offer_settings):
        """An access product of ``courses`` with one offer (``offer_settings`` are its columns)."""
        product = Product(name=name or f"Product {self.n()}", kind="access")
        product.courses = list(courses) or [self.course()]
        self.db.session.add(product)
        self.db.session.flush()
        offer = Offer(product_id=product.id, name=f"Offer {self.n()}",
                      price_cents=offer_settings.pop("price_cents", 1000), **offer_settings)
        self.db.session.add(offer)
        self.db.session.flush()
        return product, offer

    def grant(self, user, product, offer, start_date=None, key=None):
        return access.grant_product(self.platform_admin(), user, product, offer,
                                    source=access.GrantSource.manual(key or f"test-{self.n()}"),
                                    start_date=start_date)
