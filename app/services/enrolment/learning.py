"""The student's side of the member area: their courses, and each lesson as the resolver lets them see it."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.extensions import db
from app.models import PARTICIPATING, Enrolment, HomeworkSubmission, Lesson, User
from app.services.access import resolver
from app.services.access.resolver import LessonState
from app.services.enrolment import homework, progress


def my_enrolments_query(user: User):
    """The user's participating enrolments (active or completed), newest first, course loaded."""
    return (
        sa.select(Enrolment)
        .where(Enrolment.user_id == user.id, Enrolment.status.in_(PARTICIPATING))
        .options(sa.orm.joinedload(Enrolment.course), sa.orm.selectinload(Enrolment.certificate))
        .order_by(Enrolment.created_at.desc(), Enrolment.id.desc())
    )


def lesson_totals(enrolments) -> dict[int, int]:
    """Lessons per course of these enrolments (one query)."""
    ids = {e.course_id for e in enrolments}
    if not ids:
        return {}
    return dict(db.session.execute(
        sa.select(Lesson.course_id, sa.func.count(Lesson.id)).where(Lesson.course_id.in_(ids))
        .group_by(Lesson.course_id)
    ).all())


def my_enrolment(user: User, enrolment_id: int) -> Enrolment | None:
    """The user's own participating enrolment; anyone else's, or an ended or cancelled one, is None."""
    return db.session.execute(
        sa.select(Enrolment).where(Enrolment.id == enrolment_id, Enrolment.user_id == user.id,
                                   Enrolment.status.in_(PARTICIPATING))
    ).scalar_one_or_none()


def course_lesson(enrolment: Enrolment, lesson_id: int) -> Lesson | None:
    return db.session.execute(
        sa.select(Lesson).where(Lesson.id == lesson_id, Lesson.course_id == enrolment.course_id)
    ).scalar_one_or_none()


@dataclass
class Outline:
    """A course page: every lesson's state, and the latest homework per lesson."""

    enrolment: Enrolment
    states: list[LessonState]
    submissions: dict[int, HomeworkSubmission]
    asks_homework: bool

    @property
    def done(self) -> int:
        return sum(1 for item in self.states if item.state == resolver.State.DONE)


def outline(enrolment: Enrolment, today=None) -> Outline:
    access = resolver.governing_access(enrolment)
    return Outline(enrolment, resolver.lesson_states(enrolment, today), homework.latest_submissions(enrolment),
                   access.settings.asks_homework)


@dataclass
class LessonView:
    """One lesson as the student may see it: its state (the guard) and, when it may open, what to do."""

    item: LessonState
    asks_homework: bool
    submission: HomeworkSubmission | None

    @property
    def may_open(self) -> bool:
        return self.item.may_open

    @property
    def can_mark_done(self) -> bool:
        return self.item.state == resolver.State.OPEN and not self.asks_homework

    @property
    def can_hand_in(self) -> bool:
        return (self.item.state == resolver.State.OPEN and self.asks_homework
                and (self.submission is None or self.submission.status == "returned"))


def lesson_view(enrolment: Enrolment, lesson: Lesson, today=None) -> LessonView:
    """The URL guard: the resolver's state for this lesson, plus its homework."""
    item = resolver.lesson_state(enrolment, lesson, today)
    return LessonView(item, homework.asks_homework(enrolment, lesson),
                      homework.latest_submissions(enrolment).get(lesson.id))


def lessons_done_counts(enrolment_ids: list[int]) -> dict[int, int]:
    return progress.lessons_done_counts(enrolment_ids)
