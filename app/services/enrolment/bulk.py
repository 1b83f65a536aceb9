"""Bulk enrolment by a partner: preview the cost, then enrol all or nothing.

1. ``preview_bulk_enrolment`` resolves a list of students (ticked in a list,
   or emails pasted or uploaded as CSV) and says what would happen to each
   row, the total cost and whether the balance pays for it. Nothing is written.
2. ``request_bulk_enrolment`` stores the confirmed list (the students the
   preview would enrol) and the price confirmed as a pending ``BulkEnrolment``.
   Given what was asked (the ticked ids and the email rows), it classifies
   them again and keeps, in ``results``, what happens to every row in the
   preview's order, so the result page lists the rows that are skipped too.
3. ``run_bulk_enrolment`` applies it in one transaction: the partner's wallet
   is locked once, every row is classified again (things change between the
   preview and the confirmation), the price and the total are checked, and
   only then is each student enrolled and charged through the same code path
   as a single enrolment. A price changed since the confirmation, or a
   balance short of credits, and nobody is enrolled.

``confirm_bulk_enrolment`` is the confirmation as the page does it: small
batches run at once, larger ones in a background job after the commit.
The caller (view, job, CLI) commits once. A batch whose worker died stays
'pending': ``resume_stale_bulk_enrolments`` (``flask resume-bulk-enrolments``)
queues it again; running a batch twice is safe.
"""

from __future__ import annotations

import csv
import enum
import io
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Iterable

import sqlalchemy as sa
from flask_babel import gettext, gettext as _, lazy_gettext as _l

from app.extensions import db
from app.i18n import N_, credits_text, format_credits
from app.models import BulkEnrolment, Company, Course, Enrolment, Partner, Role, User
from app.models.base import utcnow
from app.services import DomainError, audit
from app.services.ledger import wallets
from app.services.enrolment.enrol import (
    AlreadyEnrolled, CourseNotShared, NotYourStudent, _enrol_locked, notify_insufficient_credits, price_for,
    warn_if_balance_crossed,
)
from app.services.people.students import active_students_query
from app.services.people.users import normalise_email
from app.services.ledger.wallets import InsufficientCredits
from app.models.base import parse_id
from app.queue import enqueue_after_commit

log = logging.getLogger(__name__)

MAX_ROWS = 2000
MAX_BYTES = 2 * 1024 * 1024
# At most this many rows run inside the request; more go to a background job.
INLINE_LIMIT = 50
# A running job reports its progress every this many rows.
PROGRESS_EVERY = 20
# Statuses of an enrolment that already make the student a participant
# (kept in step with enrolments.active_enrolment, which re-checks each row).
PARTICIPATING = ("active", "completed")
# A batch still waiting after this long has lost its job (a worker died): it is queued again.
STALE_AFTER = timedelta(minutes=10)

EMAIL_HEADERS = {
    "email", "e-mail", "mail", "email address", "e-mail address",
    "indirizzo email", "indirizzo e-mail", "endereço de email", "endereço de e-mail",
}
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class BulkInputError(DomainError):
    """The list or file as a whole cannot be read; the message says why (translated)."""


class NothingToEnrol(DomainError):
    pass


class PriceChanged(DomainError):
    pass


class Outcome(str, enum.Enum):
    WILL_ENROL = "will_enrol"  # preview
    ENROLLED = "enrolled"  # result
    ALREADY_ENROLLED = "already_enrolled"
    INACTIVE = "inactive"
    NOT_YOUR_STUDENT = "not_your_student"
    UNKNOWN_EMAIL = "unknown_email"
    INVALID_EMAIL = "invalid_email"
    DUPLICATE = "duplicate"
    NOT_ENROLLED = "not_enrolled"  # result: the whole batch was refused


@dataclass
class Row:
    line: int | None  # the line of the pasted text or file; None for a ticked student
    email: str
    outcome: Outcome
    student: User | None = None
    credits: int = 0

    @property
    def name(self) -> str:
        return self.student.name if self.student is not None else ""


