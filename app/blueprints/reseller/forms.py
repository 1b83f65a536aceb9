"""Forms of the reseller area."""

from __future__ import annotations

import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import UUID, DataRequired, Email, InputRequired, Length, Optional, ValidationError

from app.blueprints.fields import SelectField, WholeNumberField
from app.blueprints.wallet_history import DayField
from app.models import ActivationPolicy, OrderStatus, PaymentMethod
from app.models.base import parse_id
from app.services.ledger.wallets import MAX_AMOUNT
from app.services.sales import orders, policies
from app.services.sales.customers import CreditShown
from app.services.sales.to_activate import WaitingSearch


class ConfirmForm(FlaskForm):
    """A confirmed action (activate, delete): only the CSRF token."""


class CustomerForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])


class WaitingSearchForm(FlaskForm):
    """Search of the "to activate" list (GET, no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name, email or order number"), validators=[Optional(), Length(max=200)],
                    render_kw={"type": "search", "autocomplete": "off"})
    day = DayField(_l("Ordered on"))

    def search(self) -> WaitingSearch:
        return WaitingSearch(text=(self.q.data or "").strip(), day=self.day.data)


class CustomerSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name or email"), validators=[Optional(), Length(max=200)],
                    render_kw={"type": "search", "autocomplete": "off"})


class OrderFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Customer or order number"), validators=[Optional(), Length(max=200)],
                    render_kw={"type": "search"})
    status = SelectField(_l("Status"), validators=[Optional()])
    method = SelectField(_l("Method"), validators=[Optional()])
    date_from = DayField(_l("From"))
    date_to = DayField(_l("To"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice("", _l("Any status"))] + [
            SelectChoice(status, orders.STATUS_LABELS[status]) for status in OrderStatus.values()]
        self.method.choices = [SelectChoice("", _l("Any method"))] + [
            SelectChoice(method, policies.METHOD_LABELS[method]) for method in PaymentMethod.values()]

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))

    def filters(self) -> orders.OrderFilters:
        return orders.OrderFilters(text=self.q.data or "", status=self.status.data or None,
                                   method=self.method.data or None, date_from=self.date_from.data,
                                   date_to=self.date_to.data)


class AddProductsForm(FlaskForm):
    # parse_id: an id or None (the service refuses None as "not on sale"), never an overflow in the database.
    offer = SelectField(_l("Product and offer"), coerce=parse_id, validate_choice=False,
                        validators=[InputRequired(message=_l("Choose an offer."))])
    activate_now = BooleanField(_l("Activate at once"))

    def with_offers(self, items) -> "AddProductsForm":
        self.offer.choices = [SelectChoice(item.offer.id, item.label) for item in items]
        return self


def _new_key() -> str:
    return str(uuid.uuid4())


class AddCreditForm(FlaskForm):
    """Credit from the reseller's wallet to a customer's; a fresh key each time it is rendered."""

    amount = WholeNumberField(
        _l("Credits to give"), validators=[InputRequired(message=_l("Enter the number of credits."))],
        minimum=1, maximum=MAX_AMOUNT)
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])
    idempotency_key = HiddenField(validators=[DataRequired(), UUID()])

    @classmethod
    def blank(cls) -> "AddCreditForm":
        form = cls(formdata=None)
        form.idempotency_key.data = _new_key()
        return form


class RecoverCreditForm(FlaskForm):
    """The confirmation carries the balance it showed and the entry it was read up to."""

    balance = HiddenField(validators=[InputRequired()])
    up_to = HiddenField(validators=[InputRequired()])

    def shown(self) -> CreditShown | None:
        try:
            return CreditShown(int(self.balance.data), int(self.up_to.data))
        except (TypeError, ValueError):
            return None


class PaymentSettingsForm(FlaskForm):
    card = SelectField(_l("Card (Stripe)"))
    paypal = SelectField(_l("PayPal"))
    bank_instructions = TextAreaField(
        _l("Bank transfer instructions"), validators=[Length(max=policies.INSTRUCTIONS_MAX)],
        render_kw={"rows": 5},
        description=_l("Shown to a customer who orders by bank transfer: account holder, IBAN, what to write as "
                       "the reason. Bank transfers are always activated by hand."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [SelectChoice(value, policies.POLICY_LABELS[value]) for value in ActivationPolicy.values()]
        self.card.choices = choices
        self.paypal.choices = list(choices)
