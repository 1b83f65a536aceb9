"""Payment webhooks (Stripe, PayPal), each event applied once; the test-mode events that stand in for
a real payment; and the customer's return from a provider's checkout.

A webhook is verified first (Stripe: ``stripe.Webhook.construct_event`` on
the raw body, with a timestamp tolerance; PayPal: ``gateways.verify_paypal_webhook``):
anything unverified or unreadable is ``WebhookInvalid`` (the view answers 400,
nothing changes). A verified event's id is inserted, UNIQUE per provider, in
the transaction of its effect: a redelivery (or a concurrent twin, which waits
on the index and then fails) is a duplicate and changes nothing. A payment
event goes to ``activation.confirm_payment``, the one way a payment reaches
an order. Functions add and flush; the caller commits once.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal

import stripe
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Order, OrderStatus, PaymentEvent, PaymentMethod, PaymentProvider
from app.services import DomainError
from app.services.sales import activation, gateways, orders

EVENT_ID_MAX = 100
# The events that say a payment succeeded; any other verified event is stored and ignored.
STRIPE_PAID_EVENTS = ("payment_intent.succeeded", "checkout.session.completed")
PAYPAL_PAID_EVENTS = ("PAYMENT.CAPTURE.COMPLETED", "CHECKOUT.ORDER.COMPLETED")


class WebhookInvalid(DomainError):
    """Not verified, stale, or unreadable: answered 400, nothing changed."""


@dataclass(frozen=True)
class WebhookResult:
    duplicate: bool
    outcome: str


@dataclass(frozen=True)
class PaymentClaim:
    """What a verified event says: which order, paid or not, for how much, with which reference."""

    event_id: str
    event_type: str
    order_number: str | None
    paid: bool
    reference: str | None
    amount_cents: int | None
    currency: str | None


# --- the one path of every event ------------------------------------------------------------


def _apply(provider: PaymentProvider, claim: PaymentClaim) -> WebhookResult:
    if not claim.event_id or len(claim.event_id) > EVENT_ID_MAX or not isinstance(claim.event_id, str):
        raise WebhookInvalid(_l("The event has no usable id."))
    event = PaymentEvent(provider=provider.value, event_id=claim.event_id, event_type=claim.event_type[:100],
                         outcome="received")
    try:
        with db.session.begin_nested():
            db.session.add(event)
            db.session.flush()
    except IntegrityError:
        return WebhookResult(duplicate=True, outcome="duplicate")
    order = orders.find_order_by_number(claim.order_number)
    event.order_id = order.id if order else None
    event.outcome = _effect(claim, order)
    db.session.flush()
    return WebhookResult(duplicate=False, outcome=event.outcome)


def _effect(claim: PaymentClaim, order: Order | None) -> str:
    if not claim.paid:
        return "ignored"
    if order is None:
        return "unknown_order"
    if order.payment_method not in (PaymentMethod.CARD.value, PaymentMethod.PAYPAL.value):
        return "wrong_method"
    if claim.amount_cents != order.total_cents or (claim.currency or "").upper() != order.currency.upper():
        return "amount_mismatch"
    return activation.confirm_payment(order, reference=claim.reference).outcome


# --- Stripe ----------------------------------------------------------------------------------------


def handle_stripe_webhook(raw_body: bytes, signature: str | None) -> WebhookResult:
    """A Stripe event, verified on the raw body with the configured secret and tolerance, applied once."""
    config = current_app.config
    secret = config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        raise WebhookInvalid(_l("No Stripe webhook secret is configured."))
    try:
        event = stripe.Webhook.construct_event(raw_body, signature, secret, tolerance=config["STRIPE_WEBHOOK_TOLERANCE"])
        claim = _stripe_claim(event.to_dict())
    except (stripe.SignatureVerificationError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise WebhookInvalid(_l("This Stripe event could not be verified or read.")) from exc
    return _apply(PaymentProvider.STRIPE, claim)


def _stripe_claim(event: dict) -> PaymentClaim:
    kind = str(event["type"])
    obj = event["data"]["object"]
    metadata = obj.get("metadata") or {}
    number = metadata.get("order_number") or obj.get("client_reference_id")
    if kind == "payment_intent.succeeded":
        paid, reference, amount = obj.get("status") == "succeeded", obj.get("id"), obj.get("amount_received")
    elif kind == "checkout.session.completed":
        paid, reference, amount = obj.get("payment_status") == "paid", obj.get("payment_intent"), obj.get("amount_total")
    else:
        paid, reference, amount = False, None, None
    return PaymentClaim(str(event["id"]), kind, str(number) if number else None, paid,
                        str(reference) if reference else None, amount, obj.get("currency"))


def stripe_test_events(order: Order) -> list[tuple[bytes, str]]:
    """What Stripe sends for one card payment of ``order``: ``payment_intent.succeeded`` and
    ``checkout.session.completed``, each signed with the configured secret (body, Stripe-Signature)."""
    token = uuid.uuid4().hex[:20]
    intent = f"pi_test_{token}"
    currency = order.currency.lower()
    objects = [
        ("payment_intent.succeeded", {"id": intent, "object": "payment_intent", "status": "succeeded",
                                      "amount_received": order.total_cents, "currency": currency,
                                      "metadata": {"order_number": order.number}}),
        ("checkout.session.completed", {"id": f"cs_test_{token}", "object": "checkout.session",
                                        "payment_status": "paid", "client_reference_id": order.number,
                                        "amount_total": order.total_cents, "currency": currency,
                                        "payment_intent": intent, "metadata": {"order_number": order.number}}),
    ]
    return [sign_stripe_event({"id": f"evt_test_{uuid.uuid4().hex[:24]}", "object": "event", "type": kind,
                               "api_version": "2024-06-20", "created": int(time.time()), "livemode": False,
                               "data": {"object": obj}}) for kind, obj in objects]


def sign_stripe_event(event: dict, *, timestamp: int | None = None) -> tuple[bytes, str]:
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(
        payload, current_app.config["STRIPE_WEBHOOK_SECRET"], timestamp=timestamp)
    return payload.encode(), header


# --- PayPal ----------------------------------------------------------------------------------------


def handle_paypal_webhook(raw_body: bytes, headers) -> WebhookResult:
    """A PayPal event, verified by ``gateways.verify_paypal_webhook``, applied once."""
    try:
        event = json.loads(raw_body)
        claim = _paypal_claim(event)
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError) as exc:
        raise WebhookInvalid(_l("This PayPal event could not be read.")) from exc
    if not gateways.verify_paypal_webhook(headers, raw_body):
        raise WebhookInvalid(_l("This PayPal event could not be verified."))
    return _apply(PaymentProvider.PAYPAL, claim)


def _paypal_claim(event: dict) -> PaymentClaim:
    kind = str(event["event_type"])
    resource = event["resource"]
    if kind == "PAYMENT.CAPTURE.COMPLETED":
        amount = resource.get("amount") or {}
        number, paid, reference = resource.get("custom_id"), resource.get("status") == "COMPLETED", resource.get("id")
    elif kind == "CHECKOUT.ORDER.COMPLETED":
        unit = (resource.get("purchase_units") or [{}])[0]
        amount = unit.get("amount") or {}
        number, paid, reference = unit.get("custom_id"), resource.get("status") == "COMPLETED", resource.get("id")
    else:
        amount, number, paid, reference = {}, None, False, None
    return PaymentClaim(str(event["id"]), kind, str(number) if number else None, paid,
                        str(reference) if reference else None, gateways.cents(amount.get("value")),
                        amount.get("currency_code"))


def paypal_test_event(order: Order) -> tuple[bytes, dict]:
    """What PayPal sends for one captured payment of ``order`` (body, headers), signed with the test secret."""
    capture = f"CAPTURE-TEST-{uuid.uuid4().hex[:12].upper()}"
    event = {
        "id": f"WH-TEST-{uuid.uuid4().hex[:20].upper()}", "event_version": "1.0", "create_time": gateways.now_iso(),
        "resource_type": "capture", "event_type": "PAYMENT.CAPTURE.COMPLETED",
        "summary": f"Payment completed for order {order.number}",
        "resource": {"id": capture, "status": "COMPLETED", "custom_id": order.number, "invoice_id": order.number,
                     "amount": {"currency_code": order.currency.upper(),
                                "value": str(Decimal(order.total_cents) / 100)}},
    }
    return sign_paypal_event(event)


def sign_paypal_event(event: dict, *, sent_at: str | None = None) -> tuple[bytes, dict]:
    body = json.dumps(event).encode()
    transmission_id, sent_at = str(uuid.uuid4()), sent_at or gateways.now_iso()
    signature = gateways.paypal_test_signature(transmission_id, sent_at, body,
                                               current_app.config["PAYPAL_TEST_WEBHOOK_SECRET"] or "")
    return body, {"PAYPAL-TRANSMISSION-ID": transmission_id, "PAYPAL-TRANSMISSION-TIME": sent_at,
                  "PAYPAL-TRANSMISSION-SIG": signature, "PAYPAL-AUTH-ALGO": gateways.TEST_AUTH_ALGO,
                  "PAYPAL-CERT-URL": "test-mode", "Content-Type": "application/json"}


# --- test mode and the return page -----------------------------------------------------------------


class PaymentUnavailable(DomainError):
    pass


def test_mode_available(method: str) -> bool:
    """Test-mode payments exist only where they are switched on and the provider has no live keys."""
    if not current_app.config.get("PAYMENTS_TEST_MODE"):
        return False
    return not (gateways.stripe_live() if method == PaymentMethod.CARD.value else gateways.paypal_live())


def pay_in_test_mode(order: Order) -> list[WebhookResult]:
    """A test-mode payment: the provider's events for ``order``, signed, through the same webhook handler."""
    if order.status != OrderStatus.AWAITING_PAYMENT.value:
        raise PaymentUnavailable(_l("This order is not waiting for a payment."))
    if not test_mode_available(order.payment_method):
        raise PaymentUnavailable(_l("Test-mode payments are switched off here."))
    if order.payment_method == PaymentMethod.CARD.value:
        return [handle_stripe_webhook(body, header) for body, header in stripe_test_events(order)]
    if order.payment_method == PaymentMethod.PAYPAL.value:
        body, headers = paypal_test_event(order)
        return [handle_paypal_webhook(body, headers)]
    raise PaymentUnavailable(_l("This order is not paid by card or PayPal."))


