"""What a name typed for a person or an organisation may contain: no invisible text-direction controls.

Bidirectional control characters (the embeddings and overrides U+202A-U+202E,
the isolates U+2066-U+2069, the marks U+200E, U+200F and U+061C) change how
the text around them is laid out without showing themselves:
"Mario<U+202E>exe.pdf" reads as "Mariofdp.exe". A name is shown in lists,
emails, reports and certificates, so such a name is refused wherever one is
entered (students, users, partners, companies and their contacts, CSV
imports). Letters of every script, including right-to-left ones, and the
joiners some scripts need (U+200C, U+200D) are welcome.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.services import DomainError

BIDI_CONTROLS = frozenset(
    "\u061c"  # ARABIC LETTER MARK
    "\u200e\u200f"  # LEFT-TO-RIGHT / RIGHT-TO-LEFT MARK
    "\u202a\u202b\u202c\u202d\u202e"  # embeddings, pop, overrides
    "\u2066\u2067\u2068\u2069"  # isolates
)


class InvalidName(DomainError):
    pass


def has_bidi_controls(value: str | None) -> bool:
    return bool(value) and not BIDI_CONTROLS.isdisjoint(value)


def check_name(value: str | None, field: str = "name") -> None:
    """Raise ``InvalidName`` (on ``field``) if ``value`` carries a bidi control character."""
    if has_bidi_controls(value):
        raise InvalidName(
            _l("A name cannot contain invisible text-direction characters (such as U+202E). "
               "Type it again without them."),
            field=field,
        )
