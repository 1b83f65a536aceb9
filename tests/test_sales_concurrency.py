"""Exactly once under real concurrency: several processes, each with its own connections, on a SQLite
file and on PostgreSQL (when TEST_DATABASE_URL is set). Every activator of one order (the reseller's
button in many tabs, the same Stripe event again and again, two Stripe events for one payment, PayPal
replays) gives one activation, one set of grants, one email; recovering credit twice at once moves it
once; a customer paying with credit in several tabs never overspends; and `flask audit-ledger` passes."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, EmailMessage, Grant, Order, OrderStatus, PaymentEvent, Wallet
from app.services.ledger.wallets import audit_ledger
from app.services.sales import customers, payments
from app.transactions import commit
from tests import sales_concurrency_worker as worker
from tests.conftest import Factory
from tests.test_concurrency import _audit_cli, _run, committed_database  # noqa: F401 (a fixture)

pytestmark = pytest.mark.slow

ACTIVATORS = 50
PROCESSES = 6


def _shop(factory, **kwargs):
    reseller, _product, offer = factory.shop(**kwargs)
    factory.policy(reseller, card="automatic", paypal="automatic")
    return reseller, offer


def _spread(attempts: list) -> list[list]:
    return [attempts[i::PROCESSES] for i in range(PROCESSES)]


def _assert_activated_once(app, order_id: int, customer_id: int):
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.status == OrderStatus.ACTIVE
        assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.action == "order.activated", AuditEvent.object_id == order_id)) == 1
        assert db.session.scalar(sa.select(sa.func.count(Grant.id)).where(Grant.user_id == customer_id)) == 1
        assert db.session.scalar(sa.select(sa.func.count(EmailMessage.id)).where(
            EmailMessage.template == "order_active")) == 1
        assert audit_ledger()[1] == []
        db.session.remove()


def test_fifty_activators_of_one_card_order_activate_it_once(committed_database):  # noqa: F811
    url, app = committed_database
    with app.app_context(), app.test_request_context():
        factory = Factory(db)
        reseller, offer = _shop(factory)
        customer = factory.customer(reseller)
        order = factory.order(customer, offer, "card")
        staff = factory.reseller_user(reseller)
        intent, session = payments.stripe_test_events(order)
        commit()
        ids = (order.id, staff.id, customer.id)
    attempts = ([("button",)] * 20 + [("stripe", *intent)] * 15 + [("stripe", *session)] * 15)

    outcomes = _run(worker.activate_many, [(url, ids[0], ids[1], chunk) for chunk in _spread(attempts)])

    assert sum(o["activated"] for o in outcomes) == 1
    assert sum(o["duplicates"] for o in outcomes) == 28  # each of the two events applied once
    _assert_activated_once(app, ids[0], ids[2])
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(PaymentEvent.id))) == 2
        db.session.remove()


def test_fifty_activators_of_one_paypal_order_activate_it_once(committed_database):  # noqa: F811
    url, app = committed_database
    with app.app_context(), app.test_request_context():
        factory = Factory(db)
        reseller, offer = _shop(factory)
        customer = factory.customer(reseller)
        order = factory.order(customer, offer, "paypal")
        staff = factory.reseller_user(reseller)
        capture = payments.paypal_test_event(order)
        completed = json.loads(capture[0])
        completed.update(id=completed["id"] + "-ORDER", event_type="CHECKOUT.ORDER.COMPLETED", resource={
            "id": "PAYPAL-ORDER-1", "status": "COMPLETED", "purchase_units": [{
                "custom_id": order.number, "amount": completed["resource"]["amount"]}]})
        second = payments.sign_paypal_event(completed)
        commit()
        ids = (order.id, staff.id, customer.id)
    attempts = [("button",)] * 10 + [("paypal", *capture)] * 30 + [("paypal", *second)] * 10

    outcomes = _run(worker.activate_many, [(url, ids[0], ids[1], chunk) for chunk in _spread(attempts)])

    assert sum(o["activated"] for o in outcomes) == 1
    assert sum(o["duplicates"] for o in outcomes) == 38
    _assert_activated_once(app, ids[0], ids[2])


def test_recovering_credit_twice_at_once_moves_it_once(committed_database, tmp_path):  # noqa: F811
    url, app = committed_database
    with app.app_context():
        factory = Factory(db)
        reseller = factory.reseller()
        customer = factory.customer(reseller, credits=70)
        staff = factory.reseller_user(reseller)
        shown = customers.credit_of(customer)
        commit()
        ids = (reseller.id, staff.id, customer.id, shown.balance, shown.up_to)

    outcomes = _run(worker.recover_once, [(url, *ids) for _ in range(6)])

    assert sorted(o["outcome"] for o in outcomes).count("moved") == 1
    with app.app_context():
        reseller_wallet = db.session.execute(sa.select(Wallet).where(Wallet.reseller_id == ids[0])).scalar_one()
        customer_wallet = db.session.execute(sa.select(Wallet).where(Wallet.user_id == ids[2])).scalar_one()
        assert (reseller_wallet.balance, customer_wallet.balance) == (70, 0)
        assert audit_ledger()[1] == []
        db.session.remove()
    assert _audit_cli(url, tmp_path).returncode == 0


def test_paying_with_credit_in_many_tabs_never_overspends(committed_database, tmp_path):  # noqa: F811
    url, app = committed_database
    with app.app_context():
        factory = Factory(db)
        reseller, offer = _shop(factory, price_credits=30)
        customer = factory.customer(reseller, credits=100)
        commit()
        ids = (customer.id, offer.id)

    outcomes = _run(worker.pay_with_credit, [(url, *ids, 3) for _ in range(6)])

    assert sum(o["paid"] for o in outcomes) == 3
    assert sum(o["refused"] for o in outcomes) == 15
    with app.app_context():
        customer_wallet = db.session.execute(sa.select(Wallet).where(Wallet.user_id == ids[0])).scalar_one()
        assert customer_wallet.balance == 10
        assert db.session.scalar(sa.select(sa.func.count(Order.id)).where(
            Order.customer_id == ids[0], Order.status == OrderStatus.ACTIVE)) == 3
        assert audit_ledger()[1] == []
        db.session.remove()
    result = _audit_cli(url, tmp_path)
    assert result.returncode == 0, result.stderr
