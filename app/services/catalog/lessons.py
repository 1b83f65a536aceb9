"""A course's ordered lessons: add, edit, move and delete them. The one home of lesson ordering.

Used by the platform's catalog and by a whitelabel partner's own courses
(each checks who may change the course first). Positions are 1..n without
gaps, unique per course. Every change to the order locks the course row
first (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers), so
two admins reordering at once queue instead of colliding on the unique
position. Functions add and flush; the caller commits once.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Course, Lesson, LessonProgress, User
from app.services import DomainError, audit

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
BODY_MAX = 50000
URL_MAX = 500
# A course's outline is shown whole (member area, admin list): it stays this short.
MAX_LESSONS = 500


class CatalogInvalid(DomainError):
    """The data breaks a rule; ``field`` names the form field at fault."""


class LessonHasProgress(DomainError):
    """A lesson a participant has already done cannot be deleted."""


class LessonGone(DomainError):
    """The lesson was deleted meanwhile."""


# --- values ------------------------------------------------------------------------------


def clean_title(value: str | None, field: str = "title") -> str:
    title = " ".join((value or "").split())
    if not title:
        raise CatalogInvalid(_l("Enter a title."), field=field)
    if len(title) > TITLE_MAX:
        raise CatalogInvalid(_l("A title has at most %(n)s characters.", n=TITLE_MAX), field=field)
    return title


def clean_text(value: str | None, field: str, limit: int) -> str:
    text = (value or "").replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise CatalogInvalid(_l("At most %(n)s characters.", n=limit), field=field)
    return text


def clean_video_url(value: str | None) -> str | None:
    url = (value or "").strip()
    if not url:
        return None
    if len(url) > URL_MAX:
        raise CatalogInvalid(_l("At most %(n)s characters.", n=URL_MAX), field="video_url")
    if not url.startswith(("https://", "http://")) or any(ch.isspace() for ch in url) or len(url) < 12:
        raise CatalogInvalid(_l("Enter the video's web address, starting with https://."), field="video_url")
    return url


# --- reading -------------------------------------------------------------------------------


def find_lesson(course: Course, lesson_id: int) -> Lesson | None:
    return db.session.execute(
        sa.select(Lesson).where(Lesson.id == lesson_id, Lesson.course_id == course.id)
    ).scalar_one_or_none()


def lesson_counts(courses) -> dict[int, int]:
    ids = [course.id for course in courses]
    if not ids:
        return {}
    return dict(db.session.execute(
        sa.select(Lesson.course_id, sa.func.count(Lesson.id)).where(Lesson.course_id.in_(ids))
        .group_by(Lesson.course_id)
    ).all())


def lessons_with_progress(course: Course) -> set[int]:
    """Ids of the course's lessons some participant has done (these cannot be deleted)."""
    return set(db.session.execute(
        sa.select(LessonProgress.lesson_id).distinct()
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(Lesson.course_id == course.id)
    ).scalars())


# --- ordering -------------------------------------------------------------------------------


def lock_lessons(course: Course) -> list[Lesson]:
    """Lock the course row, then read its lessons fresh, in order."""
    db.session.execute(sa.select(Course.id).where(Course.id == course.id).with_for_update())
    return db.session.execute(
        sa.select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.position)
        .execution_options(populate_existing=True)
    ).scalars().all()


def renumber(lessons: list[Lesson]) -> None:
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


# --- use cases --------------------------------------------------------------------------------


def _fields(title, body, video_url) -> dict:
    return {"title": clean_title(title), "body": clean_text(body, "body", BODY_MAX),
            "video_url": clean_video_url(video_url)}


def add_lesson(actor: User | None, course: Course, title: str, body: str = "", has_homework: bool = False,
               is_checkpoint: bool = False, video_url: str | None = None) -> Lesson:
    """A new lesson at the end of the course."""
    values = _fields(title, body, video_url)
    lessons = lock_lessons(course)
    if len(lessons) >= MAX_LESSONS:
        raise CatalogInvalid(_l("A course has at most %(n)s lessons.", n=MAX_LESSONS), field="title")
    lesson = Lesson(course_id=course.id, position=len(lessons) + 1, has_homework=bool(has_homework),
                    is_checkpoint=bool(is_checkpoint), **values)
    renumber(lessons)  # heals a gap older data may have left; a no-op otherwise
    db.session.add(lesson)
    db.session.flush()
    db.session.expire(course, ["lessons"])
    audit.record(actor, "lesson.added", lesson, partner_id=course.owner_partner_id,
                 course_id=course.id, title=lesson.title, position=lesson.position)
    return lesson


def update_lesson(actor: User | None, lesson: Lesson, title: str, body: str = "", has_homework: bool = False,
                  is_checkpoint: bool = False, video_url: str | None = None) -> Lesson:
    keys = ("title", "body", "video_url", "has_homework", "is_checkpoint")
    before = {key: getattr(lesson, key) for key in keys}
    values = {**_fields(title, body, video_url), "has_homework": bool(has_homework),
              "is_checkpoint": bool(is_checkpoint)}
    for key, value in values.items():
        setattr(lesson, key, value)
    db.session.flush()
    changed = sorted(key for key in keys if values[key] != before[key])
    if changed:
        audit.record(actor, "lesson.updated", lesson, partner_id=lesson.course.owner_partner_id,
                     course_id=lesson.course_id, changed=changed, title=lesson.title)
    return lesson


def move_lesson(actor: User | None, lesson: Lesson, direction: str) -> bool:
    """Swap the lesson with its neighbour ``up`` or ``down``; False at either end."""
    course = lesson.course
    if direction not in ("up", "down"):
        raise CatalogInvalid(_l("Move a lesson up or down."), field="direction")
    lessons = lock_lessons(course)
    index = next((i for i, item in enumerate(lessons) if item.id == lesson.id), None)
    if index is None:
        raise LessonGone(_l("This lesson no longer exists."))
    other = index - 1 if direction == "up" else index + 1
    if other < 0 or other >= len(lessons):
        return False
    lessons[index], lessons[other] = lessons[other], lessons[index]
    before = lesson.position
    renumber(lessons)
    db.session.expire(course, ["lessons"])
    audit.record(actor, "lesson.moved", lesson, partner_id=course.owner_partner_id, course_id=course.id,
                 title=lesson.title, before=before, after=lesson.position)
    return True


def delete_lesson(actor: User | None, lesson: Lesson) -> None:
    """Delete a lesson nobody has progress on, and close the gap it leaves."""
    course = lesson.course
    lessons = lock_lessons(course)
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
        # Progress (or homework) recorded between the check and the delete trips the foreign key:
        # the same refusal, not an error page.
        with db.session.begin_nested():
            db.session.delete(lesson)
            db.session.flush()
    except IntegrityError:
        raise refusal from None
    renumber([item for item in lessons if item is not lesson])
    db.session.expire(course, ["lessons"])
    audit.record(actor, "lesson.deleted", lesson, partner_id=course.owner_partner_id, **details)
