"""Enrolment of students by a partner, paid with the partner's credits.

The debit and the enrolment are one transaction: both happen or neither.
"""

from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import Course, CoursePartner, Enrolment, Partner, PlatformSettings, Role, User, Wallet, WalletEntry
from app.models.base import utcnow
from app.services import DomainError, audit
from app.services.ledger import wallets
from app.services.outbox.email import queue_email
from app.services.ledger.wallets import InsufficientCredits

ALERT_INTERVAL = timedelta(hours=1)


class CourseNotShared(DomainError):
    pass


class AlreadyEnrolled(DomainError):
    pass


class NotYourStudent(DomainError):
    pass


class InactiveStudent(DomainError):
    pass


# --- pricing -----------------------------------------------------------------


def price_for(course: Course, partner: Partner) -> int | None:
    """Credits ``partner`` pays to enrol one student in ``course``; None if not shared."""
    if course.owner_partner_id is not None:
        # A whitelabel partner's own course: free for its owner while it is
        # whitelabel (a partner switched to default loses its own courses),
        # hidden from everyone else.
        return 0 if course.owner_partner_id == partner.id and partner.is_whitelabel else None
    if course.assign_to_all_partners:
        return course.value_per_enrolment
    link = db.session.get(CoursePartner, (course.id, partner.id))
    if link is None:
        return None
    return course.value_per_enrolment if link.custom_value is None else link.custom_value


def catalog_for(partner: Partner) -> list[tuple[Course, int]]:
    """Courses shared with the partner, each with the price it pays."""
    shared = sa.or_(
        Course.assign_to_all_partners.is_(True),
        Course.id.in_(sa.select(CoursePartner.course_id).where(CoursePartner.partner_id == partner.id)),
    )
    courses = db.session.execute(
        db.select(Course)
        .where(sa.or_(
            sa.and_(Course.owner_partner_id.is_(None), shared),
            sa.and_(Course.owner_partner_id == partner.id, sa.true() if partner.is_whitelabel else sa.false()),
        ))
        .order_by(Course.title)
    ).scalars().all()
    return [(course, price_for(course, partner)) for course in courses]


def settings() -> PlatformSettings:
    row = db.session.execute(db.select(PlatformSettings).limit(1)).scalar_one_or_none()
    if row is None:
        row = PlatformSettings(low_balance_threshold=10, refund_on_cancel=True)
        db.session.add(row)
        db.session.flush()
    return row


def low_balance_threshold(partner: Partner) -> int:
    if partner.low_balance_threshold is not None:
        return partner.low_balance_threshold
    return settings().low_balance_threshold


# --- enrolment -----------------------------------------------------------------


def active_enrolment(student: User, course: Course) -> Enrolment | None:
    """The student's current participation in the course (active, or completed and kept)."""
    return db.session.execute(
        db.select(Enrolment).where(
            Enrolment.user_id == student.id,
            Enrolment.course_id == course.id,
            Enrolment.status.in_(("active", "completed")),
        )
    ).scalars().first()


def enrol_student(actor: User, partner: Partner, student: User, course: Course) -> Enrolment:
    """Enrol ``student`` in ``course`` and debit the partner's wallet, atomically.

    Raises CourseNotShared, NotYourStudent, AlreadyEnrolled or
    InsufficientCredits; in every case nothing is enrolled or debited.
    """
    if student.role != Role.STUDENT.value or student.partner_id != partner.id:
        raise NotYourStudent(_l("This student does not belong to your organisation."))
    if not student.is_active:
        raise InactiveStudent(_l("This student is deactivated: reactivate them first."))
    price = price_for(course, partner)
    if price is None:
        raise CourseNotShared(_l("This course is not available to your organisation."))
    wallet = wallets.wallet_of(partner)
    # Every enrolment of this partner queues on its wallet row, so the check
    # for an existing enrolment below sees every committed one.
    wallets.lock_wallets(wallet.id)
    enrolment, _entry = _enrol_locked(actor, partner, student, course, price=price, wallet=wallet)
    return enrolment


def _enrol_locked(
    actor: User, partner: Partner, student: User, course: Course, *, price: int, wallet: Wallet,
    warn_low_balance: bool = True,
) -> tuple[Enrolment, WalletEntry | None]:
    """The enrolment and its debit, with the partner's wallet row already locked.

    The caller has checked that the student is the partner's and that the
    course is shared at ``price``. Raises AlreadyEnrolled or InsufficientCredits.
    A bulk enrolment passes ``warn_low_balance=False`` and warns once itself.
    """
    if active_enrolment(student, course) is not None:
        raise AlreadyEnrolled(_l("%(email)s is already enrolled in %(course)s.", email=student.email, course=course.title))
    if wallet.balance < price:
        db.session.refresh(wallet, ["balance"])
        if wallet.balance < price:
            raise InsufficientCredits(needed=price, available=wallet.balance)

    enrolment = Enrolment(
        user_id=student.id,
        course_id=course.id,
        partner_id=partner.id,
        status="active",
        start_date=utcnow().date(),
        credits_charged=price,
        enrolled_by_id=actor.id,
    )
    db.session.add(enrolment)
    db.session.flush()
    entry = wallets.debit_for_enrolment(
        wallet, price, enrolment_id=enrolment.id, actor=actor,
        note=f"{student.email} — {course.title}",
        idempotency_key=f"enrolment:{enrolment.id}:debit",
    )
    audit.record(actor, "enrolment.created", enrolment, partner_id=partner.id,
                 student=student.email, course=course.title, credits=price)
    if entry is not None and warn_low_balance:
        warn_if_low_balance(partner, entry)
    return enrolment, entry


