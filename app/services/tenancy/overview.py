"""The platform admin's home: how many partners, resellers and people (by role) there are, and failed emails."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Partner, Reseller, Role, User
from app.services.outbox.email import failed_count


def platform_counts() -> dict[str, int]:
    by_role = dict(db.session.execute(sa.select(User.role, sa.func.count(User.id)).group_by(User.role)).all())
    return {
        "partners": db.session.scalar(sa.select(sa.func.count(Partner.id))),
        "resellers": db.session.scalar(sa.select(sa.func.count(Reseller.id))),
        "users": sum(by_role.values()),
        "students": by_role.get(Role.STUDENT.value, 0),
        "customers": by_role.get(Role.CUSTOMER.value, 0),
        "failed_emails": failed_count(),
    }
