"""A whitelabel partner's own courses: create and edit them and their ordered lessons.

An own course (``Course.owner_partner_id``) is visible only to its partner
and free for it (app.services.catalog.pricing.price_for). Only a whitelabel
partner may have them. Every function is scoped to one partner: another
partner's course is never found or changed through it. Functions add and
flush; the caller commits once.

Lesson order: positions are 1..n without gaps, unique per course. Changes to
the order lock the course row first (PostgreSQL; SQLite's BEGIN IMMEDIATE
already serialises writers), so two admins reordering at once queue instead
of colliding on the unique position.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import format_decimal, lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Course, Lesson, LessonProgress, Partner, User
from app.services import DomainError, audit

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
BODY_MAX = 50000


class NotWhitelabel(DomainError):
    """Only a whitelabel partner creates its own courses."""


class NotYourCourse(DomainError):
    pass


class OwnCourseInvalid(DomainError):
    """The data breaks a rule; ``field`` names the form field at fault."""

    def __init__(self, field: str, message):
        super().__init__(message, field=field)


class LessonHasProgress(DomainError):
    """A lesson a participant has already done cannot be deleted."""


# --- reading -------------------------------------------------------------------


def may_have_own_courses(partner: Partner | None) -> bool:
    return partner is not None and partner.is_whitelabel


def own_courses_of(partner: Partner) -> list[Course]:
    if not may_have_own_courses(partner):
        return []
    return db.session.execute(
        sa.select(Course)
        .where(Course.owner_partner_id == partner.id)
        .order_by(sa.func.lower(Course.title), Course.id)
    ).scalars().all()


def lesson_counts(courses: list[Course]) -> dict[int, int]:
    ids = [course.id for course in courses]
    if not ids:
        return {}
    return dict(db.session.execute(
        sa.select(Lesson.course_id, sa.func.count(Lesson.id))
        .where(Lesson.course_id.in_(ids))
        .group_by(Lesson.course_id)
    ).all())


def find_own_course(partner: Partner, course_id: int) -> Course | None:
    """The partner's own course with this id; anyone else's (or none) is None."""
    if not may_have_own_courses(partner):
        return None
    return db.session.execute(
        sa.select(Course).where(Course.id == course_id, Course.owner_partner_id == partner.id)
    ).scalar_one_or_none()


def find_lesson(course: Course, lesson_id: int) -> Lesson | None:
    return db.session.execute(
        sa.select(Lesson).where(Lesson.id == lesson_id, Lesson.course_id == course.id)
    ).scalar_one_or_none()


def lessons_with_progress(course: Course) -> set[int]:
    """Ids of the course's lessons some participant has done (these cannot be deleted)."""
    return set(db.session.execute(
        sa.select(LessonProgress.lesson_id).distinct()
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(Lesson.course_id == course.id)
    ).scalars())


# --- checks ----------------------------------------------------------------------


def _require_whitelabel(partner: Partner) -> None:
    if not may_have_own_courses(partner):
        raise NotWhitelabel(str(_l("Only a whitelabel partner can create its own courses.")))


def _require_owner(partner: Partner, course: Course) -> None:
    _require_whitelabel(partner)
    if course.owner_partner_id != partner.id:
        raise NotYourCourse(str(_l("This course does not belong to your organisation.")))


def _title(value: str | None, field: str = "title") -> str:
    title = " ".join((value or "").split())
    if not title:
        raise OwnCourseInvalid(field, _l("Enter a title."))
    if len(title) > TITLE_MAX:
        raise OwnCourseInvalid(field, _l("A title has at most %(n)s characters.", n=TITLE_MAX))
    return title


def _text(value: str | None, field: str, limit: int) -> str:
    text = (value or "").replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise OwnCourseInvalid(field, _l("At most %(n)s characters.", n=format_decimal(limit)))
    return text


def _lock(course: Course) -> list[Lesson]:
    """Lock the course row, then read its lessons fresh, in order."""
    db.session.execute(sa.select(Course.id).where(Course.id == course.id).with_for_update())
    return db.session.execute(
        sa.select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.position)
        .execution_options(populate_existing=True)
    ).scalars().all()


def _renumber(lessons: list[Lesson]) -> None:
    """Positions 1..n in the given order, one row at a time so no two ever share a position.

    Rows that move are first parked on negative positions (free by
    construction), then placed; PostgreSQL checks a unique constraint row by
    row, so a single ``UPDATE ... SET position = position - 1`` could collide.
    """
    moving = [(lesson, number) for number, lesson in enumerate(lessons, start=1) if lesson.position != number]
    for lesson, number in moving:
        lesson.position = -number
    db.session.flush()
    for lesson, number in moving:
        lesson.position = number
    db.session.flush()


# --- courses ---------------------------------------------------------------------


