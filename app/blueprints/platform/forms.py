import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    UUID, DataRequired, Email, InputRequired, Length, Optional, ValidationError,
)

from app import i18n
from app.blueprints.brand_fields import BrandColourMixin, brand_colour_field, no_brand_colour_field
from app.blueprints.fields import SelectField, WholeNumberField
from app.models import PartnerKind, SeatsOnReversal
from app.web import apply_refusal
from app.services.tenancy.partners import MIN_PASSWORD_LENGTH
from app.services.ledger.wallets import MAX_AMOUNT


class EmptyForm(FlaskForm):
    """A button that changes state: only the CSRF token."""


def _url_or_path(form, field):
    value = (field.data or "").strip()
    if value and not (value.startswith(("https://", "http://")) or (value.startswith("/") and not value.startswith("//"))):
        raise ValidationError(_l("Enter a web address starting with https:// (or a path starting with /)."))
    if any(ch.isspace() for ch in value):
        raise ValidationError(_l("A web address has no spaces."))


class PartnerForm(BrandColourMixin, FlaskForm):
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
    brand_color = brand_colour_field()
    no_brand_color = no_brand_colour_field()
    logo_url = StringField(_l("Logo URL"), validators=[Optional(), Length(max=500), _url_or_path])
    low_balance_threshold = WholeNumberField(
        _l("Low-balance threshold (credits)"),
        validators=[Optional()], maximum=MAX_AMOUNT,
        description=_l("Leave empty to use the platform default."),
    )
    default_locale = SelectField(
        _l("Default language"), default="", validate_choice=False,  # the service checks it
        description=_l("For its users who have not chosen a language, when their browser asks for none "
                       "that Aula offers, and for the emails they receive."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_locale.choices = [SelectChoice("", _l("Platform default"))] + [
            SelectChoice(code, name) for code, name in i18n.language_choices()
        ]

    def partner_values(self) -> dict:
        return {
            "name": self.name.data,
            "kind": self.kind.data,
            "domain": self.domain.data,
            "brand_color": self.colour_value(),
            "logo_url": self.logo_url.data,
            "low_balance_threshold": self.low_balance_threshold.data,
            "default_locale": self.default_locale.data or None,
        }


class PartnerAdminForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(),
                    Length(min=MIN_PASSWORD_LENGTH, message=_l("At least %(n)d characters.", n=MIN_PASSWORD_LENGTH)),
                    Length(max=200, message=_l("At most %(n)s characters.", n=200))],
        render_kw={"autocomplete": "new-password"},
    )


def _new_key() -> str:
    return str(uuid.uuid4())


class WalletOperationForm(FlaskForm):
    """A recharge or a deduction. Rendered with a fresh key; the same key applies once."""

    amount = WholeNumberField(
        _l("Amount (credits)"),
        validators=[InputRequired(message=_l("Enter the number of credits."))], minimum=1, maximum=MAX_AMOUNT,
    )
    reason = StringField(_l("Reason"), validators=[DataRequired(message=_l("Say why.")), Length(max=500)])
    idempotency_key = HiddenField(validators=[DataRequired(), UUID()])

    @classmethod
    def blank(cls, prefix: str) -> "WalletOperationForm":
        """An empty form with a fresh key, whatever the current request posted."""
        form = cls(formdata=None, prefix=prefix)
        form.idempotency_key.data = _new_key()
        return form

    def renew_key(self, reason) -> None:
        """A fresh key, so the re-rendered form can be sent again, and why it was needed."""
        self.idempotency_key.data = _new_key()
        self.form_errors.append(reason)

    def show_refusal(self, error) -> None:
        """The ledger's refusal on this form; a refused request key is replaced by a fresh one."""
        if error.field == "idempotency_key":
            self.renew_key(error.message)
        else:
            apply_refusal(self, error)

    def renew_key_if_invalid(self) -> None:
        """A missing or forged key is replaced."""
        if self.idempotency_key.errors:
            self.renew_key(_l("This form had expired. Check the values and send it again."))


class PlatformSettingsForm(FlaskForm):
    low_balance_threshold = WholeNumberField(
        _l("Default low-balance threshold (credits)"),
        validators=[InputRequired()], maximum=MAX_AMOUNT,
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
        validators=[InputRequired()], maximum=MAX_AMOUNT,
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
            validators=[Optional()], maximum=MAX_AMOUNT,
        ))
    form = _Form(**kwargs)
    form.partner_ids = [partner.id for partner in partners]
    return form
