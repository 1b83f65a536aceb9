"""A whitelabel partner's look as its own admin edits it: the name, the brand colour and an uploaded logo.

The logo is checked by what the file is, not by its name or the browser's word: its first bytes
must be those of a PNG, a JPEG or a WebP image (SVG, which can carry script, is refused), and it
may weigh at most ``LOGO_MAX_BYTES``. It is kept in the database (``PartnerLogo``), never under
the web root, and served by app.branding with its own content type. ``partner.logo_version``
(from the image's hash) is part of its URL, so a new logo shows at once and an old one may be
cached for long.
"""

from __future__ import annotations

import hashlib

from flask_babel import format_decimal, lazy_gettext as _l

from app.extensions import db
from app.models import Partner, PartnerLogo, User
from app.models.base import utcnow
from app.services import DomainError, audit
from app.services.tenancy.partners import update_partner

LOGO_MAX_BYTES = 512 * 1024

# What a logo may be: (first bytes, content type, file extension).
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


class LookRefused(DomainError):
    """A change of look that cannot be made; names its field."""


def logo_content_type(data: bytes) -> str | None:
    """``image/png``, ``image/jpeg`` or ``image/webp`` when ``data`` starts as one; else None."""
    for signature, content_type, _ext in _SIGNATURES:
        if data.startswith(signature):
            return content_type
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _check_logo(data: bytes) -> str:
    if not data:
        raise LookRefused(_l("The file is empty."), field="logo")
    if len(data) > LOGO_MAX_BYTES:
        raise LookRefused(_l("The logo may weigh at most %(kb)s KB.", kb=format_decimal(LOGO_MAX_BYTES // 1024)),
                          field="logo")
    content_type = logo_content_type(data)
    if content_type is None:
        head = data[:512].lstrip().lower()
        if head.startswith((b"<svg", b"<?xml")) or b"<svg" in head:
            raise LookRefused(_l("SVG logos are not accepted (they can carry scripts): use PNG, JPEG or WebP."),
                              field="logo")
        raise LookRefused(_l("This file is not a PNG, JPEG or WebP image."), field="logo")
    return content_type


def update_look(actor: User, partner: Partner, *, name: str, brand_color: str | None,
                logo: bytes | None = None, remove_logo: bool = False) -> Partner:
    """Change the partner's name, colour and logo together (nothing changes when one is refused).

    Only a whitelabel partner has a look of its own; the domain, kind and the rest stay as the
    platform set them.
    """
    if not partner.is_whitelabel:
        raise LookRefused(_l("Only a whitelabel partner has a look of its own."))
    content_type = _check_logo(logo) if logo is not None else None
    update_partner(actor, partner, name=name, kind=partner.kind, domain=partner.domain, brand_color=brand_color,
                   logo_url=partner.logo_url, low_balance_threshold=partner.low_balance_threshold)
    if content_type is not None:
        _store_logo(actor, partner, logo, content_type)
    elif remove_logo and partner.logo_version is not None:
        db.session.delete(db.session.get(PartnerLogo, partner.id))
        partner.logo_version = None
        db.session.flush()
        audit.record(actor, "partner.logo_removed", partner, partner_id=partner.id)
    return partner


def _store_logo(actor: User, partner: Partner, data: bytes, content_type: str) -> None:
    version = hashlib.sha256(data).hexdigest()[:16]
    stored = db.session.get(PartnerLogo, partner.id)
    if stored is None:
        stored = PartnerLogo(partner_id=partner.id)
        db.session.add(stored)
    stored.content_type, stored.data, stored.updated_at = content_type, data, utcnow()
    partner.logo_version = version
    db.session.flush()
    audit.record(actor, "partner.logo_changed", partner, partner_id=partner.id, content_type=content_type,
                 size=len(data))


def logo_of(partner_id: int) -> PartnerLogo | None:
    """The partner's uploaded logo, or None."""
    return db.session.get(PartnerLogo, partner_id)
