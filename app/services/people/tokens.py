"""Signed, expiring tokens (itsdangerous) and the set-password link.

A set-password token carries the user's id and a fingerprint of what the
link may change: the current password hash and the email it was sent to.
Once the password is set (or the email changed), the fingerprint no longer
matches and the link stops working, so it works exactly once.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
import hashlib
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.extensions import db
from app.models import User
from app.services import DomainError, audit

SET_PASSWORD_SALT = "aula.set-password"
SET_PASSWORD_MAX_AGE = timedelta(days=7)
MIN_PASSWORD_LENGTH = 10


class TokenInvalid(DomainError):
    """The token is malformed, tampered with, or its user is gone or inactive."""


class TokenExpired(TokenInvalid):
    pass


class TokenUsed(TokenInvalid):
    """The token was valid, but what it was for has already been done."""


def serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def sign(data: Any, salt: str) -> str:
    return serializer(salt).dumps(data)


def unsign(token: str, salt: str, max_age: timedelta | int | None) -> Any:
    """The signed data, or ``TokenExpired`` / ``TokenInvalid``."""
    seconds = max_age.total_seconds() if isinstance(max_age, timedelta) else max_age
    try:
        return serializer(salt).loads(token or "", max_age=seconds)
    except SignatureExpired as exc:
        raise TokenExpired("expired") from exc
    except (BadSignature, ValueError, TypeError) as exc:
        raise TokenInvalid("invalid") from exc


# --- set-password links ---------------------------------------------------------


def password_fingerprint(user: User) -> str:
    """Changes when the password is set or the email changes (never reveals the hash)."""
    material = f"{user.password_hash or ''}|{user.email}".encode()
    return hashlib.sha256(material).hexdigest()[:24]


def make_set_password_token(user: User) -> str:
    return sign({"u": user.id, "f": password_fingerprint(user)}, SET_PASSWORD_SALT)


def user_for_set_password_token(token: str, max_age: timedelta | int | None = None) -> User:
    """The user this link lets set a password, or a ``TokenInvalid`` saying why not."""
    data = unsign(token, SET_PASSWORD_SALT, SET_PASSWORD_MAX_AGE if max_age is None else max_age)
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("f"), str):
        raise TokenInvalid("invalid")
    user = db.session.get(User, data["u"])
    if user is None or not user.is_active:
        raise TokenInvalid("invalid")
    if data["f"] != password_fingerprint(user):
        raise TokenUsed("used")
    return user


def set_password_with_token(token: str, password: str, max_age: timedelta | int | None = None) -> User:
    """Set the password the link was sent for; the link stops working afterwards,
    and every session signed in before ends (the caller signs the user in afresh).

    The hash is replaced by a conditional UPDATE on the old hash, so two
    submissions of the same link racing each other cannot both succeed.
    """
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise DomainError(_l("Use at least %(n)s characters.", n=MIN_PASSWORD_LENGTH), field="password")
    user = user_for_set_password_token(token, max_age)
    old_hash = user.password_hash
    probe = User()
    probe.set_password(password)
    same_hash = User.password_hash.is_(None) if old_hash is None else User.password_hash == old_hash
    # A new password also ends every session signed in with the old one.
    result = db.session.execute(
        sa.update(User)
        .where(User.id == user.id, same_hash)
        .values(password_hash=probe.password_hash, session_version=User.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise TokenUsed("used")
    db.session.refresh(user)
    audit.record(user, "user.password_set", user, partner_id=user.partner_id, via="link")
    return user
