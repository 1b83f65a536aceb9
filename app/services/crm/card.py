"""A contact's card: their accesses (grants and paid enrolments no grant holds) with progress, and their timeline.

Both read what ``app.services.access`` and the audit trail already hold; the
timeline is the audit trail of the contact's grants and enrolments, and of
the offers their grants inherit from (an offer's change reaches them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    PARTICIPATING, AuditEvent, Enrolment, Grant, GrantStatus, Lesson, LessonProgress, Offer, User, grant_enrolments,
)


@dataclass
class Progress:
    done: int = 0
    total: int = 0

    @property
    def percent(self) -> int:
        """Rounded down: 100 only when every lesson is done."""
        return self.done * 100 // self.total if self.total else 0


@dataclass
class GrantRow:
    """One grant on the Products tab; ``applies``: it is the grant whose settings the participant has now."""

    grant: Grant
    progress: Progress
    applies: bool
    enrolments: list[Enrolment] = field(default_factory=list)


@dataclass
class PaidRow:
    """A partner's paid enrolment that no grant holds."""

    enrolment: Enrolment
    progress: Progress


@dataclass
class Accesses:
    grants: list[GrantRow]
    paid: list[PaidRow]

    @property
    def active(self) -> list[GrantRow]:
        return [row for row in self.grants if row.grant.is_active]


def _done_and_totals(enrolments: list[Enrolment]) -> tuple[dict[int, int], dict[int, int]]:
    ids = [e.id for e in enrolments]
    course_ids = {e.course_id for e in enrolments}
    done = dict(db.session.execute(
        sa.select(LessonProgress.enrolment_id, sa.func.count()).where(LessonProgress.enrolment_id.in_(ids))
        .group_by(LessonProgress.enrolment_id)).all()) if ids else {}
    totals = dict(db.session.execute(
        sa.select(Lesson.course_id, sa.func.count()).where(Lesson.course_id.in_(course_ids))
        .group_by(Lesson.course_id)).all()) if course_ids else {}
    return done, totals


def _progress(enrolments, done, totals) -> Progress:
    return Progress(sum(done.get(e.id, 0) for e in enrolments), sum(totals.get(e.course_id, 0) for e in enrolments))


def accesses_of(user: User) -> Accesses:
    """Every grant of the user (newest first, removed ones too) and their paid enrolments no grant holds.

    A handful of queries whatever the number of grants: progress is counted in two GROUP BYs.
    """
    grants = db.session.execute(
        sa.select(Grant).where(Grant.user_id == user.id)
        .options(sa.orm.joinedload(Grant.product), sa.orm.joinedload(Grant.offer),
                 sa.orm.selectinload(Grant.enrolments).joinedload(Enrolment.course))
        .order_by(Grant.id.desc())
    ).scalars().all()
    paid = db.session.execute(
        sa.select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.partner_id.is_not(None),
                                   ~sa.exists().where(grant_enrolments.c.enrolment_id == Enrolment.id))
        .options(sa.orm.joinedload(Enrolment.course), sa.orm.joinedload(Enrolment.partner))
        .order_by(Enrolment.id.desc())
    ).scalars().all()
    enrolments = [e for g in grants for e in g.enrolments] + list(paid)
    done, totals = _done_and_totals(enrolments)
    # The newest active grant holding an enrolment decides its settings (access.resolver).
    governing: dict[int, int] = {}
    for grant in grants:
        if grant.status == GrantStatus.ACTIVE.value:
            for enrolment in grant.enrolments:
                governing[enrolment.id] = max(governing.get(enrolment.id, 0), grant.id)
    rows = [
        GrantRow(grant, _progress(grant.enrolments, done, totals),
                 applies=grant.is_active and any(governing.get(e.id) == grant.id for e in grant.enrolments
                                                 if e.status in PARTICIPATING),
                 enrolments=list(grant.enrolments))
        for grant in grants
    ]
    return Accesses(rows, [PaidRow(e, _progress([e], done, totals)) for e in paid])


def contact_grant(user: User, grant_id: int) -> Grant | None:
    """One of the contact's grants (another user's is None)."""
    return db.session.execute(
        sa.select(Grant).where(Grant.id == grant_id, Grant.user_id == user.id)
        .options(sa.orm.joinedload(Grant.product), sa.orm.joinedload(Grant.offer))
    ).scalar_one_or_none()


def timeline_query(user: User):
    """Every change to the contact's accesses, newest first, with who did it.

    The audit trail of their grants (granted, settings overridden or reset, offer
    changed, removed) and enrolments (a partner's enrolment, cancellation,
    completion), and of each offer one of their grants inherited from at the time.
    """
    grant_ids = sa.select(Grant.id).where(Grant.user_id == user.id)
    enrolment_ids = sa.select(Enrolment.id).where(Enrolment.user_id == user.id)
    inherited_offer = sa.exists().where(
        Grant.user_id == user.id, Grant.offer_id == AuditEvent.object_id, Grant.created_at <= AuditEvent.created_at,
        sa.or_(Grant.revoked_at.is_(None), Grant.revoked_at >= AuditEvent.created_at))
    return (
        sa.select(AuditEvent)
        .where(sa.or_(
            sa.and_(AuditEvent.object_type == Grant.__name__, AuditEvent.object_id.in_(grant_ids)),
            sa.and_(AuditEvent.object_type == Enrolment.__name__, AuditEvent.object_id.in_(enrolment_ids)),
            sa.and_(AuditEvent.object_type == Offer.__name__, AuditEvent.action == "offer.updated", inherited_offer),
        ))
        .options(sa.orm.joinedload(AuditEvent.actor))
        .order_by(AuditEvent.id.desc())
    )


@dataclass
class TimelineSubjects:
    """The contact's grants and enrolments by id, to name what each timeline entry is about."""

    grants: dict[int, Grant]
    enrolments: dict[int, Enrolment]


def timeline_subjects(user: User) -> TimelineSubjects:
    """Two queries, whatever the number of entries."""
    grants = db.session.execute(
        sa.select(Grant).where(Grant.user_id == user.id)
        .options(sa.orm.joinedload(Grant.product), sa.orm.joinedload(Grant.offer))).scalars()
    enrolments = db.session.execute(
        sa.select(Enrolment).where(Enrolment.user_id == user.id).options(sa.orm.joinedload(Enrolment.course))
    ).scalars()
    return TimelineSubjects({g.id: g for g in grants}, {e.id: e for e in enrolments})
