"""A partner's students: create (free of credits), edit, deactivate, welcome email.

Every function is scoped to one partner: another partner's student or
company is refused, never touched. Functions add and flush; the caller
commits once, and the welcome email leaves only after that commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import raiseload, selectinload

from app.extensions import db
from app.models import Company, Partner, Role, User
from app.models.base import MAX_ID
from app.services import DomainError, audit
from app.services.people import tokens
from app.services.people.names import check_name
from app.services.tenancy import sites
from app.services.pagination import Keyset, Page, contains_pattern, with_count
from app.services.outbox.email import queue_email
from app.services.people.users import EmailTaken, find_user_by_email, normalise_email

PAGE_SIZE = 25
NO_COMPANY = "none"


class NotYourStudent(DomainError):
    """Another partner's student (or no student): the one wording of that refusal."""

    field = "student_id"

    def __init__(self, message=None, field: str | None = None):
        super().__init__(message or _l("This student does not belong to your organisation."), field)


class ForeignCompany(DomainError):
    field = "company"


def _check_company(partner: Partner, company: Company | None) -> None:
    if company is not None and company.partner_id != partner.id:
        raise ForeignCompany(_l("Choose one of your companies."))


def check_student(partner: Partner, student: User) -> None:
    if student.partner_id != partner.id or student.role != Role.STUDENT.value:
        raise NotYourStudent()


def _clean_name(name: str | None) -> str:
    return " ".join((name or "").split())


