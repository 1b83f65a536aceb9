"""Form fields shared by every area: the whole number a person types into a form, and the select."""

from __future__ import annotations

import re

import wtforms
from flask_babel import format_decimal, gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import IntegerField
from wtforms.validators import StopValidation

# An optional sign and the ASCII digits 0-9, nothing else (no "1_000", "1e3", "0x10").
_WHOLE_NUMBER_RE = re.compile(r"[+-]?[0-9]+", re.ASCII)


class WholeNumberField(IntegerField):
    """A whole number from ``minimum`` to ``maximum``, typed with the digits 0 to 9.

    The field knows its bounds and checks them on the text, before it becomes
    an ``int``: a number longer than ``maximum`` is "at most N" (not a float
    comparison that overflows), and digits of other scripts ("２０", "٢٠"),
    which Python's ``int()`` would read as 20, are refused.

    Empty input leaves ``data`` None for the field's validators to judge
    (``InputRequired`` or ``Optional``). A refused value is kept in the
    re-rendered input so the person sees what they typed.
    """

    def __init__(self, label=None, validators=None, *, minimum: int = 0, maximum: int, **kwargs):
        render_kw = {"inputmode": "numeric", "min": minimum, "max": maximum, "step": 1,
                     **(kwargs.pop("render_kw", None) or {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)
        self.minimum = minimum
        self.maximum = maximum

    def process_formdata(self, valuelist):
        self.data = None
        text = valuelist[0].strip() if valuelist else ""
        if not text:
            return
        if not _WHOLE_NUMBER_RE.fullmatch(text):
            if any(ch.isdigit() and not ch.isascii() for ch in text):
                raise ValueError(_l("Type the number with the digits 0 to 9."))
            raise ValueError(_l("Enter a whole number, e.g. 25."))
        digits = text.lstrip("+-").lstrip("0") or "0"
        negative = text.startswith("-") and digits != "0"
        # Compare lengths first: a 400-digit number is never turned into an int.
        if len(digits) > len(str(abs(self.minimum if negative else self.maximum))):
            raise ValueError(self._below() if negative else self._above())
        value = -int(digits) if negative else int(digits)
        if value > self.maximum:
            raise ValueError(self._above())
        if value < self.minimum:
            raise ValueError(self._below())
        self.data = value

    def _above(self) -> str:
        return _("Enter a whole number, at most %(n)s.", n=format_decimal(self.maximum))

    def _below(self) -> str:
        return _("Enter a whole number, %(n)s or more.", n=format_decimal(self.minimum))

    def pre_validate(self, form):
        # A value refused while reading it has said why once: its validators need not repeat it.
        if self.process_errors:
            raise StopValidation()


class _Select(wtforms.widgets.Select):
    """WTForms' ``<select>``, each plain option written by one f-string, to the byte what WTForms writes.

    WTForms formats every option's attributes through ``Markup.format`` (tens of microseconds an
    option); list filters and the enrol form's course list draw their options on every page and
    every enrolment's answer. An option with attributes of its own goes through WTForms.
    """

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        selected = "selected " if choice.selected else ""
        return Markup(f'<option {selected}value="{escape(value)}">{escape(choice.label or choice.value)}</option>')

    @classmethod
    def _dispatch_render_option(cls):
        return cls.render_option  # the current signature: no need to inspect it on every render


class SelectField(wtforms.SelectField):
    """``wtforms.SelectField`` drawn by the quicker widget above; every form's single select is one."""

    widget = _Select()
