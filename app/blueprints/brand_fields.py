"""The brand colour fields shared by the platform's partner form and the partner's own look."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, ColorField
from wtforms.validators import Optional, Regexp

# What the colour picker shows while a partner has no colour of its own (Bootstrap's blue).
DEFAULT_PICKER_COLOUR = "#0d6efd"


def brand_colour_field():
    """A colour picker (<input type="color">); the server checks #rrggbb all the same."""
    return ColorField(_l("Brand colour"), validators=[Optional(), Regexp(
        r"^#[0-9a-fA-F]{6}$", message=_l("Enter the colour as # and six hex digits, e.g. #1a6fb0."))])


def no_brand_colour_field():
    return BooleanField(_l("No colour of its own (the platform's colours)"))


class BrandColourMixin:
    """A form with ``brand_color`` (a picker, which always holds some colour) and ``no_brand_color``:
    the box is how a person says "none"."""

    def show_colour(self, colour: str | None) -> None:
        """Fill both fields from the stored colour (a form shown, not one submitted)."""
        self.no_brand_color.data = not colour
        self.brand_color.data = colour or DEFAULT_PICKER_COLOUR

    def colour_value(self) -> str | None:
        if self.no_brand_color.data:
            return None
        return self.brand_color.data or None