def confirm_return(order: Order, *, session_id: str | None = None, paypal_token: str | None = None) -> str | None:
    """The customer is back from the provider's checkout: ask the provider, and confirm a payment it reports.

    Goes through ``activation.confirm_payment``, like the webhooks (whichever
    comes first activates; the other finds it done). Test mode has nothing to
    ask: the test payment already went through the webhook handler.
    """
    if order.status != OrderStatus.AWAITING_PAYMENT.value:
        return None
    payment = None
    if order.payment_method == PaymentMethod.CARD.value and session_id and gateways.stripe_live():
        payment = gateways.stripe_checkout_payment(session_id[:200])
    elif order.payment_method == PaymentMethod.PAYPAL.value and paypal_token and gateways.paypal_live():
        payment = gateways.paypal_capture(paypal_token[:100])
    if payment is None or not payment.paid or payment.order_number != order.number:
        return None
    if payment.amount_cents != order.total_cents:
        return "amount_mismatch"
    return activation.confirm_payment(order, reference=payment.reference).outcome


def checkout_url(order: Order, *, success_url: str, cancel_url: str) -> str | None:
    """Where the customer pays ``order`` live (a provider's page), or None in test mode.

    Only an order waiting for its payment: an order paid, active or deleted is refused, never charged again.
    """
    if order.status != OrderStatus.AWAITING_PAYMENT.value:
        raise PaymentUnavailable(_l("This order is not waiting for a payment."))
    name = "; ".join(f"{line.product.name} — {line.offer.name}" for line in order.lines) or order.number
    args = (order.number, name, order.total_cents, order.currency)
    try:
        if order.payment_method == PaymentMethod.CARD.value and gateways.stripe_live():
            return gateways.stripe_checkout_url(*args, success_url=success_url, cancel_url=cancel_url)
        if order.payment_method == PaymentMethod.PAYPAL.value and gateways.paypal_live():
            return gateways.paypal_approve_url(*args, return_url=success_url, cancel_url=cancel_url)
    except gateways.GatewayUnavailable as exc:
        raise PaymentUnavailable(_l("The payment provider cannot be reached now. Try again in a moment.")) from exc
    return None
