"""MoneyField: an amount of money typed with the reader's separators, kept as integer cents.

``1.234,56`` in Italian and Portuguese, ``1,234.56`` in English; the currency's symbol may be
typed too. Full-width or other non-ASCII digits, negative amounts and more than two decimals
are refused with a message in the reader's language (``app.i18n.parse_money``). For prices,
invoice lines and payments::

    price = MoneyField(_l("Price"), validators=[InputRequired()])
    ...
    form.price.data  # 123456 (cents), or None when left empty
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import format_decimal
from wtforms import StringField

from app.i18n import MAX_MONEY_CENTS, MoneyInputError, parse_money


class MoneyField(StringField):
    def __init__(self, label=None, validators=None, *, max_cents: int = MAX_MONEY_CENTS, **kwargs):
        render_kw = {"inputmode": "decimal", "autocomplete": "off", **(kwargs.pop("render_kw", None) or {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)
        self.max_cents = max_cents
        self.raw_text: str | None = None

    def process_formdata(self, valuelist):
        self.raw_text = valuelist[0] if valuelist else ""
        self.data = None
        if not self.raw_text.strip():
            return
        try:
            self.data = parse_money(self.raw_text, max_cents=self.max_cents)
        except MoneyInputError as error:
            raise ValueError(error.args[0]) from None

    def _value(self) -> str:
        if self.raw_text is not None:  # what was typed comes back as typed, errors and all
            return self.raw_text
        if self.data is None:
            return ""
        return format_decimal(Decimal(self.data) / 100, "#,##0.00")
