"""Partner reports (its enrolments, its wallet statement) and wallet statements, as typed rows for the writers.

Read-only. Rows come from the database in batches (``yield_per``) and leave
as they come, through ``exports.writers``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterator

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l, lazy_pgettext

from app.extensions import db
from app.transactions import begin_read_only
from app.models import (
    Certificate, Company, Course, Enrolment, EnrolmentStatus, Lesson, LessonProgress, Partner, User, Wallet, WalletEntry,
)
from app.models.base import MAX_ID
from app.services import DomainError, audit
from app.services.ledger import statements
from app.services.catalog.pricing import catalog_for
from app.services.tenancy.companies import companies_of
from app.services.ledger.statements import HistoryFilters
from app.services.exports.writers import ReportTooLarge, write_csv, write_xlsx  # noqa: F401  (the writers of these reports)

BATCH = 5000

# ``company_id`` meaning "students who belong to no company".
NO_COMPANY = 0

STATUS_LABELS = {
    EnrolmentStatus.ACTIVE.value: lazy_pgettext("enrolment status", "Active"),
    EnrolmentStatus.COMPLETED.value: lazy_pgettext("enrolment status", "Completed"),
    EnrolmentStatus.CANCELLED.value: lazy_pgettext("enrolment status", "Cancelled"),
}


@dataclass(frozen=True)
class EnrolmentReportFilters:
    """What the partner admin asked for.

    Dates are whole days in the platform's time zone, both inclusive (like
    ``statements.HistoryFilters``); ``company_id`` is one of the partner's
    companies or ``NO_COMPANY``; ``course_id`` a course of its catalog (or one it
    has enrolments in). ``None`` means "any".
    """

    date_from: date | None = None
    date_to: date | None = None
    company_id: int | None = None
    course_id: int | None = None

    def as_details(self) -> dict:
        """The filters as JSON-friendly values, for the audit log."""
        return {
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "company_id": self.company_id,
            "course_id": self.course_id,
        }


class ReportFiltersRefused(DomainError):
    """Filters that do not fit the partner; ``errors`` maps each field to why."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(str(message) for message in errors.values()))
        self.errors = errors


# --- what a partner may filter by ----------------------------------------------------


def report_companies(partner: Partner) -> list[Company]:
    return companies_of(partner)


def report_courses(partner: Partner) -> list[Course]:
    """The partner's catalog, plus courses it has enrolments in that are no longer shared with it."""
    courses = {course.id: course for course, _price in catalog_for(partner)}
    enrolled = db.session.execute(
        sa.select(Course).where(
            Course.id.in_(sa.select(Enrolment.course_id).where(Enrolment.partner_id == partner.id).distinct())
        )
    ).scalars()
    for course in enrolled:
        courses.setdefault(course.id, course)
    return sorted(courses.values(), key=lambda course: (course.title.lower(), course.id))


def check_filters(partner: Partner, filters: EnrolmentReportFilters) -> None:
    """Refuse filters that are inconsistent or name another partner's company or an unknown course."""
    errors: dict[str, str] = {}
    if filters.date_from and filters.date_to and filters.date_to < filters.date_from:
        errors["date_to"] = _l("The end date is before the start date.")
    if filters.company_id not in (None, NO_COMPANY):
        known = 0 < filters.company_id <= MAX_ID and db.session.execute(
            sa.select(Company.id).where(Company.id == filters.company_id, Company.partner_id == partner.id)
        ).first() is not None
        if not known:
            errors["company"] = _l("This company is not one of your client companies.")
    if filters.course_id is not None:
        if filters.course_id not in {course.id for course in report_courses(partner)}:
            errors["course"] = _l("This course is not in your catalog.")
    if errors:
        raise ReportFiltersRefused(errors)


def record_download(actor: User, partner: Partner, report: str, fmt: str,
                    filters: EnrolmentReportFilters) -> None:
    """Note in the audit log who downloaded which report with which filters (the caller commits)."""
    audit.record(actor, "report.downloaded", partner, partner_id=partner.id, report=report, format=fmt,
                 **filters.as_details())


# --- the enrolment report ------------------------------------------------------------


def enrolment_header() -> list[str]:
    return [
        str(_l("Student")),
        str(_l("Email")),
        str(_l("Company")),
        str(_l("Course")),
        str(_l("Enrolment date")),
        str(_l("Status")),
        str(_l("Credits charged")),
        str(_l("Lessons done")),
        str(_l("Lessons total")),
        str(_l("Progress %")),
        str(_l("Completed on")),
        str(_l("Certificate code")),
    ]


ENROLMENT_WIDTHS = (24, 32, 24, 32, 14, 12, 10, 10, 10, 10, 14, 18)


