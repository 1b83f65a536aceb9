"""THE lesson-state resolver: the only place that decides whether a participant may open a lesson.

``lesson_states(enrolment, today)`` answers, for each lesson of the course in
order, one of:

- DONE: the participant completed it. A lesson done never locks again
  (lowering the lessons available or adding a delay does not take it back).
- BEYOND: its position is past the lessons available to the participant.
- LOCKED: checkpoints are on and an earlier checkpoint lesson is not done
  (``locked_by`` names the first such checkpoint).
- SCHEDULED: its release day (``opens_on``) is after ``today``.
- OPEN: none of the above.

in that order of precedence. Release days are whole days in the platform's
time zone (``participation.today()``): delays count from the governing
grant's start date; "remove all delays" opens every lesson within the lessons
available. The settings are those of the newest active grant holding the
enrolment (``effective_settings``), or, for an enrolment only a partner paid
for, ``PARTNER_ENROLMENT_SETTINGS``. Every page, URL guard, preview and email
asks this module; a preview passes an unsaved ``grant`` (and enrolment), or
unsaved settings of a saved grant (``preview_states``, the CRM's order edit).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.models import PARTICIPATING, Enrolment, Grant, Lesson, LessonProgress, User
from app.services.access import participation
from app.services.access.settings import PARTNER_ENROLMENT_SETTINGS, AccessSettings, effective_settings


class State(str, enum.Enum):
    OPEN = "open"
    DONE = "done"
    SCHEDULED = "scheduled"
    BEYOND = "beyond"
    LOCKED = "locked"


@dataclass(frozen=True)
class LessonState:
    lesson: Lesson
    position: int  # 1-based, in the course's order
    state: State
    # The day the lesson opens by the schedule (None: from the start), whatever its state.
    opens_on: date | None = None
    # The checkpoint lesson that must be done first (state LOCKED).
    locked_by: Lesson | None = None

    @property
    def may_open(self) -> bool:
        """Whether the participant may read the lesson (open, or done)."""
        return self.state in (State.OPEN, State.DONE)


@dataclass(frozen=True)
class Access:
    """What the resolver works from: the settings that apply and the day delays count from."""

    settings: AccessSettings
    start_date: date
    grant: Grant | None


def governing_access(enrolment: Enrolment, grant: Grant | None = None) -> Access:
    """The settings for the enrolment: ``grant``'s if given, else the newest active grant holding it."""
    if grant is None:
        holding = participation.active_grants_holding(enrolment)
        grant = holding[0] if holding else None
    if grant is None:
        return Access(PARTNER_ENROLMENT_SETTINGS, enrolment.start_date, None)
    return Access(effective_settings(grant), grant.start_date, grant)


def deciding_grant(grant: Grant) -> Grant | None:
    """The grant whose settings ``grant``'s participants have now, when it is another one: a newer active
    grant holding the same enrolment decides it. None when ``grant`` decides (or holds no participation)."""
    for enrolment in grant.enrolments:
        if enrolment.status not in PARTICIPATING:
            continue
        holding = participation.active_grants_holding(enrolment)
        if holding and holding[0].id == grant.id:
            return None
        if holding:
            return holding[0]
    return None


def _done_ids(enrolment: Enrolment) -> set[int]:
    if enrolment.id is None:
        return set()
    return set(db.session.execute(
        sa.select(LessonProgress.lesson_id).where(LessonProgress.enrolment_id == enrolment.id)
    ).scalars())


def _lessons(enrolment: Enrolment) -> list[Lesson]:
    course_id = enrolment.course_id if enrolment.course_id is not None else enrolment.course.id
    return db.session.execute(
        sa.select(Lesson).where(Lesson.course_id == course_id).order_by(Lesson.position)
    ).scalars().all()


def resolve(lessons: list[Lesson], access: Access, done: set[int], today: date) -> list[LessonState]:
    """The rules, on already loaded inputs (``lesson_states`` gathers them)."""
    settings = access.settings
    states = []
    blocking: Lesson | None = None  # the first checkpoint not done, once passed
    for position, lesson in enumerate(lessons, start=1):
        opens_on = settings.release_day(position, access.start_date)
        if lesson.id in done:
            state, locked_by = State.DONE, None
        elif settings.lessons_available is not None and position > settings.lessons_available:
            state, locked_by = State.BEYOND, None
        elif settings.checkpoints and blocking is not None:
            state, locked_by = State.LOCKED, blocking
        elif opens_on is not None and today < opens_on:
            state, locked_by = State.SCHEDULED, None
        else:
            state, locked_by = State.OPEN, None
        states.append(LessonState(lesson, position, state, opens_on, locked_by))
        if lesson.is_checkpoint and lesson.id not in done and blocking is None:
            blocking = lesson
    return states


def lesson_states(enrolment: Enrolment, today: date | None = None, *, grant: Grant | None = None
                  ) -> list[LessonState]:
    """Each lesson of the enrolment's course with its state, in order. ``today`` defaults to the platform's."""
    return resolve(_lessons(enrolment), governing_access(enrolment, grant), _done_ids(enrolment),
                   today or participation.today())


def preview_states(enrolment: Enrolment, grant: Grant, settings: AccessSettings, today: date | None = None
                   ) -> list[LessonState]:
    """The enrolment's lesson states as they would be were ``grant``'s settings ``settings`` (nothing written).

    Only the grant that governs the enrolment decides it: when a newer active grant
    holds the enrolment, ``settings`` change nothing the participant sees.
    """
    access = governing_access(enrolment)
    if access.grant is not None and access.grant.id == grant.id:
        access = Access(settings, grant.start_date, grant)
    return resolve(_lessons(enrolment), access, _done_ids(enrolment), today or participation.today())


def current_start_date(user: User, courses) -> date | None:
    """The day release delays count from for the user in the first of ``courses`` they take part in.

    That is the start date of the grant governing their enrolment (or the enrolment's own,
    when only a partner paid for it); None when they take part in none of the courses.
    """
    for course in courses:
        enrolment = participation.participating_enrolment(user, course)
        if enrolment is not None:
            return governing_access(enrolment).start_date
    return None


def lesson_state(enrolment: Enrolment, lesson: Lesson, today: date | None = None) -> LessonState | None:
    """One lesson's state (None: not a lesson of this course). The URL guard asks this."""
    for item in lesson_states(enrolment, today):
        if item.lesson.id == lesson.id:
            return item
    return None
