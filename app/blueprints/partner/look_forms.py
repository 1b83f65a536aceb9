"""The whitelabel partner admin's form for its own look."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from app.blueprints.brand_fields import BrandColourMixin, brand_colour_field, no_brand_colour_field
from app.services.tenancy.look import LOGO_MAX_BYTES


class LookForm(BrandColourMixin, FlaskForm):
    name = StringField(_l("Name shown to your students"), validators=[DataRequired(), Length(max=200)])
    brand_color = brand_colour_field()
    no_brand_color = no_brand_colour_field()
    logo = FileField(_l("New logo"), render_kw={"accept": "image/png,image/jpeg,image/webp"})
    remove_logo = BooleanField(_l("Remove the logo"))

    def logo_bytes(self) -> bytes | None:
        """The uploaded file's first bytes (one more than a logo may weigh, so a bigger one is refused)."""
        upload = self.logo.data
        if upload is None or not getattr(upload, "filename", ""):
            return None
        return upload.stream.read(LOGO_MAX_BYTES + 1)
