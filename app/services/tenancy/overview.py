"""The platform admin's home: how many partners, resellers and users there are, and failed emails."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.models import Partner, Reseller, User
from app.services.outbox.email import failed_count


def platform_counts() -> dict[str, int]:
    return {
        "partners": db.session.scalar(sa.select(sa.func.count(Partner.id))),
        "resellers": db.session.scalar(sa.select(sa.func.count(Reseller.id))),
        "users": db.session.scalar(sa.select(sa.func.count(User.id))),
        "failed_emails": failed_count(),
    }
