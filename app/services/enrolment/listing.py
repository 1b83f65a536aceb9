"""A partner's enrolments as lists (the enrolments page, participants): filters, keyset pages, what each row shows.

Read-only. Pages come from ``app.services.pagination`` (newest first, no COUNT), with
each row's student, course (and for participants certificate, lessons done and total)
loaded in a constant number of statements; any other lazy load raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, raiseload, selectinload

from app.extensions import db
from app.models import Enrolment, EnrolmentStatus, Lesson, Partner, User
from app.services.enrolment.progress import lessons_done_counts
from app.services.pagination import Keyset, Page
from app.services.people.students import matching_name_or_email

# What a partner's enrolment can be (a partner's own are never "ended": see access.participation).
PARTNER_STATUSES = (EnrolmentStatus.ACTIVE.value, EnrolmentStatus.COMPLETED.value, EnrolmentStatus.CANCELLED.value)
NEWEST_FIRST = Keyset(Enrolment.id, descending=True)


@dataclass(frozen=True)
class EnrolmentFilters:
    """What the reader narrows a list to; empty means any. Start dates are inclusive days."""

    text: str = ""  # the student's name or email contains it
    course_id: int | None = None
    status: str | None = None
    student_id: int | None = None
    started_from: date | None = None
    started_to: date | None = None

    @property
    def any(self) -> bool:
        return bool(self.text.strip() or self.course_id or self.status or self.student_id
                    or self.started_from or self.started_to)


def partner_enrolments_query(partner: Partner, filters: EnrolmentFilters = EnrolmentFilters()):
    """The partner's paid enrolments matching ``filters`` (unordered: the keyset orders them)."""
    query = sa.select(Enrolment).where(Enrolment.partner_id == partner.id)
    if filters.status in PARTNER_STATUSES:
        query = query.where(Enrolment.status == filters.status)
    if filters.course_id is not None:
        query = query.where(Enrolment.course_id == filters.course_id)
    if filters.student_id is not None:
        query = query.where(Enrolment.user_id == filters.student_id)
    if filters.started_from is not None:
        query = query.where(Enrolment.start_date >= filters.started_from)
    if filters.started_to is not None:
        query = query.where(Enrolment.start_date <= filters.started_to)
    condition = matching_name_or_email(filters.text)
    if condition is not None:
        query = query.where(Enrolment.user_id.in_(
            sa.select(User.id).where(User.partner_id == partner.id, condition)))
    return query


def _with_rows_loaded(query):
    return query.options(joinedload(Enrolment.user), joinedload(Enrolment.course), raiseload("*"))


def page_of_enrolments(partner: Partner, filters: EnrolmentFilters = EnrolmentFilters(), *, per_page: int,
                       after: str | None = None, before: str | None = None) -> Page:
    """A page of the partner's enrolments, newest first, each with its student and course."""
    return NEWEST_FIRST.page(_with_rows_loaded(partner_enrolments_query(partner, filters)),
                             per_page=per_page, after=after, before=before)


@dataclass(frozen=True)
class Participant:
    """One row of the participants list."""

    enrolment: Enrolment
    done: int  # lessons done
    total: int  # lessons in the course


def page_of_participants(partner: Partner, filters: EnrolmentFilters = EnrolmentFilters(), *, per_page: int,
                         after: str | None = None, before: str | None = None) -> Page:
    """A page of the partner's enrolments with progress: items are ``Participant`` rows (four statements)."""
    query = _with_rows_loaded(partner_enrolments_query(partner, filters)).options(
        selectinload(Enrolment.certificate))
    page = NEWEST_FIRST.page(query, per_page=per_page, after=after, before=before)
    done = lessons_done_counts([e.id for e in page.items])
    totals = lesson_totals({e.course_id for e in page.items})
    page.items = [Participant(e, done.get(e.id, 0), totals.get(e.course_id, 0)) for e in page.items]
    return page


def lesson_totals(course_ids: set[int]) -> dict[int, int]:
    """Lessons per course (one statement)."""
    if not course_ids:
        return {}
    return dict(db.session.execute(
        sa.select(Lesson.course_id, sa.func.count(Lesson.id)).where(Lesson.course_id.in_(course_ids))
        .group_by(Lesson.course_id)
    ).all())
