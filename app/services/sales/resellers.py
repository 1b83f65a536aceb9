"""Resellers as the platform admin runs them: list with balances, create, edit, their users, their credits.

Recharge and deduction go through the same ledger use cases as a partner's
(``wallets.recharge`` / ``wallets.deduct``). Functions add and flush; the caller commits once.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l, lazy_ngettext
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Reseller, Role, User, WalletEntry
from app.services import DomainError, audit
from app.services.ledger import wallets
from app.i18n import format_credits
from app.services.ledger.wallets import InsufficientCredits
from app.services.people import users
from app.services.tenancy.partners import MIN_PASSWORD_LENGTH

PAGE_SIZE = 25


class ResellerInvalid(DomainError):
    field = "name"


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def resellers_query(text: str | None = None):
    """Resellers (their wallet loaded: no wallet yet is a balance of 0) by name, optionally matching ``text``."""
    query = (
        sa.select(Reseller)
        .options(joinedload(Reseller.wallet))
        .order_by(sa.func.lower(Reseller.name), Reseller.id)
    )
    text = (text or "").strip()[:200]
    if text:
        query = query.where(sa.func.lower(Reseller.name).like(_like(text), escape="\\"))
    return query


def balance_of(reseller: Reseller) -> int:
    return reseller.wallet.balance if reseller.wallet is not None else 0


def _clean_name(name: str | None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ResellerInvalid(_l("Enter the reseller's name."))
    if len(name) > 200:
        raise ResellerInvalid(_l("At most 200 characters."))
    return name


def _check_unique(name: str, reseller: Reseller | None) -> None:
    others = sa.select(Reseller.id).where(sa.func.lower(Reseller.name) == name.lower())
    if reseller is not None:
        others = others.where(Reseller.id != reseller.id)
    if db.session.scalar(others.limit(1)):
        raise ResellerInvalid(_l("Another reseller already has this name."))


def _flush_unique(obj: Reseller) -> None:
    try:
        with db.session.begin_nested():
            db.session.add(obj)
            db.session.flush()
    except IntegrityError:
        raise ResellerInvalid(_l("Another reseller already has this name.")) from None


def create_reseller(actor: User, *, name: str) -> Reseller:
    """A new reseller with its (empty) wallet. Raises ResellerInvalid."""
    name = _clean_name(name)
    _check_unique(name, None)
    reseller = Reseller(name=name)
    _flush_unique(reseller)
    wallets.wallet_of(reseller)
    audit.record(actor, "reseller.created", reseller, name=name)
    return reseller


def update_reseller(actor: User, reseller: Reseller, *, name: str) -> Reseller:
    """Rename a reseller. Raises ResellerInvalid; nothing changes then."""
    name = _clean_name(name)
    _check_unique(name, reseller)
    if name == reseller.name:
        return reseller
    old = reseller.name
    reseller.name = name
    try:
        _flush_unique(reseller)
    except ResellerInvalid:
        reseller.name = old
        raise
    audit.record(actor, "reseller.updated", reseller, changes={"name": [old, name]})
    return reseller


def reseller_users(reseller: Reseller) -> list[User]:
    """The people who sign in for ``reseller`` (role reseller), by email."""
    return db.session.execute(
        sa.select(User).where(User.reseller_id == reseller.id, User.role == Role.RESELLER.value).order_by(User.email)
    ).scalars().all()


def create_reseller_user(actor: User, reseller: Reseller, *, email: str, name: str, password: str) -> User:
    """A user who signs in for ``reseller``. Raises users.EmailTaken or DomainError."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise DomainError(_l("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
                          field="password")
    return users.create_user(actor, email=email, role=Role.RESELLER, password=password,
                             name=" ".join((name or "").split()), reseller=reseller)


# --- credits: the same ledger use cases as a partner's ------------------------------


def recharge_reseller(actor: User, reseller: Reseller, amount: int, *, reason: str,
                      idempotency_key: str | None) -> WalletEntry:
    """Add credits to the reseller's wallet. A replayed key returns the first entry (``replayed``)."""
    entry = wallets.recharge(wallets.wallet_of(reseller), amount, actor=actor, note=reason,
                             idempotency_key=idempotency_key)
    if not entry.replayed:
        audit.record(actor, "wallet.recharged", entry, reseller_id=reseller.id, amount=amount,
                     balance_after=entry.balance_after, reason=reason)
    return entry


def deduct_from_reseller(actor: User, reseller: Reseller, amount: int, *, reason: str,
                         idempotency_key: str | None) -> WalletEntry:
    """Remove credits; raises InsufficientCredits beyond the balance (nothing changes)."""
    try:
        entry = wallets.deduct(wallets.wallet_of(reseller), amount, actor=actor, note=reason,
                               idempotency_key=idempotency_key)
    except InsufficientCredits as error:
        error.message = lazy_ngettext(  # the partners' words: a reseller's wallet is refused alike
            "Only %(count)s credit is available: %(partner)s cannot lose %(amount)s.",
            "Only %(count)s credits are available: %(partner)s cannot lose %(amount)s.",
            error.available, count=format_credits(error.available), partner=reseller.name,
            amount=format_credits(amount))
        error.field = "amount"
        raise
    if not entry.replayed:
        audit.record(actor, "wallet.deducted", entry, reseller_id=reseller.id, amount=amount,
                     balance_after=entry.balance_after, reason=reason)
    return entry
