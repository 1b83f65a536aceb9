"""A participant's progress through a course, its completion and its certificate."""

from __future__ import annotations

from flask_babel import format_date, lazy_gettext as _l
import secrets

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import PARTICIPATING, Certificate, Enrolment, EnrolmentStatus, Lesson, LessonProgress, User
from app.models.base import utcnow
from app.services import DomainError, audit
from app.services.access import resolver
from app.services.access.resolver import State

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed from paper


class LessonNotAvailable(DomainError):
    pass


def lessons_done_counts(enrolment_ids: list[int]) -> dict[int, int]:
    if not enrolment_ids:
        return {}
    rows = db.session.execute(
        sa.select(LessonProgress.enrolment_id, sa.func.count())
        .where(LessonProgress.enrolment_id.in_(enrolment_ids))
        .group_by(LessonProgress.enrolment_id)
    ).all()
    return dict(rows)


def done_lesson_ids(enrolment: Enrolment) -> set[int]:
    return set(db.session.execute(
        sa.select(LessonProgress.lesson_id).where(LessonProgress.enrolment_id == enrolment.id)
    ).scalars())


def mark_lesson_done(user: User, enrolment: Enrolment, lesson: Lesson, today=None) -> bool:
    """Record a lesson as done; complete the course (and issue its certificate) with the last one.

    Only an open lesson can be marked (the resolver decides: app.services.access.resolver);
    a lesson whose homework is asked is done when its homework is accepted
    (app.services.enrolment.homework), not by this button. Returns whether
    this call completed the course. Marking a lesson twice changes nothing.
    """
    if enrolment.user_id != user.id or enrolment.status not in PARTICIPATING:
        raise LessonNotAvailable(_l("This course is not available to you."))
    if lesson.course_id != enrolment.course_id:
        raise LessonNotAvailable(_l("This lesson is not part of the course."))
    item = resolver.lesson_state(enrolment, lesson, today)
    if item.state == State.DONE:
        return False
    if not item.may_open:
        raise LessonNotAvailable(refusal_reason(item))
    access = resolver.governing_access(enrolment)
    if lesson.has_homework and access.settings.asks_homework:
        raise LessonNotAvailable(_l("Hand in the homework of this lesson to complete it."))
    return record_lesson_done(user, enrolment, lesson)


def record_lesson_done(actor: User | None, enrolment: Enrolment, lesson: Lesson) -> bool:
    """The lesson is done (its homework accepted, or marked): complete the course with the last one."""
    if lesson.id in done_lesson_ids(enrolment):
        return False
    db.session.add(LessonProgress(enrolment_id=enrolment.id, lesson_id=lesson.id))
    db.session.flush()
    total = len(enrolment.course.lessons)
    if enrolment.status == EnrolmentStatus.ACTIVE and len(done_lesson_ids(enrolment)) >= total:
        complete_enrolment(actor, enrolment)
        return True
    return False


def refusal_reason(item) -> str:
    """Why a lesson that is not open cannot be opened, as the student reads it."""
    if item.state == State.SCHEDULED:
        return str(_l("This lesson opens on %(date)s.", date=format_date(item.opens_on, "long")))
    if item.state == State.BEYOND:
        return str(_l("This lesson is beyond the lessons available to you."))
    if item.state == State.LOCKED:
        return str(_l("Complete the checkpoint “%(title)s” first: this lesson opens after it.",
                      title=item.locked_by.title))
    return ""


def complete_enrolment(actor: User | None, enrolment: Enrolment) -> Certificate:
    enrolment.status = EnrolmentStatus.COMPLETED
    enrolment.completed_at = utcnow()
    certificate = issue_certificate(enrolment)
    audit.record(actor, "enrolment.completed", enrolment, partner_id=enrolment.partner_id,
                 certificate=certificate.code)
    return certificate


def issue_certificate(enrolment: Enrolment) -> Certificate:
    if enrolment.certificate is not None:
        return enrolment.certificate
    issuer = enrolment.partner.name if enrolment.partner else current_app.config["PLATFORM_NAME"]
    certificate = Certificate(
        enrolment=enrolment,
        code=_new_code(),
        student_name=enrolment.user.display_name,
        course_title=enrolment.course.title,
        issuer_name=issuer,
        issued_at=enrolment.completed_at or utcnow(),
    )
    db.session.add(certificate)
    db.session.flush()
    return certificate


def _new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(code: str) -> str:
    cleaned = "".join(ch for ch in (code or "").upper() if ch.isalnum())[:12]
    return f"{cleaned[:4]}-{cleaned[4:8]}-{cleaned[8:]}" if len(cleaned) == 12 else ""


def find_certificate(code: str) -> Certificate | None:
    code = normalise_code(code)
    if not code:
        return None
    return db.session.execute(sa.select(Certificate).where(Certificate.code == code)).scalar_one_or_none()
