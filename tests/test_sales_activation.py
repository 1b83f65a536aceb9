"""Orders and their activation: placed as the method says, activated exactly once, policies applied
when a payment is confirmed, and every waiting order saying why it waits."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.models import EmailMessage, Enrolment, Grant, Order, OrderStatus, WalletEntry
from app.services.ledger import wallets
from app.services.ledger.wallets import InsufficientCredits, audit_ledger
from app.services.sales import activation, catalog, orders, policies
from app.services.sales.activation import OrderNotWaiting


def _emails(db, to):
    return db.session.scalar(sa.select(sa.func.count(EmailMessage.id)).where(
        EmailMessage.recipient == to, EmailMessage.template == "order_active"))


def _grants(db, customer):
    return db.session.scalar(sa.select(sa.func.count(Grant.id)).where(Grant.user_id == customer.id))


# --- placing ------------------------------------------------------------------------------


def test_a_bank_transfer_order_waits_for_the_reseller_because_of_the_transfer(db, factory):
    reseller, _product, offer = factory.shop()
    order = factory.order(factory.customer(reseller), offer, "bank_transfer")
    assert order.status == OrderStatus.AWAITING_ACTIVATION
    assert policies.wait_reason_label(order) == "bank transfer"
    assert order.total_cents == offer.price_cents


def test_a_card_order_waits_for_its_payment_first(db, factory):
    reseller, _product, offer = factory.shop()
    order = factory.order(factory.customer(reseller), offer, "card")
    assert order.status == OrderStatus.AWAITING_PAYMENT


def test_an_offer_the_reseller_does_not_sell_cannot_be_ordered(db, factory):
    reseller, _product, _offer = factory.shop()
    _other_product, other_offer = factory.product()
    with pytest.raises(catalog.OfferNotForSale):
        factory.order(factory.customer(reseller), other_offer)
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 0


def test_order_numbers_follow_each_other_within_the_year(db, factory):
    reseller, _product, offer = factory.shop()
    customer = factory.customer(reseller)
    first, second = factory.order(customer, offer), factory.order(customer, offer)
    year, n = first.number.split("-")
    assert second.number == f"{year}-{int(n) + 1:06d}"


# --- activation exactly once ---------------------------------------------------------------


def test_activation_grants_every_line_and_writes_one_email(db, factory):
    reseller, product, offer = factory.shop(courses=2)
    customer = factory.customer(reseller)
    order = factory.order(customer, offer)
    result = activation.activate_order(factory.reseller_user(reseller), order, mark_paid=True)
    assert result.activated and order.status == OrderStatus.ACTIVE and order.paid_at is not None
    assert _grants(db, customer) == 1
    assert db.session.scalar(sa.select(sa.func.count(Enrolment.id)).where(Enrolment.user_id == customer.id)) == 2
    assert _emails(db, customer.email) == 1


@pytest.mark.parametrize("method", ["card", "paypal"])
def test_a_card_or_paypal_order_activated_by_hand_before_its_payment_stays_unpaid(db, factory, method):
    reseller, _product, offer = factory.shop()
    order = factory.order(factory.customer(reseller), offer, method)
    activation.activate_order(factory.reseller_user(reseller), order, mark_paid=True)
    assert order.status == OrderStatus.ACTIVE and order.paid_at is None  # no money seen: not "paid"
    outcome = activation.confirm_payment(order, reference="pi_late")  # the provider's word, later
    assert outcome.outcome == "already_active" and order.paid_at is not None and order.payment_reference == "pi_late"


def test_a_payment_for_a_deleted_order_is_on_the_trail_for_a_refund(db, factory):
    from app.models import AuditEvent
    from app.services.sales.orders import delete_order

    reseller, _product, offer = factory.shop()
    order = factory.order(factory.customer(reseller), offer, "card")
    delete_order(None, order)
    assert activation.confirm_payment(order, reference="pi_after").outcome == "deleted"
    activation.confirm_payment(order, reference="pi_after")  # the same payment's other event: noted once
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "order.paid_after_deletion")).scalar_one()
    assert event.object_id == order.id and event.details["reference"] == "pi_after"
    assert order.paid_at is None and _grants(db, order.customer) == 0


def test_activating_an_active_order_again_is_a_success_that_changes_nothing(db, factory):
    reseller, _product, offer = factory.shop()
    customer = factory.customer(reseller)
    order = factory.order(customer, offer)
    activation.activate_order(None, order)
    again = activation.activate_order(None, order)
    assert not again.activated and order.status == OrderStatus.ACTIVE
    assert _grants(db, customer) == 1
    assert _emails(db, customer.email) == 1


def test_a_deleted_order_can_no_longer_be_activated(db, factory):
    reseller, _product, offer = factory.shop()
    customer = factory.customer(reseller)
    order = factory.order(customer, offer)
    assert orders.delete_order(factory.reseller_user(reseller), order)
    with pytest.raises(OrderNotWaiting):
        activation.activate_order(None, order)
    assert _grants(db, customer) == 0


def test_a_deleted_order_can_no_longer_be_paid(db, factory):
    reseller, _product, offer = factory.shop()
    factory.policy(reseller)
    order = factory.order(factory.customer(reseller), offer, "card")
    orders.delete_order(None, order)
    assert activation.confirm_payment(order, reference="pi_1").outcome == "deleted"
    assert order.status == OrderStatus.DELETED and order.paid_at is None


def test_an_active_order_cannot_be_deleted(db, factory):
    reseller, _product, offer = factory.shop()
    order = factory.order(factory.customer(reseller), offer)
    activation.activate_order(None, order)
    with pytest.raises(orders.OrderRefused):
        orders.delete_order(None, order)
    assert order.status == OrderStatus.ACTIVE


# --- credit ----------------------------------------------------------------------------------


def test_paying_with_credit_debits_the_price_in_credits_and_activates_at_once(db, factory):
    reseller, _product, offer = factory.shop(price_credits=30)
    customer = factory.customer(reseller, credits=50)
    order = factory.order(customer, offer, "credit")
    assert order.status == OrderStatus.ACTIVE and order.total_credits == 30
    assert wallets.wallet_of(customer).balance == 20
    entry = db.session.execute(sa.select(WalletEntry).where(WalletEntry.idempotency_key == f"order:{order.id}:pay")).scalar_one()
    assert entry.amount == -30 and entry.kind == "order_payment"
    assert audit_ledger()[1] == []


def test_paying_with_short_credit_is_refused_and_the_caller_rolls_everything_back(db, factory):
    reseller, _product, offer = factory.shop(price_credits=30)
    customer = factory.customer(reseller, credits=20)
    with pytest.raises(InsufficientCredits) as refusal:
        factory.order(customer, offer, "credit")
    assert refusal.value.missing == 10


def test_an_offer_without_a_credit_price_cannot_be_paid_with_credit(db, factory):
    reseller, _product, offer = factory.shop(price_credits=None)
    with pytest.raises(orders.OrderRefused):
        factory.order(factory.customer(reseller, credits=100), offer, "credit")


# --- the policies, for card and PayPal ------------------------------------------------------


@pytest.mark.parametrize("method", ["card", "paypal"])
def test_automatic_policy_activates_a_paid_order(db, factory, method):
    reseller, _product, offer = factory.shop()
    factory.policy(reseller, **{method: "automatic"})
    order = factory.order(factory.customer(reseller), offer, method)
    assert activation.confirm_payment(order, reference="ref").outcome == "activated"
    assert order.status == OrderStatus.ACTIVE


@pytest.mark.parametrize("method,label", [("card", "card: by hand"), ("paypal", "PayPal: by hand")])
def test_by_hand_policy_puts_a_paid_order_on_the_to_activate_list_saying_why(db, factory, method, label):
    reseller, _product, offer = factory.shop()
    factory.policy(reseller, **{method: "by_hand"})
    order = factory.order(factory.customer(reseller), offer, method)
    assert activation.confirm_payment(order).outcome == "waiting"
    assert order.status == OrderStatus.AWAITING_ACTIVATION and order.paid_at is not None
    assert policies.wait_reason_label(order) == label


@pytest.mark.parametrize("method,label", [("card", "card: first order of this customer"),
                                          ("paypal", "PayPal: first order of this customer")])
def test_returning_policy_holds_the_first_order_of_a_customer(db, factory, method, label):
    reseller, _product, offer = factory.shop()
    factory.policy(reseller, **{method: "returning_customers"})
    order = factory.order(factory.customer(reseller), offer, method)
    assert activation.confirm_payment(order).outcome == "waiting"
    assert policies.wait_reason_label(order) == label


@pytest.mark.parametrize("method", ["card", "paypal"])
def test_returning_policy_activates_a_customer_with_an_earlier_activated_order(db, factory, method):
    reseller, _product, offer = factory.shop()
    factory.policy(reseller, **{method: "returning_customers"})
    customer = factory.customer(reseller)
    activation.activate_order(None, factory.order(customer, offer, "bank_transfer"))
    order = factory.order(customer, offer, method)
    assert activation.confirm_payment(order).outcome == "activated"


@pytest.mark.parametrize("method", ["card", "paypal"])
def test_returning_policy_does_not_count_an_earlier_order_never_activated(db, factory, method):
    reseller, _product, offer = factory.shop()
    factory.policy(reseller, **{method: "returning_customers"})
    customer = factory.customer(reseller)
    factory.order(customer, offer, "bank_transfer")  # still waiting
    order = factory.order(customer, offer, method)
    assert activation.confirm_payment(order).outcome == "waiting"


def test_a_second_confirmation_of_the_same_payment_changes_nothing(db, factory):
    reseller, _product, offer = factory.shop()
    factory.policy(reseller, card="by_hand")
    order = factory.order(factory.customer(reseller), offer, "card")
    activation.confirm_payment(order, reference="pi_1")
    paid_at = order.paid_at
    assert activation.confirm_payment(order, reference="pi_1").outcome == "already_paid"
    assert order.paid_at == paid_at and order.status == OrderStatus.AWAITING_ACTIVATION


def test_the_policy_applies_when_the_payment_is_confirmed_not_when_ordered(db, factory):
    reseller, _product, offer = factory.shop()
    factory.policy(reseller, card="by_hand")
    order = factory.order(factory.customer(reseller), offer, "card")
    factory.policy(reseller, card="automatic")
    assert activation.confirm_payment(order).outcome == "activated"


def test_adding_products_by_hand_waits_unless_activated_at_once(db, factory):
    reseller, _product, offer = factory.shop()
    customer = factory.customer(reseller)
    staff = factory.reseller_user(reseller)
    waiting = orders.add_products(staff, reseller, customer, offer.id, activate_now=False)
    active = orders.add_products(staff, reseller, customer, offer.id, activate_now=True)
    assert waiting.status == OrderStatus.AWAITING_ACTIVATION
    assert policies.wait_reason_label(waiting) == "added by hand, not activated yet"
    assert active.status == OrderStatus.ACTIVE and _grants(db, customer) == 1


def test_adding_products_for_another_resellers_customer_is_refused(db, factory):
    reseller, _product, offer = factory.shop()
    other, _p, _o = factory.shop()
    with pytest.raises(orders.OrderRefused):
        orders.add_products(factory.reseller_user(reseller), reseller, factory.customer(other), offer.id,
                            activate_now=True)