def create_student(
    actor: User | None,
    partner: Partner,
    email: str,
    name: str,
    company: Company | None = None,
    *,
    send_welcome: bool = True,
) -> User:
    """A new student of ``partner``; costs no credits; queues the welcome email.

    An email already used by any user is ``EmailTaken`` and nothing is created
    (also when another request takes the email at the same moment: the
    unique index refuses it and only this student's savepoint is undone).
    """
    _check_company(partner, company)
    check_name(name)
    email = normalise_email(email)
    if not email:
        raise DomainError(_l("A student needs an email."))
    if find_user_by_email(email) is not None:
        raise EmailTaken()
    student = User(
        email=email,
        name=_clean_name(name),
        role=Role.STUDENT.value,
        partner_id=partner.id,
        company_id=company.id if company else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(student)
            db.session.flush()
    except IntegrityError as exc:
        raise EmailTaken() from exc
    audit.record(
        actor,
        "student.created",
        student,
        partner_id=partner.id,
        email=email,
        company_id=student.company_id,
    )
    if send_welcome:
        queue_welcome_email(student, partner)
    return student


def update_student(
    actor: User | None,
    partner: Partner,
    student: User,
    email: str,
    name: str,
    company: Company | None = None,
) -> User:
    """Change a student's name, company or email.

    A new email must not belong to any other user. When the email changes
    before the student has chosen a password, the old set-password link
    stops working and a new welcome email goes to the new address.
    """
    check_student(partner, student)
    _check_company(partner, company)
    check_name(name)
    email = normalise_email(email)
    if not email:
        raise DomainError(_l("A student needs an email."))
    if email != student.email:
        other = find_user_by_email(email)
        if other is not None and other.id != student.id:
            raise EmailTaken()
    new = {"email": email, "name": _clean_name(name), "company_id": company.id if company else None}
    changes = {
        field: [getattr(student, field), value]
        for field, value in new.items()
        if getattr(student, field) != value
    }
    try:
        with db.session.begin_nested():
            for field, value in new.items():
                setattr(student, field, value)
            db.session.flush()
    except IntegrityError as exc:
        raise EmailTaken() from exc
    if changes:
        audit.record(actor, "student.updated", student, partner_id=partner.id, changes=changes)
    if "email" in changes and student.password_hash is None and student.is_active:
        queue_welcome_email(student, partner)
    return student


def set_student_active(actor: User | None, partner: Partner, student: User, active: bool) -> User:
    """Deactivate (cannot sign in; nothing is deleted) or reactivate a student."""
    check_student(partner, student)
    if student.is_active_account == active:
        return student
    student.is_active_account = active
    db.session.flush()
    audit.record(
        actor,
        "student.reactivated" if active else "student.deactivated",
        student,
        partner_id=partner.id,
        email=student.email,
    )
    return student


def send_set_password_link(actor: User | None, partner: Partner, student: User) -> None:
    """Send the welcome email again (e.g. the first link expired)."""
    check_student(partner, student)
    if not student.is_active:
        raise DomainError(_l("A deactivated student cannot receive a link. Reactivate them first."))
    queue_welcome_email(student, partner)
    audit.record(actor, "student.welcome_resent", student, partner_id=partner.id, email=student.email)


# --- the welcome email ----------------------------------------------------------


def welcome_email_context(student: User, partner: Partner) -> dict:
    brand = partner.name if partner.is_whitelabel else current_app.config["PLATFORM_NAME"]
    token = tokens.make_set_password_token(student)
    return {
        "student": student,
        "partner": partner,
        "brand_label": brand,
        "set_password_url": sites.external_url("auth.set_password", partner, token=token),
        "login_url": sites.external_url("auth.login", partner),
        "valid_days": tokens.SET_PASSWORD_MAX_AGE.days,
    }


def queue_welcome_email(student: User, partner: Partner):
    context = welcome_email_context(student, partner)
    subject = _l("Welcome to %(name)s: choose your password", name=context["brand_label"])
    return queue_email("welcome", student, subject, **context)


# --- reading ----------------------------------------------------------------------


def find_student(partner: Partner, student_id: int) -> User | None:
    """The partner's own student with this id, or None (also for another partner's)."""
    if not 0 < student_id <= MAX_ID:
        return None
    return db.session.execute(
        sa.select(User).where(
            User.id == student_id, User.partner_id == partner.id, User.role == Role.STUDENT.value
        )
    ).scalar_one_or_none()


def matching_name_or_email(text: str | None):
    """A condition on User: the name or the email contains ``text`` (ignoring case); None for no text."""
    text = " ".join((text or "").split())[:200]
    if not text:
        return None
    pattern = contains_pattern(text)
    return sa.or_(sa.func.lower(User.name).like(pattern, escape="\\"),
                  sa.func.lower(User.email).like(pattern, escape="\\"))


# The students' order everywhere (list, picker): by name, then email (index ix_users_partner_lower_name).
BY_NAME = Keyset(sa.func.lower(User.name), User.email, User.id)
# The list says how many students match, counting at most this many ("more than 1,000").
COUNT_LIMIT = 1000


def students_query(partner: Partner, text: str | None = None, company: Company | str | None = None):
    """The partner's students matching ``text`` (name or email), optionally of one company, unordered.

    ``company`` is a Company of this partner, ``NO_COMPANY`` for students
    without one, or None for all.
    """
    query = sa.select(User).where(User.partner_id == partner.id, User.role == Role.STUDENT.value)
    condition = matching_name_or_email(text)
    if condition is not None:
        query = query.where(condition)
    if company == NO_COMPANY:
        query = query.where(User.company_id.is_(None))
    elif isinstance(company, Company):
        _check_company(partner, company)
        query = query.where(User.company_id == company.id)
    return query


def page_of_students(
    partner: Partner,
    text: str | None = None,
    company: Company | str | None = None,
    *,
    after: str | None = None,
    before: str | None = None,
    per_page: int = PAGE_SIZE,
) -> Page:
    """A keyset page of the partner's students by name (see ``students_query``), with their companies.

    ``page.total`` counts the matching students up to ``COUNT_LIMIT``.
    """
    query = students_query(partner, text, company)
    page = BY_NAME.page(query.options(selectinload(User.company), raiseload("*")),
                        per_page=per_page, after=after, before=before)
    return with_count(page, query, COUNT_LIMIT)


@dataclass(frozen=True)
class StudentMatches:
    """What the student picker offers: at most a few students, and whether more match."""

    students: list[User]
    more: bool


# The student picker shows at most this many matches: typing more narrows them.
PICKER_LIMIT = 20


def search_students(partner: Partner, text: str, *, limit: int = PICKER_LIMIT) -> StudentMatches:
    """The partner's active students whose name or email contains ``text``, by name (all of them for no text).

    At most ``limit`` (one bounded statement: the name index, read until ``limit + 1`` match).
    """
    query = active_students_query(partner)
    condition = matching_name_or_email(text)
    if condition is not None:
        query = query.where(condition)
    found = db.session.execute(
        query.order_by(*BY_NAME.keys).limit(limit + 1).options(raiseload("*"))
    ).scalars().all()
    return StudentMatches(list(found[:limit]), more=len(found) > limit)


def student_to_enrol(partner: Partner, student_id: int | None) -> User:
    """The student a form chose by id (one lookup): the partner's own, or ``NotYourStudent``."""
    student = find_student(partner, student_id) if student_id is not None else None
    if student is None:
        raise NotYourStudent()
    return student


def active_students_query(partner: Partner):
    """The partner's active students (the ones that can be enrolled)."""
    return sa.select(User).where(
        User.partner_id == partner.id, User.role == Role.STUDENT.value, User.is_active_account.is_(True)
    )
