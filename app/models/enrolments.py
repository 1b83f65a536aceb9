from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class EnrolmentStatus(str, enum.Enum):
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"  # a partner cancelled its paid enrolment (maybe refunded)
    ENDED = "ended"  # every grant holding it was revoked; its progress is kept for a later grant


# Statuses that make a user a participant: at most one such enrolment per user and course.
PARTICIPATING = (EnrolmentStatus.ACTIVE.value, EnrolmentStatus.COMPLETED.value)


class Enrolment(db.Model):
    """The one record that makes a user a participant of a course."""

    __tablename__ = "enrolments"
    __table_args__ = (
        sa.CheckConstraint("status IN ('active','cancelled','completed','ended')", name="status_known"),
        sa.CheckConstraint("credits_charged >= 0", name="charged_not_negative"),
        # A user never has two active enrolments in the same course.
        sa.Index(
            "uq_enrolments_active_user_course",
            "user_id",
            "course_id",
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    # The partner that paid for it, for a partner enrolment.
    partner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partners.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="active")
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
