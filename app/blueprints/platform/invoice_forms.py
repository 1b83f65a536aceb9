"""Forms of the platform's invoices: the draft, its lines, payments, reversal, cancellation, linking a seat."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField, TextAreaField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.blueprints.invoice_documents import METHOD_LABELS, MODE_LABELS, STATUS_LABELS
from app.blueprints.fields import SelectField, WholeNumberField
from app.blueprints.money_field import MoneyField
from app.blueprints.wallet_history import DayField
from app.models import InvoicePaymentMethod, SeatReleaseMode
from app.models.base import parse_id
from app.services.billing import tax_ids
from app.services.billing.invoices import MAX_QUANTITY, InvoiceFilters, InvoiceValues, LineValues
from app.services.billing.payments import PaymentValues

def _strip(value):
    return value.strip() if isinstance(value, str) else value


class IdField(StringField):
    """An id chosen from a list (a radio of search results): ``data`` is an int or None, never an error."""

    def process_formdata(self, valuelist):
        self.data = parse_id(valuelist[-1]) if valuelist else None

    def _value(self):
        return str(self.data) if self.data else ""


class InvoiceFilterForm(FlaskForm):
    """GET filters of the invoice list (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validators=[Optional()], choices=[SelectChoice("", _l("Any status"))] + [
        SelectChoice(value, label) for value, label in STATUS_LABELS.items()])
    payer = StringField(_l("Payer, tax id or number"), filters=[_strip], validators=[Length(max=100)])
    date_from = DayField(_l("Issued from"))
    date_to = DayField(_l("Issued to"))

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))

    def filters(self) -> InvoiceFilters:
        return InvoiceFilters(status=self.status.data or None, payer=self.payer.data or None,
                              date_from=self.date_from.data, date_to=self.date_to.data)


class InvoiceForm(FlaskForm):
    """A draft's payer and terms. The payer is chosen from a search (``payer_q``) as a radio ``payer``."""

    payer_q = StringField(_l("Find the payer"), filters=[_strip], validators=[Length(max=100)],
                          render_kw={"placeholder": _l("Customer name or email, company name or VAT number"),
                                     "autocomplete": "off", "type": "search"})
    payer = StringField(_l("Payer"), filters=[_strip])
    tax_id_kind = SelectField(_l("Tax id kind"), choices=[SelectChoice("", _l("None"))] + [
        SelectChoice(kind.value, rule.label) for kind, rule in tax_ids.RULES.items()], validators=[Optional()])
    tax_id = StringField(_l("Tax id"), filters=[_strip], validators=[Length(max=30)],
                         description=_l("Checked by its check digit. For a company, empty uses its VAT number."))
    address = StringField(_l("Billing address"), filters=[_strip], validators=[Length(max=500)])
    due_on = DayField(_l("Due date"))
    notes = TextAreaField(_l("Notes (printed on the invoice)"), validators=[Length(max=5000)], render_kw={"rows": 3})

    def values(self) -> InvoiceValues:
        return InvoiceValues(payer=self.payer.data, tax_id_kind=self.tax_id_kind.data or None,
                             tax_id=self.tax_id.data, address=self.address.data or "", due_on=self.due_on.data,
                             notes=self.notes.data or "")

    @classmethod
    def of(cls, invoice, due_on: date | None = None) -> "InvoiceForm":
        if invoice is None:
            return cls(formdata=None, data={"due_on": due_on})
        payer = f"customer:{invoice.customer_id}" if invoice.customer_id else (
            f"company:{invoice.company_id}" if invoice.company_id else "")
        return cls(formdata=None, data={
            "payer": payer, "tax_id_kind": invoice.payer_tax_id_kind or "", "tax_id": invoice.payer_tax_id or "",
            "address": invoice.payer_address, "due_on": invoice.due_on, "notes": invoice.notes})


class LineForm(FlaskForm):
    offer_id = SelectField(_l("Product"), validate_choice=False)
    description = StringField(_l("Description"), filters=[_strip], validators=[Length(max=300)],
                              description=_l("Required for a one-off item; a product line defaults to its name."))
    quantity = WholeNumberField(_l("Quantity (seats for a product)"), default=1, minimum=1, maximum=MAX_QUANTITY)
    unit_price = MoneyField(_l("Unit price"), description=_l("Empty: the offer's price."))

    def __init__(self, offers, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer_id.choices = [SelectChoice("", _l("— a one-off item (no access) —"))] + [
            SelectChoice(str(offer.id), f"{offer.product.name} – {offer.name}") for offer in offers]

    def validate_offer_id(self, field) -> None:
        """Empty is a one-off item; anything else must be an id (the service checks the offer exists)."""
        if field.data and parse_id(field.data) is None:
            raise ValidationError(_l("Choose a product from the list, or a one-off item."))

    def values(self) -> LineValues:
        return LineValues(offer_id=parse_id(self.offer_id.data) if self.offer_id.data else None,
                          description=self.description.data or "", quantity=self.quantity.data,
                          unit_price_cents=self.unit_price.data)


class PaymentForm(FlaskForm):
    amount = MoneyField(_l("Amount"))
    paid_on = DayField(_l("Received on"))
    method = SelectField(_l("Method"), choices=[SelectChoice(k, v) for k, v in METHOD_LABELS.items()],
                         default=InvoicePaymentMethod.BANK_TRANSFER.value)
    reference = StringField(_l("Reference"), filters=[_strip], validators=[Length(max=100)],
                            description=_l("The bank transfer's CRO/TRN, the card transaction, the receipt number."))
    note = StringField(_l("Note"), filters=[_strip], validators=[Length(max=500)])

    def values(self) -> PaymentValues:
        return PaymentValues(amount_cents=self.amount.data, paid_on=self.paid_on.data, method=self.method.data,
                             reference=self.reference.data, note=self.note.data or "")


class ReverseForm(FlaskForm):
    reason = StringField(_l("Why is it reversed?"), filters=[_strip],
                         validators=[DataRequired(message=_l("Say why.")), Length(max=500)])


class CancelForm(FlaskForm):
    revoke_released = BooleanField(_l("Revoke the access of every released seat"))


class LinkSeatForm(FlaskForm):
    """User (chosen from a search as a radio ``user_id``), product line with a free seat, release mode."""

    user_q = StringField(_l("Find the user"), filters=[_strip], validators=[Length(max=100)],
                         render_kw={"placeholder": _l("Name or email"), "autocomplete": "off", "type": "search"})
    user_id = IdField(_l("User"))
    line_id = SelectField(_l("Product"), validate_choice=False)
    release_mode = RadioField(_l("Release the access"), default=SeatReleaseMode.AFTER_FULL_PAYMENT.value,
                              choices=[SelectChoice(k, v) for k, v in MODE_LABELS.items()])

    def __init__(self, free_lines, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.line_id.choices = [SelectChoice(str(line.id), _l("%(product)s (%(free)s of %(seats)s seats free)",
                                                              product=line.description, free=counts.free,
                                                              seats=counts.seats))
                                for line, counts in free_lines]

    def chosen(self) -> dict:
        return {"line_id": parse_id(self.line_id.data), "user_id": self.user_id.data,
                "release_mode": self.release_mode.data}
