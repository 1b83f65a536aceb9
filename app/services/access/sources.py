"""Where a grant comes from: a (kind, id) value that is unique across all grants."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from app.models import GrantSourceKind
from app.services import DomainError

SOURCE_ID_MAX = 100


class SourceInvalid(DomainError):
    pass


@dataclass(frozen=True)
class GrantSource:
    """One way in, e.g. ``GrantSource(GrantSourceKind.ORDER_LINE, line.id)``.

    ``id`` is the id of the row that caused the grant (an order line, an
    invoice seat) or, where there is no such row (a manual grant in the CRM),
    an idempotency key the form was rendered with. Granting the same source
    twice returns the first grant.
    """

    kind: GrantSourceKind
    id: str

    def __post_init__(self):
        kind = self.kind if isinstance(self.kind, GrantSourceKind) else None
        if kind is None:
            try:
                kind = GrantSourceKind(self.kind)
            except ValueError:
                raise SourceInvalid(_l("Unknown kind of grant source.")) from None
        object.__setattr__(self, "kind", kind)
        text = str(self.id).strip() if self.id is not None else ""
        if not text or len(text) > SOURCE_ID_MAX:
            raise SourceInvalid(_l("A grant source needs an id of at most %(n)s characters.", n=SOURCE_ID_MAX))
        object.__setattr__(self, "id", text)

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.id}"

    @classmethod
    def order_line(cls, line_id: int) -> "GrantSource":
        return cls(GrantSourceKind.ORDER_LINE, str(line_id))

    @classmethod
    def invoice_seat(cls, seat_id: int) -> "GrantSource":
        return cls(GrantSourceKind.INVOICE_SEAT, str(seat_id))

    @classmethod
    def manual(cls, key: str) -> "GrantSource":
        return cls(GrantSourceKind.MANUAL, key)

    @classmethod
    def partner_enrolment(cls, key: str | int) -> "GrantSource":
        return cls(GrantSourceKind.PARTNER_ENROLMENT, str(key))
