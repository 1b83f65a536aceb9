"""A whitelabel partner's own courses: create and edit them and their ordered lessons.

An own course (``Course.owner_partner_id``) is visible only to its partner
and free for it (app.services.catalog.pricing.price_for). Only a whitelabel
partner may have them. Every function is scoped to one partner: another
partner's course is never found or changed through it; the lessons
themselves (and their order) are app.services.catalog.lessons', shared with
the platform's catalog. Functions add and flush; the caller commits once.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import Course, Lesson, Partner, User
from app.services import DomainError, audit
from app.services.catalog import lessons as catalog_lessons
from app.services.catalog.lessons import (  # noqa: F401 (part of this module's vocabulary)
    BODY_MAX, DESCRIPTION_MAX, TITLE_MAX, LessonHasProgress, lesson_counts, lessons_with_progress,
)

# A refusal of the partner's input (``field`` names the form field at fault).
OwnCourseInvalid = catalog_lessons.CatalogInvalid


class NotWhitelabel(DomainError):
    """Only a whitelabel partner creates its own courses."""


class NotYourCourse(DomainError):
    pass


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


def find_lesson(course: Course, lesson_id: int) -> Lesson | None:
    return catalog_lessons.find_lesson(course, lesson_id)


def find_own_course(partner: Partner, course_id: int) -> Course | None:
    """The partner's own course with this id; anyone else's (or none) is None."""
    if not may_have_own_courses(partner):
        return None
    return db.session.execute(
        sa.select(Course).where(Course.id == course_id, Course.owner_partner_id == partner.id)
    ).scalar_one_or_none()


# --- checks ----------------------------------------------------------------------


def _require_whitelabel(partner: Partner) -> None:
    if not may_have_own_courses(partner):
        raise NotWhitelabel(str(_l("Only a whitelabel partner can create its own courses.")))


def _require_owner(partner: Partner, course: Course) -> None:
    _require_whitelabel(partner)
    if course.owner_partner_id != partner.id:
        raise NotYourCourse(str(_l("This course does not belong to your organisation.")))


# --- courses ---------------------------------------------------------------------


def create_own_course(actor: User, partner: Partner, title: str, description: str = "") -> Course:
    _require_whitelabel(partner)
    course = Course(
        title=catalog_lessons.clean_title(title),
        description=catalog_lessons.clean_text(description, "description", DESCRIPTION_MAX),
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
    course.title = catalog_lessons.clean_title(title)
    course.description = catalog_lessons.clean_text(description, "description", DESCRIPTION_MAX)
    db.session.flush()
    after = {"title": course.title, "description": course.description}
    if after != before:
        changed = sorted(key for key in after if after[key] != before[key])
        audit.record(actor, "own_course.updated", course, partner_id=partner.id,
                     changed=changed, title=course.title)
    return course


# --- lessons (the shared home of lesson ordering does the work) ----------------------------


def add_lesson(
    actor: User, partner: Partner, course: Course, title: str, body: str = "",
    has_homework: bool = False, is_checkpoint: bool = False, video_url: str | None = None,
) -> Lesson:
    """A new lesson at the end of the course."""
    _require_owner(partner, course)
    return catalog_lessons.add_lesson(actor, course, title, body, has_homework, is_checkpoint, video_url)


def update_lesson(
    actor: User, partner: Partner, lesson: Lesson, title: str, body: str = "",
    has_homework: bool = False, is_checkpoint: bool = False, video_url: str | None = None,
) -> Lesson:
    _require_owner(partner, lesson.course)
    return catalog_lessons.update_lesson(actor, lesson, title, body, has_homework, is_checkpoint, video_url)


def move_lesson(actor: User, partner: Partner, lesson: Lesson, direction: str) -> bool:
    """Swap the lesson with its neighbour ``up`` or ``down``; False at either end."""
    _require_owner(partner, lesson.course)
    try:
        return catalog_lessons.move_lesson(actor, lesson, direction)
    except catalog_lessons.LessonGone as gone:
        raise NotYourCourse(gone.message) from None


def delete_lesson(actor: User, partner: Partner, lesson: Lesson) -> None:
    """Delete a lesson nobody has progress on, and close the gap it leaves."""
    _require_owner(partner, lesson.course)
    catalog_lessons.delete_lesson(actor, lesson)
