"""Participation: the one Enrolment per user and course, however the user got in.

Every way in (a grant of a product, a partner's paid enrolment) calls
``join_course``: it links to the user's participating enrolment (active or
completed) if there is one, reactivates one that was ended (its progress is
kept), or creates it. A user never has two participating enrolments in one
course. Changes to one user's participation are serialised on the user's row
(``lock_participant``): take it last, after any wallet or invoice lock.

Who holds an enrolment: the active grants linked to it, and the partner that
paid for it (``Enrolment.partner_id``, until the partner cancels). When the
last holder goes, the enrolment is ended (status ``ended``), never deleted.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import (
    PARTICIPATING, Course, Enrolment, EnrolmentStatus, Grant, GrantStatus, Partner, User, grant_enrolments,
)
from app.models.base import utcnow


def platform_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("AULA_TIMEZONE") or current_app.config["BABEL_DEFAULT_TIMEZONE"])


def today(now: datetime | None = None) -> date:
    """The calendar day in the platform's time zone (release dates are whole days there)."""
    return (now or utcnow()).astimezone(platform_zone()).date()


# Users per statement when several join at once (an IN list the engines take without trouble).
CHUNK = 500


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def lock_participant(user: User) -> None:
    """Serialise participation changes of one user (row lock; SQLite's BEGIN IMMEDIATE does it already)."""
    lock_participants([user])


def lock_participants(users: list[User]) -> None:
    """``lock_participant`` for several users: their rows locked in id order (so two batches never deadlock)."""
    ids = sorted({user.id for user in users})
    for chunk in _chunks(ids):
        db.session.execute(sa.select(User.id).where(User.id.in_(chunk)).order_by(User.id).with_for_update()).all()


def participating_enrolment(user: User, course: Course) -> Enrolment | None:
    """The user's current enrolment in the course (active, or completed and kept), if any."""
    return db.session.execute(
        sa.select(Enrolment).where(
            Enrolment.user_id == user.id, Enrolment.course_id == course.id, Enrolment.status.in_(PARTICIPATING),
        ).order_by(Enrolment.id.desc())
    ).scalars().first()


def join_course(actor: User | None, user: User, course: Course, *, start_date: date,
                partner: Partner | None = None, credits: int = 0) -> tuple[Enrolment, bool]:
    """The user's one participating enrolment in ``course``: linked, reactivated or created.

    Returns ``(enrolment, is_new)``; ``is_new`` is False when an enrolment the
    user already had was linked (or reactivated). ``partner`` marks a partner's
    paid enrolment: it holds the enrolment and paid ``credits``. The partner's
    caller refuses (and charges nothing) when the user already participates,
    and a paid enrolment is always a new row (its debit is keyed by the
    enrolment's id), so only grants reactivate an ended enrolment.
    """
    return join_courses(actor, [user], course, start_date=start_date, partner=partner, credits=credits)[0]


def join_courses(actor: User | None, users: list[User], course: Course, *, start_date: date,
                 partner: Partner | None = None, credits: int = 0) -> list[tuple[Enrolment, bool]]:
    """``join_course`` for several users at once (a bulk enrolment), in a few statements whatever their number.

    One statement finds their participating enrolments (and, for a grant, their
    ended ones), one inserts the new ones (per ``CHUNK`` users). Returns one
    ``(enrolment, is_new)`` per user, in order; a user listed twice joins once
    (the second is not new). The caller holds the users' locks (``lock_participants``).
    """
    ids = sorted({user.id for user in users})
    current = _enrolments_by_user(ids, course, PARTICIPATING)
    missing = [user_id for user_id in ids if user_id not in current]
    ended = _enrolments_by_user(missing, course, (EnrolmentStatus.ENDED,)) if partner is None and missing else {}
    # Per user: ("have", enrolment), or ("new" / "again", user id) until the new rows exist.
    joined: list[tuple[str, object]] = []
    created: list[int] = []
    for user in users:
        if user.id in created:
            joined.append(("again", user.id))
        elif user.id in current:
            joined.append(("have", current[user.id]))
        elif user.id in ended:
            enrolment = current[user.id] = ended.pop(user.id)
            enrolment.status = (EnrolmentStatus.COMPLETED if enrolment.completed_at else EnrolmentStatus.ACTIVE).value
            enrolment.ended_at = None
            enrolment.start_date = start_date
            joined.append(("have", enrolment))
        else:
            created.append(user.id)
            joined.append(("new", user.id))
    new = dict(user_id=0, course_id=course.id, status=EnrolmentStatus.ACTIVE.value, start_date=start_date,
               partner_id=partner.id if partner else None, credits_charged=credits if partner else 0,
               enrolled_by_id=actor.id if actor else None)
    if len(created) == 1:
        enrolment = Enrolment(**{**new, "user_id": created[0]})
        db.session.add(enrolment)
        db.session.flush()
        inserted = {created[0]: enrolment}
    elif created:
        # One batch insert (no RETURNING, the same on every engine), then the new rows read back:
        # each user's one participating enrolment in the course.
        db.session.execute(sa.insert(Enrolment), [{**new, "user_id": user_id} for user_id in created])
        inserted = _enrolments_by_user(created, course, PARTICIPATING)
    else:
        inserted = {}
    return [(item, False) if how == "have" else (inserted[item], how == "new") for how, item in joined]


def _enrolments_by_user(user_ids: list[int], course: Course, statuses) -> dict[int, Enrolment]:
    """Each user's latest enrolment in the course with one of ``statuses``."""
    found: dict[int, Enrolment] = {}
    for chunk in _chunks(user_ids):
        for enrolment in db.session.execute(
            sa.select(Enrolment).where(Enrolment.user_id.in_(chunk), Enrolment.course_id == course.id,
                                       Enrolment.status.in_([str(status) for status in statuses]))
            .order_by(Enrolment.id)
        ).scalars():
            found[enrolment.user_id] = enrolment
    return found


def active_grants_holding(enrolment: Enrolment) -> list[Grant]:
    """The active grants linked to the enrolment, newest first (the first one's settings apply)."""
    if enrolment.id is None:
        return []
    return db.session.execute(
        sa.select(Grant).join(grant_enrolments, grant_enrolments.c.grant_id == Grant.id)
        .where(grant_enrolments.c.enrolment_id == enrolment.id, Grant.status == GrantStatus.ACTIVE.value)
        .order_by(Grant.id.desc())
    ).scalars().all()


def is_held(enrolment: Enrolment, *, besides: Grant | None = None) -> bool:
    """Whether a partner's payment or an active grant (other than ``besides``) still holds the enrolment."""
    if enrolment.partner_id is not None and enrolment.status != EnrolmentStatus.CANCELLED.value:
        return True
    return any(besides is None or grant.id != besides.id for grant in active_grants_holding(enrolment))


def end_if_unheld(enrolment: Enrolment) -> bool:
    """End a participating enrolment nobody holds any more (progress kept); whether it ended."""
    if enrolment.status not in PARTICIPATING or is_held(enrolment):
        return False
    enrolment.status = EnrolmentStatus.ENDED.value
    enrolment.ended_at = utcnow()
    db.session.flush()
    return True
