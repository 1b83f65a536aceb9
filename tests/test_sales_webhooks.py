"""Payment webhooks: verified on the raw body, applied once per event id, and never a 500.

Stripe events are signed with the configured test secret by the official
library's own scheme; PayPal's verification (``gateways.verify_paypal_webhook``)
is the one function a test may replace.
"""

from __future__ import annotations

import json
import time

import pytest
import sqlalchemy as sa

from app.models import EmailMessage, Grant, Order, OrderStatus, PaymentEvent
from app.services.sales import gateways, payments


@pytest.fixture
def card_order(db, factory):
    reseller, _product, offer = factory.shop()
    factory.policy(reseller, card="automatic", paypal="automatic")
    customer = factory.customer(reseller)
    return factory.order(customer, offer, "card")


@pytest.fixture
def paypal_order(db, factory):
    reseller, _product, offer = factory.shop()
    factory.policy(reseller, card="automatic", paypal="automatic")
    return factory.order(factory.customer(reseller), offer, "paypal")


def _post_stripe(client, body: bytes, header: str | None):
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["Stripe-Signature"] = header
    return client.post("/payments/stripe/webhook", data=body, headers=headers)


def _count(db, model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _state(db, order):
    db.session.expire_all()
    return (db.session.get(Order, order.id).status, _count(db, PaymentEvent), _count(db, Grant),
            _count(db, EmailMessage))


# --- Stripe -----------------------------------------------------------------------------------


def test_a_signed_stripe_payment_activates_the_order(client, db, card_order):
    body, header = payments.stripe_test_events(card_order)[0]
    response = _post_stripe(client, body, header)
    assert response.status_code == 200 and response.json["outcome"] == "activated"
    assert db.session.get(Order, card_order.id).status == OrderStatus.ACTIVE


def test_the_same_stripe_event_again_answers_200_and_changes_nothing(client, db, card_order):
    body, header = payments.stripe_test_events(card_order)[0]
    _post_stripe(client, body, header)
    before = _state(db, card_order)
    again = _post_stripe(client, body, header)
    assert again.status_code == 200 and again.json["duplicate"] is True
    assert _state(db, card_order) == before


def test_both_stripe_events_of_one_payment_activate_once(client, db, card_order):
    outcomes = [_post_stripe(client, body, header).json["outcome"]
                for body, header in payments.stripe_test_events(card_order)]
    assert outcomes == ["activated", "already_active"]
    assert _count(db, Grant) == 1
    assert db.session.scalar(sa.select(sa.func.count(EmailMessage.id)).where(
        EmailMessage.template == "order_active")) == 1


def test_a_stripe_event_with_a_wrong_signature_is_refused_and_changes_nothing(client, db, card_order):
    body, header = payments.stripe_test_events(card_order)[0]
    before = _state(db, card_order)
    response = _post_stripe(client, body, header[:-4] + "0000")
    assert response.status_code == 400
    assert _state(db, card_order) == before


def test_a_stripe_event_without_a_signature_is_refused(client, db, card_order):
    body, _header = payments.stripe_test_events(card_order)[0]
    assert _post_stripe(client, body, None).status_code == 400
    assert _count(db, PaymentEvent) == 0


def test_a_stale_stripe_event_is_refused(client, app, db, card_order):
    event = json.loads(payments.stripe_test_events(card_order)[0][0])
    body, header = payments.sign_stripe_event(event, timestamp=int(time.time()) - app.config["STRIPE_WEBHOOK_TOLERANCE"] - 60)
    assert _post_stripe(client, body, header).status_code == 400
    assert db.session.get(Order, card_order.id).status == OrderStatus.AWAITING_PAYMENT


def test_a_body_changed_after_signing_is_refused(client, db, card_order):
    body, header = payments.stripe_test_events(card_order)[0]
    assert _post_stripe(client, body.replace(b"succeeded", b"succeeded "), header).status_code == 400


@pytest.mark.parametrize("body", [b"", b"not json", b"\xff\xfe\x00garbage", b"[]", b'{"id": 1}'])
def test_an_unreadable_stripe_body_is_refused_never_a_500(client, app, db, body):
    from stripe import WebhookSignature

    header = WebhookSignature.generate_signature_header(body.decode("latin-1"), app.config["STRIPE_WEBHOOK_SECRET"])
    assert _post_stripe(client, body, header).status_code == 400


def test_a_signed_event_of_another_kind_is_stored_and_ignored(client, db, card_order):
    body, header = payments.sign_stripe_event({"id": "evt_other", "object": "event", "type": "customer.created",
                                               "data": {"object": {"id": "cus_1", "object": "customer"}}})
    response = _post_stripe(client, body, header)
    assert response.status_code == 200 and response.json["outcome"] == "ignored"
    assert db.session.get(Order, card_order.id).status == OrderStatus.AWAITING_PAYMENT


def test_a_payment_for_another_amount_does_not_activate(client, db, card_order):
    event = json.loads(payments.stripe_test_events(card_order)[0][0])
    event["data"]["object"]["amount_received"] = 1
    response = _post_stripe(client, *payments.sign_stripe_event(event))
    assert response.json["outcome"] == "amount_mismatch"
    assert db.session.get(Order, card_order.id).status == OrderStatus.AWAITING_PAYMENT


def test_the_webhook_needs_no_login_and_no_csrf_token(app, db, card_order):
    fresh = app.test_client()
    body, header = payments.stripe_test_events(card_order)[0]
    db.session.commit()
    assert fresh.post("/payments/stripe/webhook", data=body, headers={"Stripe-Signature": header}).status_code == 200


def test_without_a_configured_secret_every_stripe_event_is_refused(client, app, db, card_order, monkeypatch):
    body, header = payments.stripe_test_events(card_order)[0]
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", None)
    assert _post_stripe(client, body, header).status_code == 400


# --- PayPal -----------------------------------------------------------------------------------


def _post_paypal(client, body, headers):
    return client.post("/payments/paypal/webhook", data=body, headers=headers)


def test_a_verified_paypal_capture_activates_the_order(client, db, paypal_order):
    response = _post_paypal(client, *payments.paypal_test_event(paypal_order))
    assert response.status_code == 200 and response.json["outcome"] == "activated"


def test_a_redelivered_paypal_event_answers_200_and_changes_nothing(client, db, paypal_order):
    body, headers = payments.paypal_test_event(paypal_order)
    _post_paypal(client, body, headers)
    before = _state(db, paypal_order)
    assert _post_paypal(client, body, headers).json["duplicate"] is True
    assert _state(db, paypal_order) == before


def test_a_paypal_event_that_paypal_does_not_verify_is_refused(client, db, paypal_order, monkeypatch):
    monkeypatch.setattr(gateways, "verify_paypal_webhook", lambda headers, body: False)
    response = _post_paypal(client, *payments.paypal_test_event(paypal_order))
    assert response.status_code == 400
    assert _count(db, PaymentEvent) == 0
    assert db.session.get(Order, paypal_order.id).status == OrderStatus.AWAITING_PAYMENT


def test_the_handler_trusts_what_paypal_verifies(client, db, paypal_order, monkeypatch):
    """Live, PayPal's API is the judge: a verified event with any headers is applied."""
    calls = []
    monkeypatch.setattr(gateways, "verify_paypal_webhook", lambda headers, body: calls.append(body) or True)
    body, _headers = payments.paypal_test_event(paypal_order)
    assert _post_paypal(client, body, {"Content-Type": "application/json"}).status_code == 200
    assert calls == [body]


def test_a_paypal_event_without_its_signature_headers_is_refused(client, db, paypal_order):
    body, _headers = payments.paypal_test_event(paypal_order)
    assert _post_paypal(client, body, {"Content-Type": "application/json"}).status_code == 400


def test_a_stale_paypal_transmission_is_refused(client, db, paypal_order):
    event = json.loads(payments.paypal_test_event(paypal_order)[0])
    body, headers = payments.sign_paypal_event(event, sent_at="2020-01-01T00:00:00Z")
    assert _post_paypal(client, body, headers).status_code == 400


@pytest.mark.parametrize("body", [b"", b"{", b"\xff\xfe", b"[1]", b'{"id": "WH-1"}'])
def test_an_unreadable_paypal_body_is_refused_never_a_500(client, db, body):
    assert _post_paypal(client, body, {"Content-Type": "application/json"}).status_code == 400
