"""Platform-wide settings (one row) and what they decide: low-balance threshold, refund on cancel, seats on reversal."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import Partner, PlatformSettings, SeatsOnReversal, User
from app.services import DomainError, audit


def settings() -> PlatformSettings:
    row = db.session.execute(db.select(PlatformSettings).limit(1)).scalar_one_or_none()
    if row is None:
        row = PlatformSettings(low_balance_threshold=10, refund_on_cancel=True)
        db.session.add(row)
        db.session.flush()
    return row


def low_balance_threshold(partner: Partner) -> int:
    if partner.low_balance_threshold is not None:
        return partner.low_balance_threshold
    return settings().low_balance_threshold


def update_platform_settings(actor: User, *, low_balance_threshold: int, refund_on_cancel: bool,
                             seats_on_reversal: str | None = None) -> PlatformSettings:
    """The default low-balance threshold, whether a cancelled enrolment is refunded, and whether a payment
    reversal that leaves an invoice unpaid keeps or revokes the seats full payment released (None: unchanged)."""
    if not isinstance(low_balance_threshold, int) or low_balance_threshold < 0:
        raise DomainError(str(_l("The threshold must be a whole number, 0 or more.")))
    if seats_on_reversal is not None and seats_on_reversal not in SeatsOnReversal.values():
        raise DomainError(_l("Choose whether released seats are kept or revoked."), field="seats_on_reversal")
    row = settings()
    changes = {}
    if seats_on_reversal is not None and row.seats_on_reversal != seats_on_reversal:
        changes["seats_on_reversal"] = [row.seats_on_reversal, seats_on_reversal]
        row.seats_on_reversal = seats_on_reversal
    if row.low_balance_threshold != low_balance_threshold:
        changes["low_balance_threshold"] = [row.low_balance_threshold, low_balance_threshold]
    if bool(row.refund_on_cancel) != bool(refund_on_cancel):
        changes["refund_on_cancel"] = [bool(row.refund_on_cancel), bool(refund_on_cancel)]
    row.low_balance_threshold = low_balance_threshold
    row.refund_on_cancel = bool(refund_on_cancel)
    db.session.flush()
    if changes:
        audit.record(actor, "settings.updated", row, changes=changes)
    return row