@dataclass
class Preview:
    partner: Partner
    course: Course
    price: int
    balance: int
    rows: list[Row] = field(default_factory=list)
    # What was asked, as the confirmation sends it back to be classified again.
    picked_ids: list[int] = field(default_factory=list)
    email_rows: list[tuple[int, str]] = field(default_factory=list)

    @property
    def to_enrol(self) -> list[Row]:
        return [row for row in self.rows if row.outcome == Outcome.WILL_ENROL]

    @property
    def count(self) -> int:
        return len(self.to_enrol)

    @property
    def skipped(self) -> int:
        return len(self.rows) - self.count

    @property
    def total_cost(self) -> int:
        return self.count * self.price

    @property
    def enough(self) -> bool:
        return self.total_cost <= self.balance

    @property
    def missing(self) -> int:
        return max(0, self.total_cost - self.balance)

    @property
    def can_confirm(self) -> bool:
        return self.count > 0 and self.enough

    @property
    def student_ids(self) -> list[int]:
        """What the confirmation sends: the students this preview would enrol."""
        return [row.student.id for row in self.to_enrol]

    @property
    def counts(self) -> Counter:
        return Counter(row.outcome for row in self.rows)


# --- reading a list of emails ------------------------------------------------------------


def read_email_list(data: str | bytes) -> list[tuple[int, str]]:
    """``(line, email)`` for each row of pasted text or a CSV file, or ``BulkInputError``.

    One email per line, several separated by commas or semicolons, or a CSV
    whose header row names an ``email`` column (other columns are ignored).
    UTF-8 with or without a BOM; comma, semicolon or tab delimited.
    """
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise BulkInputError(_("The file is larger than 2 MB. Split it into smaller files."))
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BulkInputError(
                _("The file is not UTF-8 text. In Excel, save it as \"CSV UTF-8\" and upload it again.")
            ) from None
    else:
        text = data.removeprefix("\ufeff")
    if "\x00" in text:
        raise BulkInputError(_("This is not a CSV text file."))
    if not text.strip():
        return []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows: list[tuple[int, str]] = []
    column: int | None = None
    first = True
    try:
        for cells in reader:
            cells = [cell.replace("\ufeff", "").strip() for cell in cells]
            if not any(cells):
                continue
            if first:
                first = False
                column = _email_column(cells)
                if column is not None:
                    continue
                if len([c for c in cells if c]) > 1 and not any("@" in c for c in cells):
                    raise BulkInputError(_(
                        "The first row has several columns but none is named email; found: %(found)s.",
                        found=", ".join(c for c in cells if c),
                    ))
            if column is not None:
                emails = [cells[column] if column < len(cells) else ""]
            else:
                emails = [c for c in cells if c]
                if len(emails) > 1 and not all("@" in c for c in emails):
                    raise BulkInputError(_(
                        "Line %(line)s has several columns. Add a header row that names the email column, "
                        "or put one email per line.", line=reader.line_num,
                    ))
            for email in emails:
                rows.append((reader.line_num, email))
                if len(rows) > MAX_ROWS:
                    raise BulkInputError(_("At most %(max)s rows at a time. Split the list.", max=MAX_ROWS))
    except csv.Error as exc:
        raise BulkInputError(
            _("The file is not a valid CSV (line %(line)s): %(error)s", line=reader.line_num, error=str(exc))
        ) from None
    return rows


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _email_column(cells: list[str]) -> int | None:
    for index, cell in enumerate(cells):
        if " ".join(cell.strip('"').lower().split()) in EMAIL_HEADERS:
            return index
    return None


def _is_email(email: str) -> bool:
    return len(email) <= 254 and bool(_EMAIL_RE.match(email))


# --- classifying rows --------------------------------------------------------------------


def _chunks(items: list, size: int = 500) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _users_by(column, values: list) -> dict:
    found = {}
    for chunk in _chunks(sorted(set(values))):
        for user in db.session.execute(sa.select(User).where(column.in_(chunk))).scalars():
            found[getattr(user, column.key)] = user
    return found