def create_own_course(actor: User, partner: Partner, title: str, description: str = "") -> Course:
    _require_whitelabel(partner)
    course = Course(
        title=_title(title),
        description=_text(description, "description", DESCRIPTION_MAX),
        owner_partner_id=partner.id,
        value_per_enrolment=0,
        assign_to_all_partners=False,
    )
    db.session.add(course)
    db.session.flush()
    audit.record(actor, "own_course.created", course, partner_id=partner.id, title=course.title)
    return course


def update_own_course(actor: User, partner: Partner, course: Course, title: str, description: str = "") -> Course:
    _require_owner(partner, course)
    before = {"title": course.title, "description": course.description}
    course.title = _title(title)
    course.description = _text(description, "description", DESCRIPTION_MAX)
    db.session.flush()
    after = {"title": course.title, "description": course.description}
    if after != before:
        changed = sorted(key for key in after if after[key] != before[key])
        audit.record(actor, "own_course.updated", course, partner_id=partner.id,
                     changed=changed, title=course.title)
    return course


# --- lessons ---------------------------------------------------------------------


def add_lesson(
    actor: User, partner: Partner, course: Course, title: str, body: str = "",
    has_homework: bool = False, is_checkpoint: bool = False,
) -> Lesson:
    """A new lesson at the end of the course."""
    _require_owner(partner, course)
    title = _title(title)
    body = _text(body, "body", BODY_MAX)
    lessons = _lock(course)
    lesson = Lesson(
        course_id=course.id, position=len(lessons) + 1, title=title, body=body,
        has_homework=bool(has_homework), is_checkpoint=bool(is_checkpoint),
    )
    _renumber(lessons)  # heals a gap older data may have left; a no-op otherwise
    db.session.add(lesson)
    db.session.flush()
    db.session.expire(course, ["lessons"])
    audit.record(actor, "lesson.added", lesson, partner_id=partner.id,
                 course_id=course.id, title=lesson.title, position=lesson.position)
    return lesson


def update_lesson(
    actor: User, partner: Partner, lesson: Lesson, title: str, body: str = "",
    has_homework: bool = False, is_checkpoint: bool = False,
) -> Lesson:
    _require_owner(partner, lesson.course)
    before = {"title": lesson.title, "body": lesson.body,
              "has_homework": lesson.has_homework, "is_checkpoint": lesson.is_checkpoint}
    lesson.title = _title(title)
    lesson.body = _text(body, "body", BODY_MAX)
    lesson.has_homework = bool(has_homework)
    lesson.is_checkpoint = bool(is_checkpoint)
    db.session.flush()
    after = {"title": lesson.title, "body": lesson.body,
             "has_homework": lesson.has_homework, "is_checkpoint": lesson.is_checkpoint}
    if after != before:
        changed = sorted(key for key in after if after[key] != before[key])
        audit.record(actor, "lesson.updated", lesson, partner_id=partner.id,
                     course_id=lesson.course_id, changed=changed, title=lesson.title)
    return lesson


def move_lesson(actor: User, partner: Partner, lesson: Lesson, direction: str) -> bool:
    """Swap the lesson with its neighbour ``up`` or ``down``; False at either end."""
    course = lesson.course
    _require_owner(partner, course)
    if direction not in ("up", "down"):
        raise OwnCourseInvalid("direction", _l("Move a lesson up or down."))
    lessons = _lock(course)
    index = next((i for i, item in enumerate(lessons) if item.id == lesson.id), None)
    if index is None:  # deleted meanwhile
        raise NotYourCourse(str(_l("This lesson no longer exists.")))
    other = index - 1 if direction == "up" else index + 1
    if other < 0 or other >= len(lessons):
        return False
    lessons[index], lessons[other] = lessons[other], lessons[index]
    before = lesson.position
    _renumber(lessons)
    db.session.expire(course, ["lessons"])
    audit.record(actor, "lesson.moved", lesson, partner_id=partner.id, course_id=course.id,
                 title=lesson.title, before=before, after=lesson.position)
    return True


def delete_lesson(actor: User, partner: Partner, lesson: Lesson) -> None:
    """Delete a lesson nobody has progress on, and close the gap it leaves."""
    course = lesson.course
    _require_owner(partner, course)
    lessons = _lock(course)
    refusal = LessonHasProgress(str(_l(
        "“%(title)s” cannot be deleted: participants have already completed it. "
        "Edit it instead, or leave it in place.", title=lesson.title)))
    done = db.session.execute(
        sa.select(LessonProgress.id).where(LessonProgress.lesson_id == lesson.id).limit(1)
    ).first()
    if done is not None:
        raise refusal
    details = {"course_id": course.id, "title": lesson.title, "position": lesson.position}
    try:
        # Progress recorded between the check and the delete trips the foreign key:
        # the same refusal, not an error page.
        with db.session.begin_nested():
            db.session.delete(lesson)
            db.session.flush()
    except IntegrityError:
        raise refusal from None
    _renumber([item for item in lessons if item is not lesson])
    db.session.expire(course, ["lessons"])
    audit.record(actor, "lesson.deleted", lesson, partner_id=partner.id, **details)
