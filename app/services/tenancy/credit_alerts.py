"""Emails about a partner's credits: not enough to enrol (at most one an hour), balance below its threshold."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.models import Course, Partner, WalletEntry
from app.models.base import utcnow
from app.extensions import db
from app.services.ledger.wallets import InsufficientCredits
from app.services.outbox.email import queue_email
from app.services.people.users import partner_admins, platform_admins
from app.services.tenancy.settings import low_balance_threshold

ALERT_INTERVAL = timedelta(hours=1)


def told_message(told: bool) -> str:
    """What a refused partner reads about the alert: just sent, or already sent within the hour."""
    if told:
        return str(_l("The platform administrators have been told; ask them to recharge your wallet."))
    return str(_l("The platform administrators were already told within the last hour; "
                  "ask them to recharge your wallet."))


def notify_insufficient_credits(partner: Partner, course: Course, error: InsufficientCredits) -> bool:
    """Tell the platform and the partner's admins, at most once an hour per partner.

    The claim is one conditional UPDATE, so two refused requests at the same
    moment send one alert. Returns whether an alert was queued.
    """
    now = utcnow()
    table = Partner.__table__
    claimed = db.session.execute(
        sa.update(table)
        .where(table.c.id == partner.id)
        .where(sa.or_(table.c.last_credit_alert_at.is_(None), table.c.last_credit_alert_at < now - ALERT_INTERVAL))
        .values(last_credit_alert_at=now)
    ).rowcount
    if claimed != 1:
        return False
    context = dict(partner=partner, course=course, needed=error.needed, available=error.available,
                   missing=error.missing, platform_name=current_app.config["PLATFORM_NAME"])
    for user in platform_admins() + partner_admins(partner, active_only=True):
        queue_email("insufficient_credits", user,
                    _l("%(partner)s: not enough credits to enrol in %(course)s",
                      partner=partner.name, course=course.title), **context)
    return True


def warn_if_low_balance(partner: Partner, entry: WalletEntry) -> None:
    """One warning per downward crossing of the threshold (exact: the entry knows both sides)."""
    warn_if_balance_crossed(partner, entry.balance_after - entry.amount, entry.balance_after)


def warn_if_balance_crossed(partner: Partner, before: int, after: int, *, threshold: int | None = None) -> None:
    """Warn the partner's admins if the balance went from at/above the threshold to below it.

    A bulk enrolment calls it once with the balance before and after the
    whole batch, so many debits crossing once send one warning. ``threshold``:
    the partner's, read by a caller before it locked the wallet (None: read now).
    """
    if threshold is None:
        threshold = low_balance_threshold(partner)
    if before >= threshold > after:
        for user in partner_admins(partner, active_only=True):
            queue_email("low_balance", user, _l("%(partner)s: credit balance is low", partner=partner.name),
                        partner=partner, balance=after, threshold=threshold,
                        platform_name=current_app.config["PLATFORM_NAME"])