def cancel_enrolment(actor: User, partner: Partner, enrolment: Enrolment) -> WalletEntry | None:
    """Cancel a partner's enrolment; refund it if the platform's settings say so."""
    if enrolment.partner_id != partner.id:
        raise NotYourStudent(_l("This enrolment does not belong to your organisation."))
    if enrolment.status != "active":
        raise DomainError(_l("This enrolment is not active."))
    enrolment.status = "cancelled"
    enrolment.cancelled_at = utcnow()
    refund_entry = None
    if settings().refund_on_cancel and enrolment.credits_charged:
        debit = db.session.execute(
            db.select(WalletEntry)
            .where(WalletEntry.enrolment_id == enrolment.id, WalletEntry.kind == "enrolment_debit")
            .order_by(WalletEntry.id.desc())
        ).scalars().first()
        if debit is not None:
            # The kind ("Enrolment refund") says what it is, in the reader's language; the note holds data only.
            refund_entry = wallets.refund(debit, actor=actor,
                                          note=f"{enrolment.user.email} — {enrolment.course.title}")
    db.session.flush()
    audit.record(actor, "enrolment.cancelled", enrolment, partner_id=partner.id,
                 refunded=refund_entry.amount if refund_entry else 0)
    return refund_entry


def partner_enrolments_query(partner: Partner, status: str | None = None):
    """The partner's paid enrolments, newest first, optionally of one status."""
    query = db.select(Enrolment).where(Enrolment.partner_id == partner.id)
    if status in {"active", "cancelled", "completed"}:
        query = query.where(Enrolment.status == status)
    return query.order_by(Enrolment.id.desc())


def enrolments_of(user: User) -> list[Enrolment]:
    return db.session.execute(
        db.select(Enrolment)
        .where(Enrolment.user_id == user.id, Enrolment.status != "cancelled")
        .order_by(Enrolment.created_at.desc())
    ).scalars().all()


# --- notifications -------------------------------------------------------------


def _admins_of(partner: Partner) -> list[User]:
    return db.session.execute(
        db.select(User).where(User.role == Role.PARTNER_ADMIN.value, User.partner_id == partner.id, User.is_active_account.is_(True))
    ).scalars().all()


def _platform_admins() -> list[User]:
    return db.session.execute(
        db.select(User).where(User.role == Role.PLATFORM_ADMIN.value, User.is_active_account.is_(True))
    ).scalars().all()


def notify_insufficient_credits(partner: Partner, course: Course, error: InsufficientCredits) -> bool:
    """Tell the platform and the partner's admins, at most once an hour per partner.

    The claim is one conditional UPDATE, so two refused requests at the same
    moment send one alert. Returns whether an alert was queued.
    """
    now = utcnow()
    table = Partner.__table__
    claimed = db.session.execute(
        sa.update(table)
        .where(table.c.id == partner.id)
        .where(sa.or_(table.c.last_credit_alert_at.is_(None), table.c.last_credit_alert_at < now - ALERT_INTERVAL))
        .values(last_credit_alert_at=now)
    ).rowcount
    if claimed != 1:
        return False
    context = dict(partner=partner, course=course, needed=error.needed, available=error.available,
                   missing=error.missing, platform_name=current_app.config["PLATFORM_NAME"])
    for user in _platform_admins() + _admins_of(partner):
        queue_email("insufficient_credits", user,
                    _l("%(partner)s: not enough credits to enrol in %(course)s",
                       partner=partner.name, course=course.title), **context)
    return True


def warn_if_low_balance(partner: Partner, entry: WalletEntry) -> None:
    """One warning per downward crossing of the threshold (exact: the entry knows both sides)."""
    warn_if_balance_crossed(partner, entry.balance_after - entry.amount, entry.balance_after)


def warn_if_balance_crossed(partner: Partner, before: int, after: int) -> None:
    """Warn the partner's admins if the balance went from at/above the threshold to below it.

    A bulk enrolment calls it once with the balance before and after the
    whole batch, so many debits crossing once send one warning.
    """
    threshold = low_balance_threshold(partner)
    if before >= threshold > after:
        for user in _admins_of(partner):
            queue_email("low_balance", user, _l("%(partner)s: credit balance is low", partner=partner.name),
                        partner=partner, balance=after, threshold=threshold,
                        platform_name=current_app.config["PLATFORM_NAME"])
