"""A partner's students: create (free of credits), edit, deactivate, welcome email.

Every function is scoped to one partner: another partner's student or
company is refused, never touched. Functions add and flush; the caller
commits once, and the welcome email leaves only after that commit.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Company, Partner, Role, User
from app.models.base import MAX_ID
from app.services import DomainError, audit
from app.services.people import tokens
from app.services.people.names import check_name
from app.services.tenancy import sites
from app.services.tenancy.companies import MAX_PAGE
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


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def page_of_students(
    partner: Partner,
    text: str | None = None,
    company: Company | str | None = None,
    page: int = 1,
    per_page: int = PAGE_SIZE,
):
    """The partner's students matching ``text`` (name or email), optionally of one company.

    ``company`` is a Company of this partner, ``NO_COMPANY`` for students
    without one, or None for all.
    """
    page = min(max(page or 1, 1), MAX_PAGE)
    query = (
        sa.select(User)
        .where(User.partner_id == partner.id, User.role == Role.STUDENT.value)
        .options(selectinload(User.company))
        .order_by(sa.func.lower(User.name), User.email, User.id)
    )
    text = (text or "").strip()
    if text:
        pattern = _like(text)
        query = query.where(
            sa.or_(
                sa.func.lower(User.name).like(pattern, escape="\\"),
                sa.func.lower(User.email).like(pattern, escape="\\"),
            )
        )
    if company == NO_COMPANY:
        query = query.where(User.company_id.is_(None))
    elif isinstance(company, Company):
        _check_company(partner, company)
        query = query.where(User.company_id == company.id)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def active_students_query(partner: Partner):
    """The partner's active students (the ones that can be enrolled)."""
    return sa.select(User).where(
        User.partner_id == partner.id, User.role == Role.STUDENT.value, User.is_active_account.is_(True)
    )