def _participating(course: Course, user_ids: list[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(sorted(set(user_ids))):
        found.update(db.session.execute(
            sa.select(Enrolment.user_id).where(
                Enrolment.course_id == course.id,
                Enrolment.user_id.in_(chunk),
                Enrolment.status.in_(PARTICIPATING),
            )
        ).scalars())
    return found


def _classify(partner: Partner, course: Course, student_ids: list[int], emails: list[tuple[int, str]]) -> list[Row]:
    """What would happen to each row now; students first (in order), then emails."""
    if len(student_ids) + len(emails) > MAX_ROWS:
        raise BulkInputError(_("At most %(max)s rows at a time. Split the list.", max=MAX_ROWS))
    by_id = _users_by(User.id, student_ids)
    normalised = [(line, normalise_email(raw), raw) for line, raw in emails]
    by_email = _users_by(User.email, [email for _line, email, _raw in normalised if _is_email(email)])
    candidates = [u.id for u in list(by_id.values()) + list(by_email.values())
                  if u.role == Role.STUDENT.value and u.partner_id == partner.id]
    enrolled = _participating(course, candidates)

    seen_users: set[int] = set()
    seen_emails: set[str] = set()

    def judge(user: User) -> Outcome:
        if user.id in seen_users:
            return Outcome.DUPLICATE
        seen_users.add(user.id)
        if user.role != Role.STUDENT.value or user.partner_id != partner.id:
            return Outcome.NOT_YOUR_STUDENT
        if not user.is_active_account:
            return Outcome.INACTIVE
        if user.id in enrolled:
            return Outcome.ALREADY_ENROLLED
        return Outcome.WILL_ENROL

    rows: list[Row] = []
    for student_id in student_ids:
        user = by_id.get(student_id)
        if user is None:
            rows.append(Row(None, "", Outcome.NOT_YOUR_STUDENT))
            continue
        outcome = judge(user)
        # Another partner's user stays anonymous: only its id was sent.
        shown = user if outcome != Outcome.NOT_YOUR_STUDENT else None
        rows.append(Row(None, shown.email if shown else "", outcome, student=shown))
        if shown is not None:
            seen_emails.add(user.email)
    for line, email, raw in normalised:
        if not _is_email(email):
            rows.append(Row(line, raw, Outcome.INVALID_EMAIL))
        elif email in seen_emails:
            rows.append(Row(line, email, Outcome.DUPLICATE))
        elif email not in by_email:
            seen_emails.add(email)
            rows.append(Row(line, email, Outcome.UNKNOWN_EMAIL))
        else:
            seen_emails.add(email)
            user = by_email[email]
            outcome = judge(user)
            rows.append(Row(line, email, outcome, student=user if outcome != Outcome.NOT_YOUR_STUDENT else None))
    return rows


def _price(course: Course, partner: Partner) -> int:
    price = price_for(course, partner)
    if price is None:
        raise CourseNotShared(_("This course is not available to your organisation."))
    return price


def _ids(student_ids: Iterable) -> list[int]:
    """The ids as ints; one that is not a database id (huge, not ASCII digits) is not a student of ours."""
    ids = []
    for value in student_ids or []:
        student_id = parse_id(value)
        if student_id is None:
            raise NotYourStudent(_("This student does not belong to your organisation."))
        ids.append(student_id)
    return ids


def _email_rows(emails: str | bytes | list | tuple | None) -> list[tuple[int, str]]:
    """``(line, email)`` rows of pasted text, CSV bytes, a list of emails or of ``(line, email)`` pairs."""
    if isinstance(emails, (list, tuple)):
        rows = []
        for index, item in enumerate(emails, start=1):
            line, email = item if isinstance(item, (list, tuple)) else (index, item)
            if str(email).strip():
                rows.append((line, str(email)))
        return rows
    if emails:
        return read_email_list(emails)
    return []


# Why a row is not enrolled, as the result page says it. Rows store codes (their outcome, and a
# "reason" where the outcome is not enough); the words are chosen when the page is read, in the
# reader's language (a batch run by a background job has no language of its own).
SKIP_MESSAGES = {
    Outcome.ALREADY_ENROLLED: _l("Already enrolled in this course."),
    Outcome.INACTIVE: _l("This student's account is deactivated."),
    Outcome.NOT_YOUR_STUDENT: _l("Not one of your organisation's students."),
    Outcome.UNKNOWN_EMAIL: _l("No account has this email."),
    Outcome.INVALID_EMAIL: _l("This is not an email address."),
    Outcome.DUPLICATE: _l("Already earlier in the list."),
}


REASON_MESSAGES = {
    "not_in_preview": _l("Not in the preview you confirmed, so not enrolled. Preview again to enrol this student."),
}

# Why a whole batch was refused (``BulkEnrolment.error`` holds the code and its numbers as JSON).
BATCH_ERRORS = {
    "course_not_shared": N_("This course is no longer available to your organisation. "
                            "Nobody was enrolled and nothing was charged."),
    "price_changed": N_("The price of %(course)s changed from %(confirmed)s to %(price)s since you confirmed; "
                        "nobody was enrolled and nothing was charged. Preview again."),
    "insufficient_credits": N_("Not enough credits: %(needed)s needed, %(available)s available, "
                               "%(missing)s missing. Nobody was enrolled and nothing was charged."),
    "unexpected": N_("An unexpected error stopped the bulk enrolment. Nobody was enrolled and nothing was "
                     "charged. Try again, or contact the platform administrators."),
}
ADMINS_TOLD = {
    True: N_("The platform administrators have been told; ask them to recharge your wallet."),
    False: N_("The platform administrators were already told within the last hour; "
              "ask them to recharge your wallet."),
}
CREDIT_PARAMS = ("confirmed", "price")  # counted as credits ("12 credits")
NUMBER_PARAMS = ("needed", "available", "missing")


def row_message(row: dict) -> str:
    """Why a stored result row was not enrolled, in the reader's language ("" if it was)."""
    reason = REASON_MESSAGES.get(row.get("reason") or "")
    if reason is not None:
        return str(reason)
    try:
        skip = SKIP_MESSAGES.get(Outcome(row.get("outcome")))
    except ValueError:
        skip = None
    if skip is not None:
        return str(skip)
    return row.get("message") or ""  # a row stored before reasons were codes


def batch_error(bulk: BulkEnrolment) -> str:
    """Why the batch was refused, in the reader's language."""
    try:
        stored = json.loads(bulk.error or "")
        message = BATCH_ERRORS[stored["code"]]
    except (ValueError, TypeError, KeyError):
        return bulk.error or ""  # stored before errors were codes
    params = dict(stored.get("params") or {})
    for key in CREDIT_PARAMS:
        if key in params:
            params[key] = credits_text(params[key])
    for key in NUMBER_PARAMS:
        if key in params:
            params[key] = format_credits(params[key])
    text = gettext(message, **params)
    if "admins_told" in stored:
        text += " " + gettext(ADMINS_TOLD[bool(stored["admins_told"])])
    return text


def _batch_error(code: str, admins_told: bool | None = None, **params) -> str:
    stored = {"code": code, "params": params}
    if admins_told is not None:
        stored["admins_told"] = admins_told
    return json.dumps(stored)


# --- use cases ---------------------------------------------------------------------------


def preview_bulk_enrolment(
    partner: Partner, course: Course, students: Iterable | None = None, emails: str | bytes | list | None = None,
) -> Preview:
    """What enrolling these rows would do now, and what it would cost. Writes nothing.

    ``students``: ids (or User objects) of students; ``emails``: pasted text or
    CSV bytes (see ``read_email_list``), or a list of emails.
    """
    price = _price(course, partner)
    student_ids = _ids(s.id if isinstance(s, User) else s for s in (students or []))
    email_rows = _email_rows(emails)
    if not student_ids and not email_rows:
        raise BulkInputError(_("Choose students, paste emails or upload a CSV file."))
    rows = _classify(partner, course, student_ids, email_rows)
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
    price = _price(course, partner)
    if expected_price is not None and expected_price != price:
        raise PriceChanged(_("The price of this course changed since the preview: it is now %(price)s credits "
                             "per student. Check the preview again.", price=price))
    ids = list(dict.fromkeys(_ids(student_ids)))
    if not ids:
        raise NothingToEnrol(_("Choose at least one student."))
    if len(ids) > MAX_ROWS:
        raise BulkInputError(_("At most %(max)s rows at a time. Split the list.", max=MAX_ROWS))
    users = _users_by(User.id, ids)
    if any(users.get(i) is None or users[i].role != Role.STUDENT.value or users[i].partner_id != partner.id
           for i in ids):
        raise NotYourStudent(_("This student does not belong to your organisation."))
    rows = _classify(partner, course, ids, [])
    count = sum(1 for row in rows if row.outcome == Outcome.WILL_ENROL)
    if count == 0:
        raise NothingToEnrol(_("Nobody in this list can be enrolled now: they are already enrolled or inactive."))
    total = count * price
    if total > wallets.MAX_BALANCE:
        # No wallet can ever hold that much (and the total would not fit the column).
        available = wallets.wallet_of(partner).balance
        error = InsufficientCredits(needed=total, available=available)
        error.message = _("Not enough credits: %(needed)s needed, %(available)s available, %(missing)s missing. "
                          "Nobody was enrolled and nothing was charged.",
                          needed=total, available=available, missing=total - available)
        raise error
    layout = _layout(partner, course, ids, rows, _ids(picked), _email_rows(emails))
    bulk = BulkEnrolment(
        partner_id=partner.id, course_id=course.id, requested_by_id=actor.id, status="pending",
        student_ids=ids, results=layout, total_cost=total, price=price,
    )
    db.session.add(bulk)
    db.session.flush()
    audit.record(actor, "bulk_enrolment.requested", bulk, partner_id=partner.id, course=course.title,
                 rows=len(layout), to_enrol=count, price=price, total_cost=total)
    return bulk


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
        for row in _classify(partner, course, picked, email_rows):
            student_id = row.student.id if row.student is not None else None
            if student_id in confirmed and student_id not in placed:
                placed.add(student_id)
                layout.append(_result(row, Outcome.WILL_ENROL))
            elif row.outcome == Outcome.WILL_ENROL:
                layout.append(_result(row, Outcome.NOT_ENROLLED, reason="not_in_preview"))
            else:
                layout.append(_result(row))
    for student_id, row in zip(ids, confirmed_rows):
        if student_id not in placed:
            layout.append(_result(row, Outcome.WILL_ENROL))
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
        .where(BulkEnrolment.status == "pending", BulkEnrolment.created_at < cutoff)
        .order_by(BulkEnrolment.id)
    ).scalars().all()
    for bulk_id in ids:
        log.warning("bulk enrolment %s still pending after %s: queued again", bulk_id, older_than)
        _enqueue(bulk_id)
    return len(ids)


def is_delayed(bulk: BulkEnrolment, now: datetime | None = None) -> bool:
    """Whether the batch is still waiting after STALE_AFTER (its job is probably lost)."""
    return bulk.status in ("pending", "running") and bulk.created_at < (now or utcnow()) - STALE_AFTER


def runs_inline(bulk: BulkEnrolment) -> bool:
    return len(bulk.student_ids) <= INLINE_LIMIT


def _result(row: Row, outcome: Outcome | None = None, reason: str = "") -> dict:
    """A row as ``results`` stores it: codes and data only (see ``row_message``)."""
    return {
        "student_id": row.student.id if row.student is not None else None,
        "email": row.email,
        "name": row.name,
        "line": row.line,
        "outcome": (outcome or row.outcome).value,
        "credits": row.credits,
        "reason": reason,
    }


def _merge(bulk: BulkEnrolment, rows: list[Row], refused: bool = False) -> list[dict]:
    """The stored rows with the run's outcome in place of each confirmed student's ("will_enrol") row.

    ``rows`` are the run's rows, one per ``bulk.student_ids`` in order; a
    batch stored before rows were kept (``results`` empty) lists only them.
    """
    ran = {}
    for student_id, row in zip(bulk.student_ids, rows):
        if refused and row.outcome == Outcome.WILL_ENROL:
            ran[student_id] = _result(row, Outcome.NOT_ENROLLED)
        else:
            ran[student_id] = _result(row)
    merged = []
    for stored in bulk.results or []:
        if stored.get("outcome") != Outcome.WILL_ENROL.value:
            merged.append(stored)
        elif stored.get("student_id") in ran:
            merged.append({**ran.pop(stored["student_id"]), "line": stored.get("line")})
    merged.extend(ran.values())
    return merged


def _refuse_all(bulk: BulkEnrolment, rows: list[Row], error: str) -> BulkEnrolment:
    """Refuse the whole batch; ``error`` is ``_batch_error(...)``."""
    bulk.status = "failed"
    bulk.error = error
    bulk.finished_at = utcnow()
    bulk.results = _merge(bulk, rows, refused=True)
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
    wallet = wallets.wallet_of(partner)
    # One lock for the whole batch: every other enrolment or debit of this
    # partner waits, so the classification and the balance below stay true.
    wallets.lock_wallets(wallet.id)
    db.session.refresh(bulk)
    if bulk.status in ("done", "failed"):
        return bulk
    db.session.refresh(wallet, ["balance"])

    rows = _classify(partner, course, list(bulk.student_ids), [])
    total = len(rows)
    if progress is not None:
        progress(0, total)
    price = price_for(course, partner)
    if price is None:
        audit.record(actor, "bulk_enrolment.refused", bulk, partner_id=partner.id, course=course.title,
                     reason="course_not_shared")
        return _refuse_all(bulk, rows, _batch_error("course_not_shared"))
    if price != bulk.price:
        # The admin confirmed a total at bulk.price: never charge another one.
        audit.record(actor, "bulk_enrolment.refused", bulk, partner_id=partner.id, course=course.title,
                     reason="price_changed", confirmed_price=bulk.price, price=price)
        return _refuse_all(bulk, rows, _batch_error("price_changed", course=course.title,
                                                    confirmed=bulk.price, price=price))
    to_enrol = [row for row in rows if row.outcome == Outcome.WILL_ENROL]
    needed = len(to_enrol) * price
    if needed > wallet.balance:
        error = InsufficientCredits(needed=needed, available=wallet.balance)
        told = notify_insufficient_credits(partner, course, error)
        audit.record(actor, "bulk_enrolment.refused", bulk, partner_id=partner.id, course=course.title,
                     needed=error.needed, available=error.available)
        return _refuse_all(bulk, rows, _batch_error("insufficient_credits", admins_told=told, needed=error.needed,
                                                    available=error.available, missing=error.missing))

    before = wallet.balance
    charged = 0
    for done, row in enumerate(rows, start=1):
        if row.outcome == Outcome.WILL_ENROL:
            try:
                _enrol_locked(actor, partner, row.student, course, price=price, wallet=wallet,
                              warn_low_balance=False)
            except AlreadyEnrolled:
                row.outcome = Outcome.ALREADY_ENROLLED
            else:
                row.outcome, row.credits = Outcome.ENROLLED, price
                charged += price
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
            progress(done, total)
    warn_if_balance_crossed(partner, before, wallet.balance)
    bulk.total_cost = charged
    bulk.results = _merge(bulk, rows)
    bulk.status = "done"
    bulk.finished_at = utcnow()
    enrolled = sum(1 for row in rows if row.outcome == Outcome.ENROLLED)
    audit.record(actor, "bulk_enrolment.done", bulk, partner_id=partner.id, course=course.title,
                 enrolled=enrolled, skipped=len(bulk.results) - enrolled, credits=charged)
    return bulk


def mark_bulk_failed(bulk_id: int) -> BulkEnrolment | None:
    """Record that a bulk enrolment stopped on an unexpected error (its work was rolled back)."""
    bulk = db.session.get(BulkEnrolment, bulk_id)
    if bulk is None or bulk.status in ("done", "failed"):
        return bulk
    rows = [Row(None, "", Outcome.WILL_ENROL) for _id in bulk.student_ids]
    users = _users_by(User.id, list(bulk.student_ids))
    for row, student_id in zip(rows, bulk.student_ids):
        row.student = users.get(student_id)
        row.email = row.student.email if row.student is not None else ""
    _refuse_all(bulk, rows, _batch_error("unexpected"))
    audit.record(None, "bulk_enrolment.failed", bulk, partner_id=bulk.partner_id, error="unexpected")
    return bulk


# --- reading -----------------------------------------------------------------------------

PICKER_LIMIT = 300


@dataclass
class Picker:
    """The students offered as checkboxes: the ticked ones first, then those matching the filter."""

    students: list[User]
    selected_ids: list[int]
    matching: int  # how many match the filter in all
    shown: int  # how many of those are listed

    @property
    def truncated(self) -> bool:
        return self.shown < self.matching


def pickable_students(
    partner: Partner, *, q: str = "", company_id: int | None = None, selected: Iterable = (),
    select_all: bool = False, limit: int = PICKER_LIMIT, match_nothing: bool = False,
) -> Picker:
    """Active students of the partner matching ``q`` (name or email) and company, ticked ones kept.

    ``match_nothing``: the filter names something that cannot exist (a
    company id that is not an id), so no student matches it.
    """
    query = active_students_query(partner)
    if match_nothing:
        query = query.where(sa.false())
    q = " ".join((q or "").split())
    if q:
        pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(sa.or_(sa.func.lower(User.name).like(pattern, escape="\\"),
                                   User.email.like(pattern, escape="\\")))
    if company_id is not None:
        query = query.where(User.company_id == company_id)
    matching = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    found = db.session.execute(query.order_by(User.name, User.email).limit(limit)).scalars().all()
    wanted = [i for i in (parse_id(value) for value in selected or ()) if i is not None]
    wanted = list(dict.fromkeys(wanted))[:MAX_ROWS]
    ticked = {u.id: u for chunk in _chunks(wanted) for u in db.session.execute(
        active_students_query(partner).where(User.id.in_(chunk))).scalars()}
    ticked_users = [ticked[i] for i in wanted if i in ticked]
    listed = ticked_users + [u for u in found if u.id not in ticked]
    selected_ids = [u.id for u in (listed if select_all else ticked_users)]
    return Picker(students=listed, selected_ids=selected_ids, matching=matching, shown=len(found))


def companies_for_filter(partner: Partner) -> list[Company]:
    return db.session.execute(
        sa.select(Company).where(Company.partner_id == partner.id).order_by(Company.name)
    ).scalars().all()


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


def result_counts(bulk: BulkEnrolment) -> Counter:
    return Counter(row.get("outcome") for row in bulk.results or [])
