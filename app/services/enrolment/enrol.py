"""Enrolment of students by a partner, paid with the partner's credits; cancelling it.

The debit and the enrolment are one transaction: both happen or neither.
Every enrolment of a partner queues on its wallet row, locked once
(``wallets.locked_wallet_of``: the lock and the balance in one statement),
then on the student's row (``participation.lock_participant``), so the check
for an existing participation sees every committed one. The happy path is
eight statements: the two locks, the participation check and the
enrolment (``participation.join_course``), the balance and the debit entry,
the audit event, the low-balance threshold. The lists of enrolments are in
``listing``.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    PARTICIPATING, Course, Enrolment, EnrolmentStatus, EntryKind, Partner, User, Wallet, WalletEntry,
)
from app.models.base import utcnow
from app.services import DomainError, audit
from app.services.catalog.pricing import CourseNotShared, require_price  # noqa: F401  (refusals of enrol_student)
from app.services.access import participation
from app.services.ledger import wallets
from app.services.ledger.wallets import InsufficientCredits
from app.services.people.students import NotYourStudent, check_student  # noqa: F401  (a refusal of these use cases)
from app.services.tenancy.credit_alerts import notify_insufficient_credits, warn_if_balance_crossed
from app.services.tenancy.settings import low_balance_threshold, settings
from app.transactions import keep_despite_refusal


class AlreadyEnrolled(DomainError):
    field = "student_id"


class InactiveStudent(DomainError):
    field = "student_id"


class EnrolmentNotActive(DomainError):
    pass


# --- rules -----------------------------------------------------------------------


def participating_user_ids(course: Course, user_ids: list[int], chunk: int = 500) -> set[int]:
    """Which of ``user_ids`` already participate in ``course``."""
    found: set[int] = set()
    ids = sorted(set(user_ids))
    for start in range(0, len(ids), chunk):
        found.update(db.session.execute(
            sa.select(Enrolment.user_id).where(
                Enrolment.course_id == course.id,
                Enrolment.user_id.in_(ids[start:start + chunk]),
                Enrolment.status.in_(PARTICIPATING),
            )
        ).scalars())
    return found


def check_enrollable(partner: Partner, student: User) -> None:
    """The partner's own, active student; else NotYourStudent or InactiveStudent."""
    check_student(partner, student)
    if not student.is_active:
        raise InactiveStudent(_l("This student is deactivated: reactivate them first."))


# --- use cases -------------------------------------------------------------------


def enrol_student(actor: User, partner: Partner, student: User, course: Course) -> Enrolment:
    """Enrol ``student`` in ``course`` and debit the partner's wallet, atomically.

    Refusals, with nothing enrolled or debited: NotYourStudent, InactiveStudent,
    CourseNotShared, AlreadyEnrolled, InsufficientCredits. Short of credits,
    the platform and the partner's admins are told (at most once an hour;
    ``error.told`` says whether this refusal told them), and that alert is kept.
    """
    check_enrollable(partner, student)
    price = require_price(course, partner)
    # Read before the wallet's lock, not under it: every enrolment of the partner queues on that lock.
    threshold = low_balance_threshold(partner)
    wallet = wallets.locked_wallet_of(partner)
    try:
        enrolment = enrol_locked(actor, partner, student, course, price=price, wallet=wallet, threshold=threshold)
    except InsufficientCredits as error:
        error.told = notify_insufficient_credits(partner, course, error)
        keep_despite_refusal()
        raise
    return enrolment


