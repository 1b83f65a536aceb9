"""The platform's own courses: list, create and edit them (their lessons: app.services.catalog.lessons).

A whitelabel partner's own course is listed but never edited here (404 on
its edit pages). Functions add and flush; the caller commits once.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Course, User
from app.services import audit
from app.services.catalog.lessons import DESCRIPTION_MAX, clean_text, clean_title


def like(text: str) -> str:
    """A case-insensitive LIKE pattern for ``text`` (its wildcards escaped with a backslash)."""
    escaped = " ".join(text.split()).lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def courses_query(q: str | None = None):
    """Every course (own courses of partners too), by title, optionally matching ``q``."""
    query = sa.select(Course).options(sa.orm.selectinload(Course.partner_prices))
    if q and q.strip():
        query = query.where(sa.func.lower(Course.title).like(like(q), escape="\\"))
    return query.order_by(sa.func.lower(Course.title), Course.id)


def find_platform_course(course_id: int) -> Course | None:
    """A platform course (not a partner's own) with this id."""
    return db.session.execute(
        sa.select(Course).where(Course.id == course_id, Course.owner_partner_id.is_(None))
    ).scalar_one_or_none()


def create_course(actor: User | None, title: str, description: str = "") -> Course:
    """A new platform course, not yet shared with any partner (priced on its pricing page)."""
    course = Course(title=clean_title(title), description=clean_text(description, "description", DESCRIPTION_MAX),
                    value_per_enrolment=0, assign_to_all_partners=False)
    db.session.add(course)
    db.session.flush()
    audit.record(actor, "course.created", course, title=course.title)
    return course


def update_course(actor: User | None, course: Course, title: str, description: str = "") -> Course:
    before = (course.title, course.description)
    course.title = clean_title(title)
    course.description = clean_text(description, "description", DESCRIPTION_MAX)
    db.session.flush()
    if (course.title, course.description) != before:
        audit.record(actor, "course.updated", course, title=course.title)
    return course
