"""User accounts: creating them, finding them, signing in (one password check on every path), sessions, preferences."""

from __future__ import annotations

import functools
import secrets

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import generate_password_hash

import sqlalchemy as sa

from app import i18n
from app.extensions import db
from app.models import Partner, Reseller, Role, User
from app.models.base import parse_id
from app.services import DomainError
from app.services import audit
from app.services.people.names import check_name


class EmailTaken(DomainError):
    """Another account has this email: the one wording of that refusal, on the email field."""

    field = "email"

    def __init__(self, message=None, field: str | None = None):
        super().__init__(message or _l("A user with this email already exists."), field)


MAX_EMAIL = 254

# What each role is called where a person reads it.
ROLE_LABELS = {
    Role.PLATFORM_ADMIN.value: _l("platform admin"),
    Role.PARTNER_ADMIN.value: _l("partner admin"),
    Role.RESELLER.value: _l("reseller"),
    Role.CUSTOMER.value: _l("customer"),
    Role.STUDENT.value: _l("student"),
}


def role_label(role: str) -> str:
    label = ROLE_LABELS.get(str(role))
    return str(label) if label is not None else str(role)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def is_valid_email(email: str) -> bool:
    """Whether ``email`` (normalised) is an address we accept: one check for every form and upload."""
    if not email or len(email) > MAX_EMAIL:
        return False
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def find_user_by_email(email: str) -> User | None:
    return db.session.execute(
        db.select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()


def platform_admins() -> list[User]:
    """The platform's active administrators (who hear about partners' credits)."""
    return db.session.execute(
        db.select(User).where(User.role == Role.PLATFORM_ADMIN.value, User.is_active_account.is_(True))
    ).scalars().all()


def partner_admins(partner: Partner, *, active_only: bool = False) -> list[User]:
    """The users who administer ``partner``, by email."""
    query = db.select(User).where(User.partner_id == partner.id, User.role == Role.PARTNER_ADMIN.value)
    if active_only:
        query = query.where(User.is_active_account.is_(True))
    return db.session.execute(query.order_by(User.email)).scalars().all()


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same answer for every failure).

    Every attempt checks exactly one password hash of the configured cost: the
    account's own, or a stand-in when there is no account, no password yet, so
    the time taken does not tell an unknown, deactivated or password-less
    account from one with a wrong password.
    """
    user = find_user_by_email(email)
    has_password = user is not None and bool(user.password_hash)
    probe = user if has_password else User(password_hash=_stand_in_hash(_hash_method()))
    matches = probe.check_password(password)
    if not has_password or not user.is_active or not matches:
        return None
    return user


TENANT_WITH_USER = (sa.orm.joinedload(User.partner), sa.orm.joinedload(User.reseller))


def user_for_session(session_user_id: str | None) -> User | None:
    """The user a session cookie names (``<id>:<session version>``), or None once that session was ended."""
    user_id, _, version = (session_user_id or "").partition(":")
    user_id = parse_id(user_id)
    # The tenant every page of theirs reads comes with them: one statement, not two.
    user = db.session.get(User, user_id, options=TENANT_WITH_USER) if user_id is not None else None
    if user is None or version != str(user.session_version):
        return None
    return user


def end_sessions(user: User) -> None:
    """End every session of ``user`` signed in so far, on every device (logout)."""
    table = User.__table__
    version = db.session.execute(
        sa.update(table).where(table.c.id == user.id)
        .values(session_version=table.c.session_version + 1).returning(table.c.session_version)
    ).scalar_one()
    sa.orm.attributes.set_committed_value(user, "session_version", version)


def _hash_method() -> str:
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")


@functools.cache
def _stand_in_hash(method: str) -> str:
    """A hash of nothing anyone types, made once per method (a constant, not request state)."""
    return generate_password_hash(secrets.token_hex(16), method=method)


def create_user(
    actor: User | None,
    *,
    email: str,
    role: Role,
    password: str | None = None,
    name: str = "",
    partner: Partner | None = None,
    reseller: Reseller | None = None,
) -> User:
    email = normalise_email(email)
    check_name(name)
    if find_user_by_email(email) is not None:
        raise EmailTaken()
    if role in (Role.PARTNER_ADMIN,) and partner is None:
        raise DomainError(_l("A partner admin needs a partner."))
    if role in (Role.RESELLER, Role.CUSTOMER) and reseller is None:
        raise DomainError(_l("A reseller or customer needs a reseller."))
    user = User(
        email=email,
        name=name,
        role=role.value,
        partner_id=partner.id if partner else None,
        reseller_id=reseller.id if reseller else None,
    )
    if password:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.created", user, partner_id=user.partner_id, role=role.value, email=email)
    return user


def set_user_locale(user: User, locale: str) -> User:
    """Save the language ``user`` chose from the menu (it also writes their emails and PDFs)."""
    chosen = i18n.offered(locale)
    if chosen is None:
        raise DomainError(_l("This language is not offered."), field="locale")
    user.locale = chosen
    db.session.flush()
    return user
