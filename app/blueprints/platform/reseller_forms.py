"""Forms of the platform's reseller pages: the reseller, its users, what it may sell."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.blueprints.fields import WholeNumberField
from app.services.ledger.wallets import MAX_AMOUNT


class ResellerForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])


class ResellerSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name"), validators=[Optional(), Length(max=200)], render_kw={"type": "search"})


class ResellerOffersForm(FlaskForm):
    """Per offer: "may sell" and an optional price in credits (its customers may then pay with credit)."""

    offer_ids: list[int] = []

    def sell_field(self, offer_id):
        return self[f"sell_{offer_id}"]

    def credits_field(self, offer_id):
        return self[f"credits_{offer_id}"]

    def validate(self, extra_validators=None) -> bool:
        """A price for an offer not ticked would be dropped without a word: refuse it on its field."""
        valid = super().validate(extra_validators)
        for offer_id in self.offer_ids:
            price = self.credits_field(offer_id)
            if price.data is not None and not price.errors and not self.sell_field(offer_id).data:
                price.errors = [*price.errors, _l("Tick the offer to sell it at this price, or clear the price.")]
                valid = False
        return valid

    def chosen(self) -> dict[int, int | None]:
        return {oid: self.credits_field(oid).data for oid in self.offer_ids if self.sell_field(oid).data}


def reseller_offers_form(offers, prices: dict[int, int | None], **kwargs) -> ResellerOffersForm:
    class _Form(ResellerOffersForm):
        pass

    for offer in offers:
        label = f"{offer.product.name} — {offer.name}"
        setattr(_Form, f"sell_{offer.id}", BooleanField(label, default=offer.id in prices))
        setattr(_Form, f"credits_{offer.id}", WholeNumberField(
            _l("Price in credits for %(offer)s", offer=label), default=prices.get(offer.id),
            validators=[Optional()], minimum=1, maximum=MAX_AMOUNT))
    form = _Form(**kwargs)
    form.offer_ids = [offer.id for offer in offers]
    return form
