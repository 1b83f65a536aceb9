"""Classifying the rows of a bulk enrolment: who would be enrolled now, and why the others would not."""

from __future__ import annotations

from typing import Iterable

import sqlalchemy as sa
from flask_babel import format_decimal, gettext as _

from app.extensions import db
from app.models import Course, Partner, Role, User
from app.models.base import parse_id
from app.services.enrolment.bulk.emails import MAX_ROWS
from app.services.enrolment.bulk.rows import Outcome, Row
from app.services.enrolment.enrol import NotYourStudent, participating_user_ids
from app.services.exports.csv_upload import UploadError
from app.services.people.users import is_valid_email, normalise_email


def chunks(items: list, size: int = 500) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def users_by(column, values: list) -> dict:
    found = {}
    for chunk in chunks(sorted(set(values))):
        for user in db.session.execute(sa.select(User).where(column.in_(chunk))).scalars():
            found[getattr(user, column.key)] = user
    return found


def classify(partner: Partner, course: Course, student_ids: list[int], emails: list[tuple[int, str]]) -> list[Row]:
    """What would happen to each row now; students first (in order), then emails."""
    if len(student_ids) + len(emails) > MAX_ROWS:
        raise UploadError(_("At most %(max)s rows at a time. Split the list.", max=format_decimal(MAX_ROWS)))
    by_id = users_by(User.id, student_ids)
    normalised = [(line, normalise_email(raw), raw) for line, raw in emails]
    by_email = users_by(User.email, [email for _line, email, _raw in normalised if is_valid_email(email)])
    candidates = [u.id for u in list(by_id.values()) + list(by_email.values())
                  if u.role == Role.STUDENT.value and u.partner_id == partner.id]
    enrolled = participating_user_ids(course, candidates)

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
        if not is_valid_email(email):
            rows.append(Row(line, raw, Outcome.INVALID_EMAIL))
        elif email in seen_emails:
            rows.append(Row(line, email, Outcome.DUPLICATE))
        elif email not in by_email:
            # The same answer as for another partner's user: the preview never tells a partner
            # which emails have an account on the platform.
            seen_emails.add(email)
            rows.append(Row(line, email, Outcome.NOT_YOUR_STUDENT))
        else:
            seen_emails.add(email)
            user = by_email[email]
            outcome = judge(user)
            rows.append(Row(line, email, outcome, student=user if outcome != Outcome.NOT_YOUR_STUDENT else None))
    return rows


def student_ids(student_ids: Iterable) -> list[int]:
    """The ids as ints; one that is not a database id (huge, not ASCII digits) is not a student of ours."""
    ids = []
    for value in student_ids or []:
        student_id = parse_id(value)
        if student_id is None:
            raise NotYourStudent()
        ids.append(student_id)
    return ids
