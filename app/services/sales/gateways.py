"""The calls to the payment providers' APIs: the only code of Aula that reaches Stripe or PayPal.

- ``verify_paypal_webhook(headers, raw_body)``: THE PayPal verification. With
  PayPal credentials configured it asks PayPal's verify-webhook-signature API;
  in test mode it checks the test signature that ``payments.paypal_test_event``
  made with the configured test secret. Tests replace only this function.
- Live checkout: a Stripe Checkout Session, a PayPal order, and reading them back
  on the customer's return page. Used only when the live keys are configured.

Test mode (no network: the demo, the tests) never calls out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

import stripe
from flask import current_app

log = logging.getLogger(__name__)

TIMEOUT = 15  # seconds for one call to a provider
TEST_AUTH_ALGO = "AULA-TEST-HMACSHA256"


def stripe_live() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def paypal_live() -> bool:
    config = current_app.config
    return bool(config.get("PAYPAL_CLIENT_ID") and config.get("PAYPAL_CLIENT_SECRET") and config.get("PAYPAL_WEBHOOK_ID"))


# --- PayPal webhook verification ----------------------------------------------------------


def paypal_test_signature(transmission_id: str, transmission_time: str, raw_body: bytes, secret: str) -> str:
    """The test-mode signature: PayPal's signed string (id|time|webhook id|crc32 of the body), HMAC'd."""
    message = f"{transmission_id}|{transmission_time}|aula-test-webhook|{zlib.crc32(raw_body)}"
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _header(headers, name: str) -> str:
    return (headers.get(name) or "").strip()


def verify_paypal_webhook(headers, raw_body: bytes) -> bool:
    """Whether PayPal sent this webhook (headers PAYPAL-TRANSMISSION-*, PAYPAL-AUTH-ALGO, PAYPAL-CERT-URL).

    Live: PayPal's verify-webhook-signature API says SUCCESS. Test mode: the
    test signature matches and the transmission is recent. Any failure (a
    missing header, PayPal unreachable) is False: the webhook is refused and
    PayPal delivers it again later.
    """
    config = current_app.config
    if paypal_live():
        return _paypal_api_verifies(headers, raw_body)
    secret = config.get("PAYPAL_TEST_WEBHOOK_SECRET")
    if not (config.get("PAYMENTS_TEST_MODE") and secret):
        return False
    transmission_id, sent_at = _header(headers, "PAYPAL-TRANSMISSION-ID"), _header(headers, "PAYPAL-TRANSMISSION-TIME")
    signature = _header(headers, "PAYPAL-TRANSMISSION-SIG")
    if _header(headers, "PAYPAL-AUTH-ALGO") != TEST_AUTH_ALGO or not (transmission_id and sent_at and signature):
        return False
    try:
        moment = datetime.fromisoformat(sent_at.replace("Z", "+00:00"))
    except ValueError:
        return False
    if moment.tzinfo is None or abs(time.time() - moment.timestamp()) > config["PAYPAL_WEBHOOK_TOLERANCE"]:
        return False
    expected = paypal_test_signature(transmission_id, sent_at, raw_body, secret)
    return hmac.compare_digest(expected, signature)


def _paypal_api_verifies(headers, raw_body: bytes) -> bool:
    config = current_app.config
    try:
        body = {
            "auth_algo": _header(headers, "PAYPAL-AUTH-ALGO"),
            "cert_url": _header(headers, "PAYPAL-CERT-URL"),
            "transmission_id": _header(headers, "PAYPAL-TRANSMISSION-ID"),
            "transmission_sig": _header(headers, "PAYPAL-TRANSMISSION-SIG"),
            "transmission_time": _header(headers, "PAYPAL-TRANSMISSION-TIME"),
            "webhook_id": config["PAYPAL_WEBHOOK_ID"],
            "webhook_event": json.loads(raw_body),
        }
        answer = _paypal_call("/v1/notifications/verify-webhook-signature", body)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("PayPal webhook verification failed: %s", exc)
        return False
    return answer.get("verification_status") == "SUCCESS"


def _paypal_token() -> str:
    config = current_app.config
    credentials = base64.b64encode(f"{config['PAYPAL_CLIENT_ID']}:{config['PAYPAL_CLIENT_SECRET']}".encode()).decode()
    request = urllib.request.Request(
        config["PAYPAL_API_BASE"] + "/v1/oauth2/token", data=b"grant_type=client_credentials", method="POST",
        headers={"Authorization": f"Basic {credentials}", "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 (a configured https URL)
        return json.loads(response.read())["access_token"]


def _paypal_call(path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        current_app.config["PAYPAL_API_BASE"] + path, data=json.dumps(body or {}).encode(), method="POST",
        headers={"Authorization": f"Bearer {_paypal_token()}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
        return json.loads(response.read())


# --- live checkout ------------------------------------------------------------------------------


class GatewayUnavailable(Exception):
    """The provider could not be reached or refused the call: the customer may try again."""


@dataclass(frozen=True)
class ProviderPayment:
    """What a provider says about a payment: the order it is for, whether it is paid, its reference."""

    order_number: str
    paid: bool
    reference: str
    amount_cents: int | None
    currency: str | None


def stripe_checkout_url(number: str, name: str, amount_cents: int, currency: str, *, success_url: str,
                        cancel_url: str) -> str:
    """A Stripe Checkout Session for one order; the customer is sent to its URL."""
    try:
        session = stripe.checkout.Session.create(
            api_key=current_app.config["STRIPE_SECRET_KEY"], mode="payment", client_reference_id=number,
            line_items=[{"quantity": 1, "price_data": {"currency": currency.lower(), "unit_amount": amount_cents,
                                                       "product_data": {"name": name}}}],
            metadata={"order_number": number}, payment_intent_data={"metadata": {"order_number": number}},
            success_url=success_url + "?session_id={CHECKOUT_SESSION_ID}", cancel_url=cancel_url,
        )
    except stripe.StripeError as exc:
        raise GatewayUnavailable(str(exc)) from exc
    return session.url


def stripe_checkout_payment(session_id: str) -> ProviderPayment | None:
    """The Checkout Session the customer came back from, as Stripe reports it (None if unknown)."""
    try:
        session = stripe.checkout.Session.retrieve(session_id, api_key=current_app.config["STRIPE_SECRET_KEY"])
    except stripe.StripeError as exc:
        log.warning("Stripe session %s could not be read: %s", session_id, exc)
        return None
    data = session.to_dict()
    return ProviderPayment(data.get("client_reference_id") or "", data.get("payment_status") == "paid",
                           data.get("payment_intent") or data.get("id") or "", data.get("amount_total"),
                           data.get("currency"))


def paypal_approve_url(number: str, name: str, amount_cents: int, currency: str, *, return_url: str,
                       cancel_url: str) -> str:
    """A PayPal order (intent CAPTURE) for one of ours; the customer is sent to approve it."""
    value = str(Decimal(amount_cents) / 100)
    body = {"intent": "CAPTURE", "purchase_units": [{
        "custom_id": number, "invoice_id": number, "description": name[:127],
        "amount": {"currency_code": currency.upper(), "value": value}}],
        "application_context": {"return_url": return_url, "cancel_url": cancel_url, "user_action": "PAY_NOW"}}
    try:
        answer = _paypal_call("/v2/checkout/orders", body)
        return next(link["href"] for link in answer["links"] if link["rel"] in ("approve", "payer-action"))
    except (OSError, ValueError, KeyError, StopIteration) as exc:
        raise GatewayUnavailable(str(exc)) from exc


def paypal_capture(paypal_order_id: str) -> ProviderPayment | None:
    """Capture the PayPal order the customer approved (a repeat answers with the capture already made)."""
    try:
        answer = _paypal_call(f"/v2/checkout/orders/{urllib.request.quote(paypal_order_id)}/capture")
    except urllib.error.HTTPError as exc:
        log.warning("PayPal capture of %s refused: %s", paypal_order_id, exc)
        return None
    except (OSError, ValueError) as exc:
        log.warning("PayPal capture of %s failed: %s", paypal_order_id, exc)
        return None
    unit = (answer.get("purchase_units") or [{}])[0]
    capture = ((unit.get("payments") or {}).get("captures") or [{}])[0]
    amount = capture.get("amount") or {}
    return ProviderPayment(capture.get("custom_id") or unit.get("custom_id") or "",
                           capture.get("status") == "COMPLETED", capture.get("id") or paypal_order_id,
                           cents(amount.get("value")), amount.get("currency_code"))


def cents(value) -> int | None:
    """"199.00" -> 19900; None for anything that is not an amount."""
    try:
        return int((Decimal(str(value)) * 100).to_integral_exact())
    except (ArithmeticError, ValueError, TypeError):
        return None


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
