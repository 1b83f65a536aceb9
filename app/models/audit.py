from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class AuditEvent(db.Model):
    """Who did what to which object, and when."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(100), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(50))
    object_id: Mapped[int | None] = mapped_column(sa.Integer)
    # The tenant the event belongs to, so a partner can read its own trail.
    partner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partners.id"), index=True)
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    actor = relationship("User")
