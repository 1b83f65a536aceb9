from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import StrEnum, UTCDateTime, utcnow


class BulkStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


FINISHED_BULK = (BulkStatus.DONE, BulkStatus.FAILED)


class LessonProgress(db.Model):
    """A lesson a participant has marked done, within one enrolment."""

    __tablename__ = "lesson_progress"
    __table_args__ = (sa.UniqueConstraint("enrolment_id", "lesson_id", name="uq_lesson_progress_enrolment_lesson"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrolments.id"), index=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id"))
    done_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lesson = relationship("Lesson")


class Certificate(db.Model):
    """Issued once when an enrolment is completed; verifiable by its public code."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrolments.id"), unique=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    # What the certificate says, frozen at issue time (names may change later).
    student_name: Mapped[str] = mapped_column(sa.String(200))
    course_title: Mapped[str] = mapped_column(sa.String(200))
    issuer_name: Mapped[str] = mapped_column(sa.String(200))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    enrolment = relationship("Enrolment", backref=sa.orm.backref("certificate", uselist=False))


class BulkEnrolment(db.Model):
    """A bulk enrolment request: its preview, then its all-or-nothing outcome per row."""

    __tablename__ = "bulk_enrolments"
    __table_args__ = (
        BulkStatus.check("status", "status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("partners.id"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"))
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(sa.String(20), default=BulkStatus.PENDING.value)
    student_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    # One {"student_id", "email", "name", "line", "outcome", "credits", "reason"} per requested row,
    # in the preview's order. Until the run, the rows to enrol say "will_enrol" and the others
    # already say why they are skipped; the run fills in the outcome of the rows to enrol.
    results: Mapped[list] = mapped_column(sa.JSON, default=list)
    total_cost: Mapped[int] = mapped_column(sa.Integer, default=0)
    # Credits per student the admin confirmed; the run refuses the batch if the price changed.
    price: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    # Why the batch was refused, as a code with its numbers (JSON; services.enrolment.bulk.batch_error
    # words it in the reader's language).
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    course = relationship("Course")


class HomeworkStatus(str, enum.Enum):
    PENDING = "pending"  # waits for a teacher in the review queue
    ACCEPTED = "accepted"
    RETURNED = "returned"  # sent back with a comment; the student hands in again


class HomeworkSubmission(db.Model):
    """A student's homework for one lesson: a text answer or a file stored outside the web root."""

    __tablename__ = "homework_submissions"
    __table_args__ = (
        sa.CheckConstraint("status IN ('pending','accepted','returned')", name="status_known"),
        sa.Index("ix_homework_submissions_enrolment_lesson", "enrolment_id", "lesson_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrolments.id"))
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id"))
    text: Mapped[str] = mapped_column(sa.Text, default="")
    # The file as the student named it, and where it is stored (a random name under the upload folder).
    file_name: Mapped[str | None] = mapped_column(sa.String(200))
    stored_name: Mapped[str | None] = mapped_column(sa.String(100), unique=True)
    content_type: Mapped[str | None] = mapped_column(sa.String(100))
    file_size: Mapped[int | None] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.String(20), default=HomeworkStatus.PENDING.value, index=True)
    review_comment: Mapped[str] = mapped_column(sa.Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    enrolment = relationship("Enrolment")
    lesson = relationship("Lesson")
    reviewed_by = relationship("User")
