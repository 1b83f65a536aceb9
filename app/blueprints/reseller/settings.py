"""The reseller's payment settings: the policy of card and PayPal, and the bank transfer instructions."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.reseller import bp
from app.blueprints.reseller.forms import PaymentSettingsForm
from app.services import DomainError
from app.services.sales import policies
from app.web import apply_refusal, refuse, render


@bp.route("/settings/payments", methods=["GET", "POST"])
def payment_settings():
    reseller = current_user.reseller
    current = policies.payment_settings(reseller)
    form = PaymentSettingsForm(data={"card": current.card, "paypal": current.paypal,
                                     "bank_instructions": current.bank_instructions})
    if form.validate_on_submit():
        try:
            policies.save_payment_settings(current_user, reseller, card=form.card.data, paypal=form.paypal.data,
                                           bank_instructions=form.bank_instructions.data)
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("Payment settings saved. They apply to payments confirmed from now on."), "success")
            return redirect(url_for("reseller.payment_settings"))
    page = refuse if form.is_submitted() else render
    return page("reseller/settings.html", form=form)
