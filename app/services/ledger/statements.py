"""Wallet statements: a wallet's history filtered for a page, or as typed rows for a download.

Read-only; the same filters serve the platform admin (any partner) and a
partner admin (its own wallet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Iterator
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Enrolment, Wallet, WalletEntry
from app.transactions import begin_read_only
from app.services.ledger import wallets

KIND_LABELS = wallets.KIND_LABELS

CSV_BATCH = 500


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


@dataclass(frozen=True)
class HistoryFilters:
    """What the reader asked for: a kind and whole days in the platform's time zone (inclusive)."""

    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def platform_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def start_of_day(day: date) -> datetime:
    """Midnight of ``day`` in the platform's time zone, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=platform_zone())


def history_query(wallet: Wallet | None, filters: HistoryFilters = HistoryFilters()):
    """Entries of ``wallet`` matching ``filters``, newest first, with what each row shows loaded."""
    if wallet is None:
        # No wallet yet: no entries either.
        query = sa.select(WalletEntry).where(sa.false())
    else:
        query = wallets.history_query(
            wallet,
            kind=filters.kind or None,
            since=start_of_day(filters.date_from) if filters.date_from else None,
            until=start_of_day(filters.date_to + timedelta(days=1)) if filters.date_to else None,
        )
    return query.options(
        joinedload(WalletEntry.actor),
        joinedload(WalletEntry.enrolment).joinedload(Enrolment.user),
        joinedload(WalletEntry.enrolment).joinedload(Enrolment.course),
        joinedload(WalletEntry.counterpart_wallet),
    )


@dataclass(frozen=True)
class Reference:
    """What an entry is about, beyond its note."""

    student: str = ""
    course: str = ""
    counterpart: str = ""

    def __str__(self) -> str:
        return " — ".join(part for part in (self.student, self.course, self.counterpart) if part)


def reference_of(entry: WalletEntry) -> Reference:
    if entry.enrolment is not None:
        return Reference(student=entry.enrolment.user.email, course=entry.enrolment.course.title)
    if entry.counterpart_wallet is not None:
        return Reference(counterpart=counterpart_name(entry.counterpart_wallet))
    return Reference()


def counterpart_name(wallet: Wallet) -> str:
    """Whose the other wallet of a transfer is, by name only (data, in no language): the entry's kind
    says in words what the transfer was ("Credit recovered by the reseller")."""
    if wallet.partner is not None:
        return wallet.partner.name
    if wallet.reseller is not None:
        return wallet.reseller.name
    return wallet.user.email if wallet.user is not None else ""


# --- the statement as rows -----------------------------------------------------


def statement_header() -> list[str]:
    return [
        str(_l("Time (%(zone)s)", zone=current_app.config["BABEL_DEFAULT_TIMEZONE"])),
        str(_l("Kind")),
        str(_l("Amount")),
        str(_l("Balance after")),
        str(_l("By")),
        str(_l("Student")),
        str(_l("Course")),
        str(_l("Note")),
    ]


def statement_rows(query) -> Iterator[tuple]:
    """The statement's rows (the columns of ``statement_header``), typed, read in batches.

    Run when iterated, in a read-only transaction of its own: a streamed
    download reads them after the request's session is gone.
    """
    zone = platform_zone()
    begin_read_only()
    result = db.session.execute(query.execution_options(yield_per=CSV_BATCH)).scalars()
    try:
        for entry in result:
            reference = reference_of(entry)
            yield (
                entry.created_at.astimezone(zone).replace(tzinfo=None),
                kind_label(entry.kind),
                entry.amount,
                entry.balance_after,
                entry.actor.email if entry.actor else "",
                reference.student,
                reference.course or reference.counterpart,
                entry.note or "",
            )
    finally:
        result.close()
