"""Resellers that sell an offer, their customers (with credit through the ledger), and orders placed
through the sales services as a customer or a reseller would."""

from __future__ import annotations

from app.models import ResellerOffer, Role
from app.services.ledger import wallets
from app.services.sales import orders, policies


class SalesFactory:
    def sell(self, reseller, offer, price_credits=None):
        """Let ``reseller`` sell ``offer`` (optionally for a price in credits)."""
        self.db.session.add(ResellerOffer(reseller_id=reseller.id, offer_id=offer.id, price_credits=price_credits))
        self.db.session.flush()

    def shop(self, price_credits=None, price_cents=4900, courses=1):
        """A reseller selling one offer of a product of ``courses`` new courses: (reseller, product, offer)."""
        reseller = self.reseller()
        product, offer = self.product(*[self.course() for _ in range(courses)], price_cents=price_cents)
        self.sell(reseller, offer, price_credits)
        return reseller, product, offer

    def customer(self, reseller, credits=0, name=None, **kwargs):
        customer = self.user(Role.CUSTOMER, reseller=reseller, **kwargs)
        if name:
            customer.name = name
        wallet = wallets.wallet_of(customer)
        if credits:
            wallets.recharge(wallet, credits, actor=self.platform_admin(), note="test opening credit")
        return customer

    def reseller_user(self, reseller):
        return self.user(Role.RESELLER, reseller=reseller)

    def order(self, customer, offer, method="bank_transfer"):
        return orders.place_order(customer, offer.id, method)

    def policy(self, reseller, card="automatic", paypal="automatic", instructions="IBAN IT00 X000 0000 0000"):
        return policies.save_payment_settings(self.platform_admin(), reseller, card=card, paypal=paypal,
                                              bank_instructions=instructions)