def enrolment_query(partner: Partner, filters: EnrolmentReportFilters = EnrolmentReportFilters()):
    """One SELECT for the whole report: joins plus two aggregates, oldest enrolment first."""
    done = (
        sa.select(LessonProgress.enrolment_id, sa.func.count().label("done"))
        .join(Enrolment, Enrolment.id == LessonProgress.enrolment_id)
        .where(Enrolment.partner_id == partner.id)
        .group_by(LessonProgress.enrolment_id)
        .subquery("done")
    )
    total = (
        sa.select(Lesson.course_id, sa.func.count().label("total"))
        .group_by(Lesson.course_id)
        .subquery("total")
    )
    query = (
        sa.select(
            User.name, User.email, Company.name, Course.title, Enrolment.created_at, Enrolment.status,
            Enrolment.credits_charged, sa.func.coalesce(done.c.done, 0), sa.func.coalesce(total.c.total, 0),
            Enrolment.completed_at, Certificate.code,
        )
        .select_from(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .join(Course, Course.id == Enrolment.course_id)
        # Only the partner's own companies: another partner's name can never show.
        .outerjoin(Company, sa.and_(Company.id == User.company_id, Company.partner_id == partner.id))
        .outerjoin(done, done.c.enrolment_id == Enrolment.id)
        .outerjoin(total, total.c.course_id == Enrolment.course_id)
        .outerjoin(Certificate, Certificate.enrolment_id == Enrolment.id)
        .where(Enrolment.partner_id == partner.id)
        .order_by(Enrolment.created_at, Enrolment.id)
    )
    if filters.date_from:
        query = query.where(Enrolment.created_at >= statements.start_of_day(filters.date_from))
    if filters.date_to:
        query = query.where(Enrolment.created_at < _end_of_day(filters.date_to))
    if filters.company_id == NO_COMPANY:
        query = query.where(User.company_id.is_(None))
    elif filters.company_id is not None:
        query = query.where(User.company_id == filters.company_id)
    if filters.course_id is not None:
        query = query.where(Enrolment.course_id == filters.course_id)
    return query


def progress_percent(done: int, total: int, status: str) -> int:
    """Whole percent of lessons done, rounded down (100 only when all are done)."""
    if total <= 0:
        return 100 if status == EnrolmentStatus.COMPLETED else 0
    return min(100, done * 100 // total)


def enrolment_rows(partner: Partner,
                   filters: EnrolmentReportFilters = EnrolmentReportFilters()) -> Iterator[tuple]:
    """The partner's enrolments (every status) as typed rows, read in batches of ``BATCH``.

    The query is built now and run when the rows are first asked for: a streamed
    response reads them after the request's session is gone (and ``partner`` with it).
    """
    return _enrolment_rows(enrolment_query(partner, filters), statements.platform_zone(),
                           {status: str(label) for status, label in STATUS_LABELS.items()})


def _enrolment_rows(query, zone, labels: dict[str, str]) -> Iterator[tuple]:
    begin_read_only()
    # Plain rows from the session's connection (no ORM loading), through a server-side cursor.
    result = db.session.connection().execute(query.execution_options(yield_per=BATCH, stream_results=True))
    try:
        for batch in result.partitions():
            for (name, email, company, course, created_at, status, credits, done, total,
                 completed_at, code) in batch:
                yield (
                    name or "",
                    email,
                    company or "",
                    course,
                    created_at.astimezone(zone).date(),
                    labels.get(status, status),
                    credits,
                    done,
                    total,
                    progress_percent(done, total, status),
                    completed_at.astimezone(zone).date() if completed_at else None,
                    code or "",
                )
    finally:
        result.close()  # also when the client went away mid-download


# --- the wallet statement ----------------------------------------------------------


def wallet_header() -> list[str]:
    return statements.statement_header()


WALLET_WIDTHS = (20, 18, 10, 12, 28, 30, 30, 40)


def wallet_query(partner: Partner, filters: EnrolmentReportFilters = EnrolmentReportFilters()):
    """The partner's wallet entries in the date range, newest first, as on the statement.

    A company or course filter keeps only the entries about an enrolment of
    that company's students or of that course.
    """
    history = HistoryFilters(date_from=filters.date_from, date_to=filters.date_to)
    if filters.company_id is None and filters.course_id is None:
        return statements.statement_query(partner.wallet, history)
    about = sa.select(Enrolment.id).where(Enrolment.partner_id == partner.id)
    if filters.course_id is not None:
        about = about.where(Enrolment.course_id == filters.course_id)
    if filters.company_id is not None:
        about = about.join(User, User.id == Enrolment.user_id).where(
            User.company_id.is_(None) if filters.company_id == NO_COMPANY
            else User.company_id == filters.company_id
        )
    return statements.statement_query(partner.wallet, history, where=[WalletEntry.enrolment_id.in_(about)])


def wallet_rows(partner: Partner,
                filters: EnrolmentReportFilters = EnrolmentReportFilters()) -> Iterator[tuple]:
    """The statement's rows (the columns of ``statements.statement_header``), typed, read in batches.

    Like ``enrolment_rows``: the query is built now, run when iterated.
    """
    return statements.statement_rows(wallet_query(partner, filters))


def statement_csv(wallet: Wallet | None, filters: HistoryFilters = HistoryFilters()) -> Iterator[str]:
    """A wallet's statement (platform or partner wallet page) as CSV chunks, streamed."""
    return write_csv(statements.statement_rows(statements.statement_query(wallet, filters)),
                     statements.statement_header())


def _end_of_day(day: date) -> datetime:
    """Midnight after ``day`` in the platform's time zone: the exclusive end of an inclusive range."""
    return statements.start_of_day(day + timedelta(days=1))
