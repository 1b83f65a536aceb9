"""A bulk enrolment's life: preview, request, run all or nothing (inline or as a job), resume, fail."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Callable, Iterable

import sqlalchemy as sa
from flask_babel import format_decimal, gettext as _

from app.extensions import db
from app.i18n import credits_text
from app.models import FINISHED_BULK, BulkEnrolment, BulkStatus, Course, Partner, Role, User
from app.models.base import utcnow
from app.queue import enqueue_after_commit
from app.services import DomainError, audit
from app.services.catalog.pricing import price_for, require_price
from app.services.tenancy.credit_alerts import notify_insufficient_credits, warn_if_balance_crossed
from app.services.enrolment.bulk.classify import classify, student_ids as parse_student_ids, users_by
from app.services.enrolment.bulk.emails import MAX_ROWS, email_rows as parse_email_rows
from app.services.enrolment.bulk.rows import (
    NOTHING_CHARGED, Outcome, Preview, Row, encode_batch_error, merge_results, result_row,
)
from app.services.enrolment.enrol import NotYourStudent, enrol_many
from app.services.exports.csv_upload import UploadError
from app.services.ledger import wallets
from app.services.ledger.wallets import InsufficientCredits

log = logging.getLogger(__name__)

# At most this many rows run inside the request; more go to a background job.
INLINE_LIMIT = 50
# Rows enrolled together (a lock of their students, one insert of enrolments, one debit, one insert of
# entries and one of audit events); a running job reports its progress after each batch.
BATCH = 100
# A batch still waiting after this long has lost its job (a worker died): it is queued again.
STALE_AFTER = timedelta(minutes=10)
RUN_JOB = "app.jobs.bulk.run_bulk_enrolment_job"


class NothingToEnrol(DomainError):
    pass


class PriceChanged(DomainError):
    pass


def preview_bulk_enrolment(
    partner: Partner, course: Course, students: Iterable | None = None, emails: str | bytes | list | None = None,
) -> Preview:
    """What enrolling these rows would do now, and what it would cost. Writes nothing.

    ``students``: ids (or User objects) of students; ``emails``: pasted text or
    CSV bytes (see ``read_email_list``), or a list of emails.
    """
    price = require_price(course, partner)
    student_ids = parse_student_ids(s.id if isinstance(s, User) else s for s in (students or []))
    email_rows = parse_email_rows(emails)
    if not student_ids and not email_rows:
        raise UploadError(_("Choose students, paste emails or upload a CSV file."))
    rows = classify(partner, course, student_ids, email_rows)
    balance = wallets.wallet_of(partner).balance
    return Preview(partner=partner, course=course, price=price, balance=balance, rows=rows,
                   picked_ids=student_ids, email_rows=email_rows)


def request_bulk_enrolment(
    actor: User, partner: Partner, course: Course, student_ids: Iterable, *, expected_price: int | None = None,
    picked: Iterable = (), emails: str | bytes | list | tuple | None = None,
) -> BulkEnrolment:
    """Store the confirmed list as a pending bulk enrolment (checked again, nothing charged yet).

    ``student_ids`` are the students the confirmed preview would enrol;
    ``picked`` and ``emails`` what the preview was asked (ticked ids, email
    rows), classified again here so that every row, skipped ones too, is
    kept in ``results`` in the preview's order. Only ``student_ids`` are
    ever enrolled: a row that became enrollable since the preview is listed
    as not enrolled.

    Refuses ids that are not the partner's students (NotYourStudent), a
    course no longer shared (CourseNotShared), a price different from the
    one previewed (PriceChanged), a list that would enrol nobody now, and a
    total no wallet can hold (InsufficientCredits).
    """
    price = require_price(course, partner)
    if expected_price is not None and expected_price != price:
        raise PriceChanged(_("The price of this course changed since the preview: it is now %(credits)s "
                             "per student. Check the preview again.", credits=credits_text(price)))
    ids = list(dict.fromkeys(parse_student_ids(student_ids)))
    if not ids:
        raise NothingToEnrol(_("Choose at least one student."))
    if len(ids) > MAX_ROWS:
        raise UploadError(_("At most %(max)s rows at a time. Split the list.", max=format_decimal(MAX_ROWS)))
    users = users_by(User.id, ids)
    if any(users.get(i) is None or users[i].role != Role.STUDENT.value or users[i].partner_id != partner.id
           for i in ids):
        raise NotYourStudent()
    rows = classify(partner, course, ids, [])
    count = sum(1 for row in rows if row.outcome == Outcome.WILL_ENROL)
    if count == 0:
        raise NothingToEnrol(_("Nobody in this list can be enrolled now: they are already enrolled or inactive."))
    total = count * price
    if total > wallets.MAX_BALANCE:
        # No wallet can ever hold that much (and the total would not fit the column).
        available = wallets.wallet_of(partner).balance
        error = InsufficientCredits(needed=total, available=available)
        error.message = f"{error.message} {NOTHING_CHARGED}"
        raise error
    layout = _layout(partner, course, ids, rows, parse_student_ids(picked), parse_email_rows(emails))
    bulk = BulkEnrolment(
        partner_id=partner.id, course_id=course.id, requested_by_id=actor.id, status=BulkStatus.PENDING,
        student_ids=ids, results=layout, total_cost=total, price=price,
    )
    db.session.add(bulk)
    db.session.flush()
    audit.record(actor, "bulk_enrolment.requested", bulk, partner_id=partner.id, course=course.title,
                 rows=len(layout), to_enrol=count, price=price, total_cost=total)
    return bulk


def preview_again(partner: Partner, course: Course, *, ids: Iterable, picked: Iterable = (),
                  emails: list | None = None) -> Preview:
    """The preview as it stands now, shown again after a confirmation was refused.

    What the preview was asked (ticked ids, email rows) if it is known, else the confirmed ids.
    """
    if picked or emails:
        return preview_bulk_enrolment(partner, course, students=picked, emails=emails)
    return preview_bulk_enrolment(partner, course, students=ids)


def _layout(partner: Partner, course: Course, ids: list[int], confirmed_rows: list[Row], picked: list[int],
            email_rows: list[tuple[int, str]]) -> list[dict]:
    """Every requested row in the preview's order, as ``results`` keeps it until the run.

    A confirmed student's row waits for the run ("will_enrol"); any other row
    says now why it is skipped. Confirmed students the request did not
    mention come last, in their order.
    """
    confirmed = set(ids)
    placed: set[int] = set()
    layout = []
    if picked or email_rows:
        for row in classify(partner, course, picked, email_rows):
            student_id = row.student.id if row.student is not None else None
            if student_id in confirmed and student_id not in placed:
                placed.add(student_id)
                layout.append(result_row(row, Outcome.WILL_ENROL))
            elif row.outcome == Outcome.WILL_ENROL:
                layout.append(result_row(row, Outcome.NOT_ENROLLED, reason="not_in_preview"))
            else:
                layout.append(result_row(row))
    for student_id, row in zip(ids, confirmed_rows):
        if student_id not in placed:
            layout.append(result_row(row, Outcome.WILL_ENROL))
    return layout


def confirm_bulk_enrolment(
    actor: User, partner: Partner, course: Course, student_ids: Iterable, *, expected_price: int | None = None,
    picked: Iterable = (), emails: str | bytes | list | tuple | None = None,
) -> BulkEnrolment:
    """Request it, then run it now (at most INLINE_LIMIT rows) or in a job after the commit."""
    bulk = request_bulk_enrolment(actor, partner, course, student_ids, expected_price=expected_price,
                                  picked=picked, emails=emails)
    if runs_inline(bulk):
        run_bulk_enrolment(bulk.id)
    else:
        _enqueue(bulk.id)
    return bulk


RUN_JOB = "app.jobs.bulk.run_bulk_enrolment_job"


def _enqueue(bulk_id: int) -> None:
    enqueue_after_commit(RUN_JOB, bulk_id)


def resume_stale_bulk_enrolments(older_than: timedelta = STALE_AFTER) -> int:
    """Queue again (after the commit) every batch still pending after ``older_than``; how many.

    Its job was lost (a worker died mid-job, a Redis flush). Queuing one that
    is only slow is harmless: the run takes the wallet lock, then re-reads
    the batch's status and leaves a finished one unchanged, so the second
    run enrols and charges nobody.
    """
    cutoff = utcnow() - older_than
    ids = db.session.execute(
        sa.select(BulkEnrolment.id)
        .where(BulkEnrolment.status == BulkStatus.PENDING, BulkEnrolment.created_at < cutoff)
        .order_by(BulkEnrolment.id)
    ).scalars().all()
    for bulk_id in ids:
        log.warning("bulk enrolment %s still pending after %s: queued again", bulk_id, older_than)
        _enqueue(bulk_id)
    return len(ids)


def is_delayed(bulk: BulkEnrolment, now: datetime | None = None) -> bool:
    """Whether the batch is still waiting after STALE_AFTER (its job is probably lost)."""
    return bulk.status in (BulkStatus.PENDING, BulkStatus.RUNNING) and bulk.created_at < (now or utcnow()) - STALE_AFTER


def runs_inline(bulk: BulkEnrolment) -> bool:
    return len(bulk.student_ids) <= INLINE_LIMIT
def _refuse_all(bulk: BulkEnrolment, rows: list[Row], error: str) -> BulkEnrolment:
    """Refuse the whole batch; ``error`` is ``encode_batch_error(...)``, worded when read."""
    bulk.status = BulkStatus.FAILED
    bulk.error = error
    bulk.finished_at = utcnow()
    bulk.results = merge_results(bulk, rows, refused=True)
    return bulk


def run_bulk_enrolment(bulk_id: int, progress: Callable[[int, int], None] | None = None) -> BulkEnrolment:
    """Apply a pending bulk enrolment, all or nothing, in the caller's transaction.

    A batch short of credits is refused as a whole (status 'failed', nobody
    enrolled, nothing charged, the admins told). A batch already finished is
    returned unchanged, so running it twice enrols nobody twice.
    """
    bulk = db.session.get(BulkEnrolment, bulk_id)
    if bulk is None:
        raise DomainError(f"Bulk enrolment {bulk_id} does not exist.")
    partner = db.session.get(Partner, bulk.partner_id)
    course = db.session.get(Course, bulk.course_id)
    actor = db.session.get(User, bulk.requested_by_id)
    # One lock for the whole batch (and the balance read under it): every other
    # enrolment or debit of this partner waits, so the classification and the balance stay true.
    wallet = wallets.locked_wallet_of(partner)
    db.session.refresh(bulk)
    if bulk.status in FINISHED_BULK:
        return bulk

    rows = classify(partner, course, list(bulk.student_ids), [])
    total = len(rows)
    if progress is not None:
        progress(0, total)
    price = price_for(course, partner)
    if price is None:
        audit.record(actor, "bulk_enrolment.refused", bulk, partner_id=partner.id, course=course.title,
                     reason="course_not_shared")
        return _refuse_all(bulk, rows, encode_batch_error("course_not_shared"))
    if price != bulk.price:
        # The admin confirmed a total at bulk.price: never charge another one.
        audit.record(actor, "bulk_enrolment.refused", bulk, partner_id=partner.id, course=course.title,
                     reason="price_changed", confirmed_price=bulk.price, price=price)
        return _refuse_all(bulk, rows, encode_batch_error("price_changed", course=course.title,
                                                          confirmed=bulk.price, price=price))
    to_enrol = [row for row in rows if row.outcome == Outcome.WILL_ENROL]
    needed = len(to_enrol) * price
    if needed > wallet.balance:
        error = InsufficientCredits(needed=needed, available=wallet.balance)
        told = notify_insufficient_credits(partner, course, error)
        audit.record(actor, "bulk_enrolment.refused", bulk, partner_id=partner.id, course=course.title,
                     needed=error.needed, available=error.available)
        return _refuse_all(bulk, rows, encode_batch_error(
            "insufficient_credits", admins_told=told, needed=error.needed, available=error.available,
            missing=error.missing))

    before = wallet.balance
    charged = 0
    for start in range(0, total, BATCH):
        batch = [row for row in rows[start:start + BATCH] if row.outcome == Outcome.WILL_ENROL]
        charged += _enrol_rows(actor, partner, course, batch, price=price, wallet=wallet)
        if progress is not None:
            progress(min(start + BATCH, total), total)
    warn_if_balance_crossed(partner, before, wallet.balance)
    bulk.total_cost = charged
    bulk.results = merge_results(bulk, rows)
    bulk.status = BulkStatus.DONE
    bulk.finished_at = utcnow()
    enrolled = sum(1 for row in rows if row.outcome == Outcome.ENROLLED)
    audit.record(actor, "bulk_enrolment.done", bulk, partner_id=partner.id, course=course.title,
                 enrolled=enrolled, skipped=len(bulk.results) - enrolled, credits=charged)
    return bulk


def _enrol_rows(actor: User, partner: Partner, course: Course, rows: list[Row], *, price: int, wallet) -> int:
    """Enrol the rows' students together (``enrol_many``); mark each row's outcome; return the credits charged."""
    if not rows:
        return 0
    enrolled = enrol_many(actor, partner, course, [row.student for row in rows], price=price, wallet=wallet)
    for row, enrolment in zip(rows, enrolled):
        if enrolment is None:  # enrolled meanwhile by another way in (a grant): skipped, not charged
            row.outcome = Outcome.ALREADY_ENROLLED
        else:
            row.outcome, row.credits = Outcome.ENROLLED, price
    return price * sum(1 for enrolment in enrolled if enrolment is not None)


def mark_bulk_failed(bulk_id: int) -> BulkEnrolment | None:
    """Record that a bulk enrolment stopped on an unexpected error (its work was rolled back)."""
    bulk = db.session.get(BulkEnrolment, bulk_id)
    if bulk is None or bulk.status in FINISHED_BULK:
        return bulk
    rows = [Row(None, "", Outcome.WILL_ENROL) for _id in bulk.student_ids]
    users = users_by(User.id, list(bulk.student_ids))
    for row, student_id in zip(rows, bulk.student_ids):
        row.student = users.get(student_id)
        row.email = row.student.email if row.student is not None else ""
    _refuse_all(bulk, rows, encode_batch_error("unexpected"))
    audit.record(None, "bulk_enrolment.failed", bulk, partner_id=bulk.partner_id, error="unexpected")
    return bulk


def recent_bulk_enrolments(partner: Partner, limit: int = 10) -> list[BulkEnrolment]:
    return db.session.execute(
        sa.select(BulkEnrolment).where(BulkEnrolment.partner_id == partner.id)
        .order_by(BulkEnrolment.id.desc()).limit(limit)
    ).scalars().all()


def bulk_of(partner: Partner, bulk_id: int) -> BulkEnrolment | None:
    """The partner's own bulk enrolment; another partner's is not found."""
    bulk = db.session.get(BulkEnrolment, bulk_id)
    if bulk is None or bulk.partner_id != partner.id:
        return None
    return bulk
