import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, IntegerField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    UUID, DataRequired, Email, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError,
)

from app.models import PartnerKind, SeatsOnReversal
from app.services.tenancy.partners import MIN_PASSWORD_LENGTH
from app.services.ledger.wallets import MAX_AMOUNT


class EmptyForm(FlaskForm):
    """A button that changes state: only the CSRF token."""


class WholeNumberField(IntegerField):
    """An integer input whose parse error a user understands."""

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0].strip() == "":
            self.data = None
            return
        try:
            self.data = int(valuelist[0].strip())
        except ValueError:
            self.data = None
            raise ValueError(_l("Enter a whole number, e.g. 25."))


def _url_or_path(form, field):
    value = (field.data or "").strip()
    if value and not (value.startswith(("https://", "http://")) or (value.startswith("/") and not value.startswith("//"))):
        raise ValidationError(_l("Enter a web address starting with https:// (or a path starting with /)."))
    if any(ch.isspace() for ch in value):
        raise ValidationError(_l("A web address has no spaces."))


class PartnerForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(PartnerKind.DEFAULT.value, _l("Default (platform's look and domain)")),
                 SelectChoice(PartnerKind.WHITELABEL.value, _l("Whitelabel (own domain, name and look)"))],
        default=PartnerKind.DEFAULT.value,
    )
    domain = StringField(
        _l("Domain"), validators=[Optional(), Length(max=253)],
        description=_l("Required for a whitelabel partner, e.g. academy.example.com; empty for a default one."),
    )
    brand_color = StringField(
        _l("Brand colour"),
        validators=[Optional(), Regexp(r"^#[0-9a-fA-F]{6}$",
                                       message=_l("Enter the colour as # and six hex digits, e.g. #1a6fb0."))],
        render_kw={"placeholder": "#1a6fb0", "maxlength": 7},
    )
    logo_url = StringField(_l("Logo URL"), validators=[Optional(), Length(max=500), _url_or_path])
    low_balance_threshold = WholeNumberField(
        _l("Low-balance threshold (credits)"),
        validators=[Optional(), NumberRange(min=0, max=MAX_AMOUNT,
                                            message=_l("Enter a whole number, 0 or more."))],
        description=_l("Leave empty to use the platform default."),
    )

    def partner_values(self) -> dict:
        return {
            "name": self.name.data,
            "kind": self.kind.data,
            "domain": self.domain.data,
            "brand_color": self.brand_color.data,
            "logo_url": self.logo_url.data,
            "low_balance_threshold": self.low_balance_threshold.data,
        }


class PartnerAdminForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200,
                                           message=_l("At least %(n)d characters.", n=MIN_PASSWORD_LENGTH))],
        render_kw={"autocomplete": "new-password"},
    )


def _new_key() -> str:
    return str(uuid.uuid4())


class WalletOperationForm(FlaskForm):
    """A recharge or a deduction. Rendered with a fresh key; the same key applies once."""

    amount = WholeNumberField(
        _l("Amount (credits)"),
        validators=[InputRequired(message=_l("Enter the number of credits.")),
                    NumberRange(min=1, max=MAX_AMOUNT, message=_l("Enter a whole number from 1 to %(max)d.",
                                                                  max=MAX_AMOUNT))],
        render_kw={"inputmode": "numeric", "min": 1, "step": 1},
    )
    reason = StringField(_l("Reason"), validators=[DataRequired(message=_l("Say why.")), Length(max=500)])
    idempotency_key = HiddenField(validators=[DataRequired(), UUID()])

    @classmethod
    def blank(cls, prefix: str) -> "WalletOperationForm":
        """An empty form with a fresh key, whatever the current request posted."""
        form = cls(formdata=None, prefix=prefix)
        form.idempotency_key.data = _new_key()
        return form

    def renew_key_if_invalid(self) -> None:
        """A missing or forged key is replaced, so the re-rendered form can be sent again."""
        if self.idempotency_key.errors:
            self.idempotency_key.data = _new_key()
            self.form_errors.append(_l("This form had expired. Check the values and send it again."))


class PlatformSettingsForm(FlaskForm):
    low_balance_threshold = WholeNumberField(
        _l("Default low-balance threshold (credits)"),
        validators=[InputRequired(), NumberRange(min=0, max=MAX_AMOUNT,
                                                 message=_l("Enter a whole number, 0 or more."))],
        description=_l("A partner's admins are warned by email when its balance falls below this, "
                       "unless the partner has its own threshold."),
    )
    refund_on_cancel = BooleanField(_l("Refund credits when an enrolment is cancelled"))
    seats_on_reversal = SelectField(
        _l("When a payment reversal leaves an invoice unpaid"),
        choices=[SelectChoice(SeatsOnReversal.KEEP.value, _l("Keep the seats its full payment released")),
                 SelectChoice(SeatsOnReversal.REVOKE.value, _l("Revoke the seats its full payment released"))],
        default=SeatsOnReversal.KEEP.value,
        description=_l("Seats released “now” never depend on payment and are always kept."),
    )


class CoursePricingForm(FlaskForm):
    value_per_enrolment = WholeNumberField(
        _l("Value per enrolment (credits)"),
        validators=[InputRequired(), NumberRange(min=0, max=MAX_AMOUNT,
                                                 message=_l("Enter a whole number, 0 or more."))],
    )
    assign_to_all = BooleanField(_l("Assign to all partners (everyone pays the value per enrolment)"))

    partner_ids: list[int] = []

    def share_field(self, partner_id):
        return self[f"share_{partner_id}"]

    def custom_field(self, partner_id):
        return self[f"custom_{partner_id}"]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for partner_id in self.partner_ids:
            custom = self.custom_field(partner_id)
            if custom.data is not None and not custom.errors and not self.share_field(partner_id).data:
                custom.errors = list(custom.errors) + [_l("Tick the partner to give it a custom value.")]
                valid = False
        return valid

    def chosen(self) -> dict[int, int | None]:
        return {pid: self.custom_field(pid).data for pid in self.partner_ids if self.share_field(pid).data}


def course_pricing_form(partners, **kwargs) -> CoursePricingForm:
    """The pricing form with, per partner, a "chosen" box and an optional custom value."""

    class _Form(CoursePricingForm):
        pass

    for partner in partners:
        # Ticking the partner's name chooses it.
        setattr(_Form, f"share_{partner.id}", BooleanField(partner.name))
        setattr(_Form, f"custom_{partner.id}", WholeNumberField(
            _l("Custom value for %(name)s", name=partner.name),
            validators=[Optional(), NumberRange(min=0, max=MAX_AMOUNT,
                                                message=_l("Enter a whole number, 0 or more."))],
        ))
    form = _Form(**kwargs)
    form.partner_ids = [partner.id for partner in partners]
    return form
