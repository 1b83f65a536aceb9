"""A reseller's customers: create (welcome email with a set-password link), find, list; their credit
(add credit from the reseller's wallet, recover the whole balance).

Every function is scoped to one reseller: another reseller's customer is
never found (the views answer 404). Functions add and flush; the caller
commits once, and emails leave only after that commit.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l, lazy_ngettext
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.i18n import format_credits
from app.models import Reseller, Role, User
from app.models.base import MAX_ID
from app.services import DomainError, audit
from app.services.ledger import wallets
from app.services.tenancy import sites
from app.services.ledger.wallets import InsufficientCredits, Transfer
from app.services.outbox.email import queue_email
from app.services.people import tokens
from app.services.people.users import EmailTaken, find_user_by_email, is_valid_email, normalise_email

PAGE_SIZE = 25


def find_customer(reseller: Reseller, customer_id: int | None) -> User | None:
    """The reseller's own customer with this id, or None (also for another reseller's)."""
    if customer_id is None or not 0 < customer_id <= MAX_ID:
        return None
    return db.session.execute(
        sa.select(User).where(User.id == customer_id, User.reseller_id == reseller.id,
                              User.role == Role.CUSTOMER.value)
    ).scalar_one_or_none()


def like_pattern(text: str) -> str:
    """``%text%`` for a case-insensitive LIKE with ``escape='\\'``."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def customers_query(reseller: Reseller, text: str | None = None):
    """The reseller's customers with their wallet loaded, by name, optionally matching name or email."""
    query = (
        sa.select(User)
        .options(joinedload(User.wallet))
        .where(User.reseller_id == reseller.id, User.role == Role.CUSTOMER.value)
        .order_by(sa.func.lower(User.name), User.email, User.id)
    )
    text = (text or "").strip()[:200]
    if text:
        pattern = like_pattern(text)
        query = query.where(sa.or_(sa.func.lower(User.name).like(pattern, escape="\\"),
                                   sa.func.lower(User.email).like(pattern, escape="\\")))
    return query


def create_customer(actor: User, reseller: Reseller, *, email: str, name: str, send_welcome: bool = True) -> User:
    """A new customer (sub-account) of ``reseller`` with an empty wallet; queues the welcome email."""
    email = normalise_email(email)
    if not is_valid_email(email):
        raise DomainError(_l("Enter a valid email address."), field="email")
    if find_user_by_email(email) is not None:
        raise EmailTaken()
    customer = User(email=email, name=" ".join((name or "").split())[:200], role=Role.CUSTOMER.value,
                    reseller_id=reseller.id)
    try:
        with db.session.begin_nested():
            db.session.add(customer)
            db.session.flush()
    except IntegrityError as exc:
        raise EmailTaken() from exc
    wallets.wallet_of(customer)
    audit.record(actor, "customer.created", customer, reseller_id=reseller.id, email=email)
    if send_welcome:
        queue_customer_welcome(customer, reseller)
    return customer


def queue_customer_welcome(customer: User, reseller: Reseller):
    brand = current_app.config["PLATFORM_NAME"]
    context = {
        "customer": customer, "reseller": reseller, "brand_label": brand,
        # The platform's own address (customers sign in there), never the request's Host.
        "set_password_url": sites.external_url("auth.set_password", token=tokens.make_set_password_token(customer)),
        "login_url": sites.external_url("auth.login"),
        "valid_days": tokens.SET_PASSWORD_MAX_AGE.days,
    }
    subject = _("Welcome to %(name)s: choose your password", name=brand)
    return queue_email("customer_welcome", customer.email, subject, **context)


# --- credit ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CreditShown:
    """A customer's balance as a page shows it, and the newest entry it was read up to."""

    balance: int
    up_to: int


def credit_of(customer: User) -> CreditShown:
    wallet = wallets.wallet_of(customer)
    return CreditShown(wallet.balance, wallets.last_entry_id(wallet))


def add_credit(actor: User, reseller: Reseller, customer: User, amount: int, *, note: str,
               idempotency_key: str | None) -> Transfer:
    """Give a customer credit from the reseller's wallet: a transfer (two entries, one transaction)."""
    _check_customer(reseller, customer)
    try:
        moved = wallets.transfer(wallets.wallet_of(reseller), wallets.wallet_of(customer), amount, actor=actor,
                                 note=note or "",  # the history names the other wallet itself
                                 idempotency_key=idempotency_key)
    except InsufficientCredits as error:
        error.message = lazy_ngettext("Your wallet holds %(count)s credit: you cannot give %(amount)s.",
                                      "Your wallet holds %(count)s credits: you cannot give %(amount)s.",
                                      error.available, count=format_credits(error.available),
                                      amount=format_credits(amount))
        error.field = "amount"
        raise
    if not moved.out_entry.replayed:
        audit.record(actor, "customer.credit_added", customer, reseller_id=reseller.id, amount=amount)
    return moved


def recover_credit(actor: User, reseller: Reseller, customer: User, shown: CreditShown) -> Transfer:
    """Move the customer's whole balance, exactly as shown, to the reseller (``wallets.recover_credit``)."""
    _check_customer(reseller, customer)
    moved = wallets.recover_credit(
        wallets.wallet_of(customer), wallets.wallet_of(reseller), shown.balance, shown_up_to=shown.up_to,
        actor=actor)  # no note: the entry's kind and the other wallet say it in the reader's language
    if not moved.out_entry.replayed:
        audit.record(actor, "customer.credit_recovered", customer, reseller_id=reseller.id,
                     amount=-moved.out_entry.amount)
    return moved


def _check_customer(reseller: Reseller, customer: User) -> None:
    if customer.reseller_id != reseller.id or customer.role != Role.CUSTOMER.value:
        raise DomainError(_l("This customer does not belong to your organisation."))
