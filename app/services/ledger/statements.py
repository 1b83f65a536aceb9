"""Wallet statements: a wallet's history filtered for a page, or as typed rows for a download.

Read-only; the same filters serve the platform admin (any partner) and a
partner admin (its own wallet).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterator
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, raiseload, selectinload

from app.extensions import db
from app.models import Course, Enrolment, Partner, Reseller, User, Wallet, WalletEntry
from app.services.pagination import Keyset
from app.transactions import begin_read_only
from app.services.ledger import wallets

KIND_LABELS = wallets.KIND_LABELS

CSV_BATCH = 5000


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
    # A transfer's other side is rare: loaded by a second, small query only when the page has one
    # (a join of nine tables costs PostgreSQL more to plan than to run).
    counterpart = selectinload(WalletEntry.counterpart_wallet)
    return query.options(
        joinedload(WalletEntry.actor),
        joinedload(WalletEntry.enrolment).joinedload(Enrolment.user),
        joinedload(WalletEntry.enrolment).joinedload(Enrolment.course),
        counterpart.joinedload(Wallet.partner), counterpart.joinedload(Wallet.reseller),
        counterpart.joinedload(Wallet.user),
        raiseload("*"),
    )


# The history newest first, in keyset pages (index ix_wallet_entries_wallet_id_id, and _wallet_kind_id by kind).
NEWEST_FIRST = Keyset(WalletEntry.id, descending=True)


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


def statement_query(wallet: Wallet | None, filters: HistoryFilters = HistoryFilters(), *, where=()):
    """The statement's columns for ``wallet``'s entries matching ``filters`` (and ``where``), newest first.

    One SELECT of the statement's own columns (outer joins for the actor, the
    enrolment's student and course, the counterpart's owner), blanks already
    empty text: no ORM objects, so a million rows stream at the speed of the
    writer. PostgreSQL writes each time in the platform's zone itself.
    """
    base = history_query(wallet, filters)
    actor, student = sa.orm.aliased(User), sa.orm.aliased(User)
    other = sa.orm.aliased(Wallet)
    other_partner, other_reseller, other_user = sa.orm.aliased(Partner), sa.orm.aliased(Reseller), sa.orm.aliased(User)
    if _times_in_zone():
        moment = sa.func.timezone(current_app.config["BABEL_DEFAULT_TIMEZONE"], WalletEntry.created_at,
                                  type_=sa.DateTime())
    else:  # a plain timestamp: statement_rows makes it aware (UTC) itself, cheaper per row
        moment = sa.type_coerce(WalletEntry.created_at, sa.DateTime(timezone=True))
    return (
        sa.select(moment, WalletEntry.kind, WalletEntry.amount, WalletEntry.balance_after,
                  sa.func.coalesce(actor.email, ""), sa.func.coalesce(student.email, ""),
                  # The course, else the counterpart by name only: the kind says in words what the transfer was.
                  sa.func.coalesce(Course.title, other_partner.name, other_reseller.name, other_user.email, ""),
                  WalletEntry.note)
        .select_from(WalletEntry)
        .outerjoin(actor, actor.id == WalletEntry.actor_id)
        .outerjoin(Enrolment, Enrolment.id == WalletEntry.enrolment_id)
        .outerjoin(student, student.id == Enrolment.user_id)
        .outerjoin(Course, Course.id == Enrolment.course_id)
        .outerjoin(other, other.id == WalletEntry.counterpart_wallet_id)
        .outerjoin(other_partner, other_partner.id == other.partner_id)
        .outerjoin(other_reseller, other_reseller.id == other.reseller_id)
        .outerjoin(other_user, other_user.id == other.user_id)
        .where(base.whereclause if base.whereclause is not None else sa.true(), *where)
        .order_by(WalletEntry.id.desc())
    )


def _times_in_zone() -> bool:
    """Whether the database converts times to the platform's zone (PostgreSQL; SQLite knows no zones)."""
    return db.session.get_bind().dialect.name == "postgresql"


def statement_rows(query) -> Iterator[tuple]:
    """The statement's rows (the columns of ``statement_header``) from ``statement_query``, typed.

    Read with a server-side cursor in batches of ``CSV_BATCH``, when iterated,
    in a read-only transaction of its own: a streamed download reads them
    after the request's session is gone.
    """
    zone = platform_zone()
    in_zone = _times_in_zone()
    labels = {kind: str(label) for kind, label in KIND_LABELS.items()}
    begin_read_only()
    # Plain rows from the session's connection (no ORM loading), through a server-side cursor.
    result = db.session.connection().execute(query.execution_options(yield_per=CSV_BATCH, stream_results=True))
    try:
        for batch in result.partitions():
            for created_at, kind, amount, balance_after, by, student, subject, note in batch:
                if not in_zone:  # SQLite keeps UTC without its zone
                    created_at = created_at.replace(tzinfo=timezone.utc).astimezone(zone).replace(tzinfo=None)
                yield created_at, labels.get(kind, kind), amount, balance_after, by, student, subject, note
    finally:
        result.close()
