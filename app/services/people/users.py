"""User accounts: creating them, finding them by email, checking a password."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from app.extensions import db
from app.models import Partner, Reseller, Role, User
from app.services import DomainError
from app.services import audit


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


from werkzeug.security import generate_password_hash  # noqa: E402

_DUMMY_HASH = generate_password_hash("not-a-real-password")
