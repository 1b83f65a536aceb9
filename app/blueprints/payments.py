"""Payment providers' webhooks: not behind a login and exempt from CSRF (the signature is the proof).

Each view hands the raw body to the sales service and answers what a
provider understands: 200 once the event is applied or was already applied
(a duplicate), 400 when it is not verified, stale or unreadable (nothing
changed; the provider may deliver it again). Never a 500 for what a sender
controls.
"""

from __future__ import annotations

import logging

from flask import Blueprint, request

from app.extensions import csrf
from app.services.sales import payments
from app.services.sales.payments import WebhookInvalid

bp = Blueprint("payments", __name__)
csrf.exempt(bp)
log = logging.getLogger(__name__)


def _refused(error: WebhookInvalid):
    log.warning("webhook refused: %s", error.message)
    return {"received": False, "error": str(error.message)}, 400


@bp.route("/stripe/webhook", methods=["POST"])
def stripe_webhook():
    try:
        result = payments.handle_stripe_webhook(request.get_data(cache=False), request.headers.get("Stripe-Signature"))
    except WebhookInvalid as error:
        return _refused(error)
    return {"received": True, "duplicate": result.duplicate, "outcome": result.outcome}, 200


@bp.route("/paypal/webhook", methods=["POST"])
def paypal_webhook():
    try:
        result = payments.handle_paypal_webhook(request.get_data(cache=False), request.headers)
    except WebhookInvalid as error:
        return _refused(error)
    return {"received": True, "duplicate": result.duplicate, "outcome": result.outcome}, 200
