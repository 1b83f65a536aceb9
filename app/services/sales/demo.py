"""The demo reseller's sales: what it sells, its payment settings, credit, demo customers and waiting
orders of each kind (bank transfer, PayPal by hand, card: a customer's first order), so the
"to activate" list is not empty on first login. Idempotent: run twice, it changes nothing."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Offer, Order, Product, Reseller, ResellerOffer, Role, User
from app.services.ledger import wallets
from app.services.people.users import create_user, find_user_by_email
from app.services.sales import activation, orders, policies

BANK_DETAILS = ("Account holder: Demo Reseller S.r.l.\nIBAN: IT60 X054 2811 1010 0000 0123 456\n"
                "Reason: your order number")
# (product, offer, price in credits)
ON_SALE = [("Office Bundle", "Full access", 150), ("Workplace Safety", "Standard", 40),
           ("Customer Care", "Self-paced (everything open)", None)]
CUSTOMERS = [("bianca@example.com", "Bianca Buyer"), ("dario@example.com", "Dario Demo")]


def seed_sales_demo(admin: User, password: str) -> None:
    reseller = db.session.execute(sa.select(Reseller).where(Reseller.name == "Demo Reseller")).scalar_one()
    customer = find_user_by_email("customer@example.com")
    offers = _sell(reseller)
    if db.session.scalar(sa.select(sa.func.count(Order.id)).where(Order.reseller_id == reseller.id)):
        return  # seeded before
    policies.save_payment_settings(admin, reseller, card="returning_customers", paypal="by_hand",
                                   bank_instructions=BANK_DETAILS)
    wallets.recharge(wallets.wallet_of(reseller), 500, actor=admin, note="Demo opening balance",
                     idempotency_key="demo-reseller-opening-balance")
    wallets.transfer(wallets.wallet_of(reseller), wallets.wallet_of(customer), 60, actor=admin,
                     note="Demo credit", idempotency_key="demo-customer-credit")
    bianca, dario = (find_user_by_email(email) or create_user(None, email=email, role=Role.CUSTOMER, name=name,
                                                              password=password, reseller=reseller)
                     for email, name in CUSTOMERS)
    orders.place_order(customer, offers[1].id, "bank_transfer")
    activation.confirm_payment(orders.place_order(bianca, offers[0].id, "paypal"), reference="DEMO-PAYPAL-1")
    activation.confirm_payment(orders.place_order(dario, offers[1].id, "card"), reference="pi_demo_1")
    orders.place_order(dario, offers[0].id, "bank_transfer")


def _sell(reseller: Reseller) -> list[Offer]:
    chosen = []
    for product_name, offer_name, credits in ON_SALE:
        offer = db.session.execute(sa.select(Offer).join(Product).where(
            Product.name == product_name, Offer.name == offer_name)).scalar_one()
        if db.session.get(ResellerOffer, (reseller.id, offer.id)) is None:
            db.session.add(ResellerOffer(reseller_id=reseller.id, offer_id=offer.id, price_credits=credits))
        chosen.append(offer)
    db.session.flush()
    return chosen
