"""The audit trail: who did what to which object, recorded in the caller's transaction.

Reading it (filters, pages, each event as a sentence) is ``app.services.audit_trail``.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, User


def record(actor: User | None, action: str, obj=None, *, partner_id: int | None = None, **details) -> AuditEvent:
    """Record that ``actor`` did ``action`` to ``obj`` (in the caller's transaction)."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=getattr(obj, "id", None),
        partner_id=partner_id,
        details={k: v for k, v in details.items() if v is not None},
    )
    db.session.add(event)
    return event


def record_many(actor: User | None, action: str, objects: list[tuple[object, dict]], *,
                partner_id: int | None = None) -> None:
    """``record`` for many objects at once (a bulk enrolment): one batch insert, ``(obj, details)`` each."""
    if not objects:
        return
    db.session.execute(sa.insert(AuditEvent), [
        dict(actor_id=actor.id if actor is not None else None, action=action, object_type=type(obj).__name__,
             object_id=getattr(obj, "id", None), partner_id=partner_id,
             details={k: v for k, v in details.items() if v is not None})
        for obj, details in objects
    ])