def enrol_locked(
    actor: User, partner: Partner, student: User, course: Course, *, price: int, wallet: Wallet,
    threshold: int | None = None,
) -> Enrolment:
    """The enrolment and its debit, with the partner's wallet row already locked by the caller.

    ``wallet.balance`` was read under that lock; ``threshold`` (the low-balance
    warning's) may have been read before it (None: read here). The caller has
    checked the student (``check_enrollable``) and the price (``require_price``). Raises
    AlreadyEnrolled or InsufficientCredits before writing anything (a student
    already enrolled is told so, even when the credits would not pay).
    """
    participation.lock_participant(student)
    if wallet.balance < price:
        if participation.participating_enrolment(student, course) is not None:
            raise _already_enrolled(student, course)
        raise InsufficientCredits(needed=price, available=wallet.balance)
    # The one participation function every way in uses (app.services.access); a partner's is always new.
    enrolment, is_new = participation.join_course(actor, student, course, start_date=participation.today(),
                                                  partner=partner, credits=price)
    if not is_new:
        raise _already_enrolled(student, course)
    before = wallet.balance
    after = wallets.debit_for_enrolments(wallet, price, [enrolment.id], actor=actor,
                                         notes=[f"{student.email} — {course.title}"])
    audit.record(actor, "enrolment.created", enrolment, partner_id=partner.id,
                 student=student.email, course=course.title, credits=price)
    warn_if_balance_crossed(partner, before, after, threshold=threshold)
    return enrolment


def enrol_many(actor: User, partner: Partner, course: Course, students: list[User], *, price: int,
               wallet: Wallet) -> list[Enrolment | None]:
    """``enrol_locked`` for a batch (bulk enrolment), set-based: a few statements whatever the batch's size.

    The caller holds the wallet's lock, has checked each student (the
    partner's own, active) and that the balance pays for all of them: the
    debit would otherwise raise InsufficientCredits after the enrolments are
    written (the caller's transaction then rolls back). The students' rows are
    locked (in id order), they join the course together (``join_courses``:
    one participation per user and course), the new enrolments are debited
    in one move, and each gets its audit event. Returns, per student, the new
    enrolment, or None for one who already participates (nothing charged).
    """
    participation.lock_participants(students)
    joined = participation.join_courses(actor, students, course, start_date=participation.today(),
                                        partner=partner, credits=price)
    new = [(student, enrolment) for student, (enrolment, is_new) in zip(students, joined) if is_new]
    wallets.debit_for_enrolments(wallet, price, [enrolment.id for _student, enrolment in new], actor=actor,
                                 notes=[f"{student.email} — {course.title}" for student, _enrolment in new])
    audit.record_many(actor, "enrolment.created", [
        (enrolment, dict(student=student.email, course=course.title, credits=price)) for student, enrolment in new
    ], partner_id=partner.id)
    return [enrolment if is_new else None for enrolment, is_new in joined]


def _already_enrolled(student: User, course: Course) -> AlreadyEnrolled:
    return AlreadyEnrolled(_l("%(student)s is already enrolled in %(course)s. Nothing was charged.",
                              student=student.email, course=course.title))


def cancel_enrolment(actor: User, partner: Partner, enrolment: Enrolment) -> WalletEntry | None:
    """Cancel a partner's enrolment; refund it if the platform's settings say so.

    The enrolment row is locked and read again first (``FOR UPDATE`` with
    ``populate_existing``: the status loaded before the lock may be stale), so
    of several cancels at once one cancels it and the others are refused:
    one refund, one audit event.
    """
    if enrolment.partner_id != partner.id:
        raise NotYourStudent(_l("This enrolment does not belong to your organisation."))
    db.session.execute(
        sa.select(Enrolment).where(Enrolment.id == enrolment.id)
        .with_for_update().execution_options(populate_existing=True)
    ).scalar_one()
    if enrolment.status != EnrolmentStatus.ACTIVE:
        raise EnrolmentNotActive(_l("This enrolment is no longer active."))
    if participation.active_grants_holding(enrolment):
        # A grant holds it too: the partner's hold ends (and is refunded below), the participation stays.
        enrolment.partner_id = None
    else:
        enrolment.status = EnrolmentStatus.CANCELLED
        enrolment.cancelled_at = utcnow()
    refund_entry = None
    if settings().refund_on_cancel and enrolment.credits_charged:
        debit = db.session.execute(
            db.select(WalletEntry)
            .where(WalletEntry.enrolment_id == enrolment.id, WalletEntry.kind == EntryKind.ENROLMENT_DEBIT.value)
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


# --- reading ---------------------------------------------------------------------


def enrolments_of(user: User) -> list[Enrolment]:
    return db.session.execute(
        db.select(Enrolment)
        .where(Enrolment.user_id == user.id, Enrolment.status.in_(PARTICIPATING))
        .order_by(Enrolment.created_at.desc())
    ).scalars().all()
