"""Forms of the customer's shop: ordering an offer with a payment method, and confirming a return."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from app.models import PaymentMethod
from app.services.sales.policies import METHOD_LABELS


class OrderForm(FlaskForm):
    offer = IntegerField(widget=HiddenField.widget, validators=[InputRequired()])
    method = RadioField(_l("Pay with"), validators=[InputRequired(message=_l("Choose how to pay."))],
                        choices=[SelectChoice(m.value, METHOD_LABELS[m.value]) for m in
                                 (PaymentMethod.BANK_TRANSFER, PaymentMethod.CARD, PaymentMethod.PAYPAL,
                                  PaymentMethod.CREDIT)])

    @classmethod
    def for_offer(cls, item, *, formdata=None) -> "OrderForm":
        """The form of one offer: its own prefix, and credit offered only if the offer has a credit price."""
        form = cls(formdata=formdata, prefix=f"offer-{item.offer.id}", offer=item.offer.id)
        if not item.price_credits:
            form.method.choices = [c for c in form.method.choices if c.value != PaymentMethod.CREDIT.value]
        return form


class ReturnForm(FlaskForm):
    """Back from the provider's checkout: what it put in the address, posted to confirm the payment."""

    session_id = HiddenField(validators=[Optional()])
    token = HiddenField(validators=[Optional()])


class TestPaymentForm(FlaskForm):
    """The test-mode payment button: only the CSRF token."""
