"""Accounts: creating users, signing in, and each user's own preferences."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app import i18n
from app.extensions import db
from app.models import Partner, Reseller, Role, User
from app.services import DomainError
from app.services import audit


class EmailTaken(DomainError):
    pass


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.execute(
        db.select(User).where(User.email == normalise_email(email))
    ).scalar_one_or_none()


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same answer for every failure)."""
    user = find_user_by_email(email)
    if user is None:
        # Spend the same time as a real check so timing does not reveal accounts.
        User(password_hash=_DUMMY_HASH).check_password(password)
        return None
    if not user.is_active or not user.check_password(password):
        return None
    return user


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
    if find_user_by_email(email) is not None:
        raise EmailTaken(_l("A user with the email %(email)s already exists.", email=email))
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


from werkzeug.security import generate_password_hash  # noqa: E402

_DUMMY_HASH = generate_password_hash("not-a-real-password")
