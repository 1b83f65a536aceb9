"""Forms of the CRM: "+ Product", removing an access, and editing one participant's order."""

from __future__ import annotations

import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import UUID, DataRequired, Length

from app.blueprints.fields import SelectField, WholeNumberField
from app.blueprints.platform.catalog_forms import LESSONS_MAX, REVIEW_LABELS
from app.blueprints.wallet_history import DayField
from app.models import Product
from app.models.base import parse_id
from app.services.access.settings import REASON_MAX
from app.services.crm.orders import OrderSheet, OrderValues, current_values
from app.services.crm.plans import StartChoice

# Days a delay field reads (about 27 years either way): beyond, a number is not a delay.
DELAY_BOUND = 10_000


def _reason_field(label=_l("Reason")):
    return StringField(label, validators=[Length(max=REASON_MAX)], filters=[lambda v: v.strip() if v else v],
                       render_kw={"maxlength": REASON_MAX})


class AddProductForm(FlaskForm):
    """"+ Product": the product, one of its offers, the start date, why; the key makes a double submit grant once."""

    product = SelectField(_l("Product"), coerce=parse_id, validate_choice=False)
    offer = SelectField(_l("Offer"), coerce=parse_id, validate_choice=False)
    start = RadioField(_l("Start date"), default=StartChoice.KEEP.value, choices=[
        SelectChoice(StartChoice.KEEP.value, _l("Keep the current one")),
        SelectChoice(StartChoice.TODAY.value, _l("Start today")),
    ])
    reason = _reason_field()
    key = HiddenField(validators=[DataRequired(), UUID()])

    def fill(self, products: list[Product], chosen: Product | None) -> "AddProductForm":
        """Choices: every product with offers; the chosen product's offers, or all of them by product."""
        self.product.choices = [SelectChoice("", _l("Choose a product…"))] + [
            SelectChoice(p.id, p.name) for p in products]
        if chosen is not None:
            self.offer.choices = [SelectChoice(o.id, o.name) for o in chosen.offers]
        else:
            self.offer.choices = {p.name: [SelectChoice(o.id, o.name) for o in p.offers] for p in products}
        if not self.key.data:
            self.renew_key()
        return self

    def renew_key(self) -> None:
        """A fresh key: after a refusal nothing was granted, so the form may be sent again as new."""
        self.key.data = str(uuid.uuid4())

    def values(self) -> dict:
        return dict(product_id=self.product.data, offer_id=self.offer.data, start=StartChoice(self.start.data),
                    key=self.key.data, reason=self.reason.data or "")


class RemoveAccessForm(FlaskForm):
    reason = _reason_field()


class EditOrderForm(FlaskForm):
    """The participant's settings; one release field per lesson position is added by ``order_form``."""

    offer = SelectField(_l("Offer"), coerce=parse_id, validate_choice=False)
    lessons_available = WholeNumberField(_l("Lessons available"), maximum=LESSONS_MAX)
    remove_delays = BooleanField(_l("Remove all delays"))
    review_method = SelectField(_l("Homework review"), validate_choice=False,
                                choices=[SelectChoice(k, v) for k, v in REVIEW_LABELS.items()])
    checkpoints = BooleanField(_l("Checkpoints on"))
    reset = SelectMultipleField(_l("Reset to offer"), validate_choice=False)
    reason = _reason_field()
    preview = SubmitField(_l("Preview"))

    release_fields: list[str] = []

    def release(self, name: str):
        return self[name]

    def values(self) -> OrderValues:
        releases = {int(name.split(":", 1)[1]): self[name].data for name in self.release_fields}
        return OrderValues(
            offer_id=self.offer.data, lessons_available=self.lessons_available.data, releases=releases,
            remove_delays=bool(self.remove_delays.data), review_method=self.review_method.data or "",
            checkpoints=bool(self.checkpoints.data), resets=frozenset(self.reset.data or ()),
        )


def order_form(sheet: OrderSheet, formdata=None) -> EditOrderForm:
    """The edit-order form for ``sheet``: a delay or a date per lesson (the schedule's mode), filled with now."""

    class _Form(EditOrderForm):
        pass

    for line in sheet.lessons:
        label = _l("Lesson %(n)s opens", n=line.position)
        # The field only reads a whole number; the access service says what a delay may be, in its words.
        setattr(_Form, line.field, DayField(label) if sheet.uses_dates else WholeNumberField(
            label, minimum=-DELAY_BOUND, maximum=DELAY_BOUND))
    now = current_values(sheet)
    data = {"offer": now.offer_id, "lessons_available": now.lessons_available, "remove_delays": now.remove_delays,
            "review_method": now.review_method, "checkpoints": now.checkpoints, "reset": []}
    data.update({line.field: now.releases[line.position] for line in sheet.lessons})
    form = _Form(formdata=formdata, data=data)
    form.release_fields = [line.field for line in sheet.lessons]
    form.offer.choices = [SelectChoice(o.id, o.name) for o in sheet.offers]
    return form
