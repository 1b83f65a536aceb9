from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import StrEnum, UTCDateTime, utcnow


class EnrolmentStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # a partner cancelled its paid enrolment (maybe refunded)
    ENDED = "ended"  # every grant holding it was revoked; its progress is kept for a later grant


# The statuses that make a user a participant of a course: at most one such
# enrolment per user and course (the unique index below), and enrolling again is refused.
PARTICIPATING = (EnrolmentStatus.ACTIVE, EnrolmentStatus.COMPLETED)
_PARTICIPATING_SQL = "status IN ('active','completed')"


class Enrolment(db.Model):
    """The one record that makes a user a participant of a course."""

    __tablename__ = "enrolments"
    __table_args__ = (
        EnrolmentStatus.check("status", "status_known"),
        sa.CheckConstraint("credits_charged >= 0", name="charged_not_negative"),
        # A user never has two participating enrolments in the same course.
        sa.Index(
            "uq_enrolments_participating_user_course",
            "user_id",
            "course_id",
            unique=True,
            sqlite_where=sa.text(_PARTICIPATING_SQL),
            postgresql_where=sa.text(_PARTICIPATING_SQL),
        ),
        # A partner's enrolments newest first (keyset pages), whole or by status, course or start date.
        sa.Index("ix_enrolments_partner_id_id", "partner_id", "id"),
        sa.Index("ix_enrolments_partner_status_id", "partner_id", "status", "id"),
        sa.Index("ix_enrolments_partner_course_id", "partner_id", "course_id", "id"),
        sa.Index("ix_enrolments_partner_start_date", "partner_id", "start_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    # The partner that paid for it, for a partner enrolment.
    partner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partners.id"))
    status: Mapped[str] = mapped_column(sa.String(20), default=EnrolmentStatus.ACTIVE.value)
    start_date: Mapped[date] = mapped_column(sa.Date)
    credits_charged: Mapped[int] = mapped_column(sa.Integer, default=0)
    enrolled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User", foreign_keys=[user_id])
    course = relationship("Course")
    partner = relationship("Partner")
    enrolled_by = relationship("User", foreign_keys=[enrolled_by_id])
