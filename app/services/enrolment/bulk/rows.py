"""What happens to each row of a bulk enrolment: outcomes, their labels and messages, the preview."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field

import json

from flask_babel import gettext, lazy_gettext as _l

from app.i18n import N_, credits_text, format_credits

from app.models import BulkEnrolment, Course, Partner, User
from app.services.tenancy.credit_alerts import told_message


class Outcome(str, enum.Enum):
    WILL_ENROL = "will_enrol"  # preview
    SHORT_OF_CREDITS = "short_of_credits"  # preview: would be enrolled, but the balance does not pay for the list
    ENROLLED = "enrolled"  # result
    ALREADY_ENROLLED = "already_enrolled"
    INACTIVE = "inactive"
    NOT_YOUR_STUDENT = "not_your_student"  # another partner's user, or no account: one answer for both
    UNKNOWN_EMAIL = "unknown_email"  # no longer given; batches stored before read as NOT_YOUR_STUDENT
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

    def shown_outcome(self, row: Row) -> Outcome:
        """What the page says of ``row``: while the balance does not pay for the whole list
        (all or nothing), a row that would be enrolled is not."""
        if row.outcome == Outcome.WILL_ENROL and not self.enough:
            return Outcome.SHORT_OF_CREDITS
        return row.outcome

    @property
    def shown_rows(self) -> list[tuple[Row, Outcome]]:
        return [(row, self.shown_outcome(row)) for row in self.rows]

    @property
    def shown_counts(self) -> Counter:
        return Counter(self.shown_outcome(row) for row in self.rows)

    @property
    def student_ids(self) -> list[int]:
        """What the confirmation sends: the students this preview would enrol."""
        return [row.student.id for row in self.to_enrol]

    @property
    def counts(self) -> Counter:
        return Counter(row.outcome for row in self.rows)


NOTHING_CHARGED = _l("Nobody was enrolled and nothing was charged.")

# The short label of each outcome, as lists and badges show it.
OUTCOME_LABELS = {
    Outcome.WILL_ENROL: _l("Will be enrolled"),
    Outcome.SHORT_OF_CREDITS: _l("Not enrolled: not enough credits"),
    Outcome.ENROLLED: _l("Enrolled"),
    Outcome.ALREADY_ENROLLED: _l("Skipped: already enrolled"),
    Outcome.INACTIVE: _l("Skipped: inactive student"),
    Outcome.NOT_YOUR_STUDENT: _l("Not one of your students"),
    Outcome.UNKNOWN_EMAIL: _l("Not one of your students"),
    Outcome.INVALID_EMAIL: _l("Not an email address"),
    Outcome.DUPLICATE: _l("Duplicate in the list"),
    Outcome.NOT_ENROLLED: _l("Not enrolled"),
}

# Why a row is not enrolled, as the result page says it. Rows store codes (their outcome, and a
# "reason" where the outcome is not enough); the words are chosen when the page is read, in the
# reader's language (a batch run by a background job has no language of its own).
SKIP_MESSAGES = {
    Outcome.ALREADY_ENROLLED: _l("Already enrolled in this course."),
    Outcome.INACTIVE: _l("This student's account is deactivated."),
    Outcome.NOT_YOUR_STUDENT: _l("No student of your organisation has this email."),
    Outcome.UNKNOWN_EMAIL: _l("No student of your organisation has this email."),
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
        text += " " + told_message(bool(stored["admins_told"]))
    return text


def encode_batch_error(code: str, admins_told: bool | None = None, **params) -> str:
    """A batch refusal as ``BulkEnrolment.error`` stores it: its code and numbers, worded when read."""
    stored = {"code": code, "params": params}
    if admins_told is not None:
        stored["admins_told"] = admins_told
    return json.dumps(stored)


def result_row(row: Row, outcome: Outcome | None = None, reason: str = "") -> dict:
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


def merge_results(bulk: BulkEnrolment, rows: list[Row], refused: bool = False) -> list[dict]:
    """The stored rows with the run's outcome in place of each confirmed student's ("will_enrol") row.

    ``rows`` are the run's rows, one per ``bulk.student_ids`` in order; a
    batch stored before rows were kept (``results`` empty) lists only them.
    """
    ran = {}
    for student_id, row in zip(bulk.student_ids, rows):
        if refused and row.outcome == Outcome.WILL_ENROL:
            ran[student_id] = result_row(row, Outcome.NOT_ENROLLED)
        else:
            ran[student_id] = result_row(row)
    merged = []
    for stored in bulk.results or []:
        if stored.get("outcome") != Outcome.WILL_ENROL.value:
            merged.append(stored)
        elif stored.get("student_id") in ran:
            merged.append({**ran.pop(stored["student_id"]), "line": stored.get("line")})
    merged.extend(ran.values())
    return merged


def result_counts(bulk: BulkEnrolment) -> Counter:
    return Counter(row.get("outcome") for row in bulk.results or [])
