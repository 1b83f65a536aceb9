"""Partners as the platform admin runs them: create, edit, their admins, their credits.

Functions add and flush; the caller commits once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l, lazy_ngettext
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import raiseload

from app import i18n
from app.extensions import db
from app.models import Partner, PartnerKind, Role, User, Wallet, WalletEntry
from app.services import DomainError, audit
from app.services.pagination import Keyset, Page, contains_pattern
from app.services.people import users
from app.services.people.names import check_name
from app.services.tenancy import sites
from app.services.ledger import wallets
from app.services.ledger.wallets import InsufficientCredits
from app.services.tenancy.credit_alerts import warn_if_low_balance

KINDS = PartnerKind.values()
MIN_PASSWORD_LENGTH = 10

COLOUR_RE = re.compile(r"^#[0-9a-f]{6}$")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
# A top-level domain is letters (or an IDN's xn--): "127.0.0.1" or "1.2.3.4.5" is no domain name.
_TLD = r"(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})"
DOMAIN_RE = re.compile(rf"^(?=.{{1,253}}$)(?:{_LABEL}\.)+{_TLD}$")


class PartnerInvalid(DomainError):
    """A partner's data breaks a rule; ``field`` names the form field at fault."""

    def __init__(self, field: str, message):
        super().__init__(message, field=field)


# --- reading -----------------------------------------------------------------


@dataclass
class PartnerBalance:
    partner: Partner
    balance: int


# The partner list by name, in keyset pages (index ix_partners_lower_name).
BY_NAME = Keyset(sa.func.lower(Partner.name), Partner.id)


def page_of_partners(text: str | None = None, *, per_page: int, after: str | None = None,
                     before: str | None = None) -> Page:
    """A page of partners by name, each with its wallet balance (0 before its wallet exists).

    ``text``: the name or the domain contains it (ignoring case). Items are ``PartnerBalance``.
    """
    query = (sa.select(Partner, sa.func.coalesce(Wallet.balance, 0))
             .outerjoin(Wallet, Wallet.partner_id == Partner.id).options(raiseload("*")))
    text = " ".join((text or "").split())[:200]
    if text:
        pattern = contains_pattern(text)
        query = query.where(sa.or_(sa.func.lower(Partner.name).like(pattern, escape="\\"),
                                   sa.func.lower(sa.func.coalesce(Partner.domain, "")).like(pattern, escape="\\")))
    page = BY_NAME.page(query, per_page=per_page, after=after, before=before)
    page.items = [PartnerBalance(partner, balance) for partner, balance in page.items]
    return page


def partner_names() -> list[tuple[int, str]]:
    """(id, name) of every partner, by name: the choices of a filter."""
    return [tuple(row) for row in db.session.execute(
        sa.select(Partner.id, Partner.name).order_by(sa.func.lower(Partner.name))).all()]


def balance_of(partner: Partner) -> int:
    return partner.wallet.balance if partner.wallet is not None else 0


@dataclass
class BalanceTotals:
    partners: int
    credits: int


def balance_totals() -> BalanceTotals:
    """How many partners there are and the credits they hold together."""
    count = db.session.scalar(sa.select(sa.func.count(Partner.id)))
    credits = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Wallet.balance), 0)).where(Wallet.partner_id.is_not(None))
    )
    return BalanceTotals(partners=count or 0, credits=credits or 0)


# --- create and edit -----------------------------------------------------------


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _normalised(*, name, kind, domain, brand_color, logo_url, low_balance_threshold, default_locale) -> dict:
    name = (name or "").strip()
    domain = _clean(domain)
    domain = domain.lower().rstrip(".") if domain else None
    brand_color = _clean(brand_color)
    brand_color = brand_color.lower() if brand_color else None
    if not name:
        raise PartnerInvalid("name", _l("Enter the partner's name."))
    check_name(name)
    if kind not in KINDS:
        raise PartnerInvalid("kind", _l("Choose default or whitelabel."))
    if kind == PartnerKind.WHITELABEL and not domain:
        raise PartnerInvalid("domain", _l("A whitelabel partner needs its own domain."))
    if kind == PartnerKind.DEFAULT and domain:
        raise PartnerInvalid(
            "domain", _l("A default partner uses the platform's domain: leave the domain empty.")
        )
    if domain:
        _check_whitelabel_domain(domain)
    if brand_color and not COLOUR_RE.match(brand_color):
        raise PartnerInvalid("brand_color", _l("Enter the colour as # and six hex digits, e.g. #1a6fb0."))
    if low_balance_threshold is not None and (
        not isinstance(low_balance_threshold, int) or low_balance_threshold < 0
    ):
        raise PartnerInvalid("low_balance_threshold", _l("The threshold must be a whole number, 0 or more."))
    locale = i18n.offered(default_locale) if default_locale else None
    if default_locale and locale is None:
        raise PartnerInvalid("default_locale", _l("Choose one of the offered languages."))
    return dict(name=name, kind=kind, domain=domain, brand_color=brand_color,
                logo_url=_clean(logo_url), low_balance_threshold=low_balance_threshold, default_locale=locale)


def _check_whitelabel_domain(domain: str) -> None:
    """A real domain name (not an IP address), and not the platform's own host in any spelling.

    The platform's host as a partner's domain would give the platform's login
    page that partner's look; an address is not a site a partner can own.
    """
    if sites.is_ip_address(domain):
        raise PartnerInvalid("domain", _l("Enter a domain name, not an IP address."))
    if not DOMAIN_RE.match(domain):
        raise PartnerInvalid("domain", _l("Enter a domain name such as academy.example.com."))
    if sites.is_platform_host(domain):
        raise PartnerInvalid("domain", _l(
            "This is the platform's own address: a whitelabel partner needs a domain of its own."))


def _check_unique(values: dict, partner: Partner | None) -> None:
    others = sa.select(Partner.id)
    if partner is not None:
        others = others.where(Partner.id != partner.id)
    if db.session.scalar(others.where(sa.func.lower(Partner.name) == values["name"].lower()).limit(1)):
        raise PartnerInvalid("name", _l("Another partner already has this name."))
    if values["domain"] and db.session.scalar(
        others.where(sa.func.lower(Partner.domain) == values["domain"]).limit(1)
    ):
        raise PartnerInvalid("domain", _l("Another partner already uses this domain."))


def _flush_unique(values: dict, partner: Partner | None, obj: Partner) -> None:
    """Flush in a savepoint: a concurrent twin that won the UNIQUE race becomes a field error."""
    try:
        with db.session.begin_nested():
            db.session.add(obj)
            db.session.flush()
    except IntegrityError:
        _check_unique(values, partner)
        raise PartnerInvalid("name", _l("Another partner already has this name or domain."))


def create_partner(
    actor: User,
    *,
    name: str,
    kind: str = PartnerKind.DEFAULT,
    domain: str | None = None,
    brand_color: str | None = None,
    logo_url: str | None = None,
    low_balance_threshold: int | None = None,
    default_locale: str | None = None,
) -> Partner:
    """A new partner with its (empty) wallet. Raises PartnerInvalid."""
    values = _normalised(name=name, kind=kind, domain=domain, brand_color=brand_color, logo_url=logo_url,
                         low_balance_threshold=low_balance_threshold, default_locale=default_locale)
    _check_unique(values, None)
    partner = Partner(**values)
    _flush_unique(values, None, partner)
    wallets.wallet_of(partner)
    audit.record(actor, "partner.created", partner, partner_id=partner.id,
                 name=partner.name, kind=partner.kind, domain=partner.domain)
    return partner


def update_partner(
    actor: User,
    partner: Partner,
    *,
    name: str,
    kind: str,
    domain: str | None = None,
    brand_color: str | None = None,
    logo_url: str | None = None,
    low_balance_threshold: int | None = None,
    default_locale: str | None = None,
) -> Partner:
    """Change a partner's details. Raises PartnerInvalid; nothing changes then."""
    values = _normalised(name=name, kind=kind, domain=domain, brand_color=brand_color, logo_url=logo_url,
                         low_balance_threshold=low_balance_threshold, default_locale=default_locale)
    _check_unique(values, partner)
    changes = {
        key: [getattr(partner, key), value] for key, value in values.items() if getattr(partner, key) != value
    }
    if not changes:
        return partner
    for key, (_old, new) in changes.items():
        setattr(partner, key, new)
    try:
        _flush_unique(values, partner, partner)
    except PartnerInvalid:
        for key, (old, _new) in changes.items():
            setattr(partner, key, old)
        raise
    audit.record(actor, "partner.updated", partner, partner_id=partner.id, changes=changes)
    return partner


def create_partner_admin(actor: User, partner: Partner, *, email: str, name: str, password: str) -> User:
    """A user who administers ``partner``. Raises users.EmailTaken or DomainError."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise DomainError(str(_l("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)))
    return users.create_user(actor, email=email, role=Role.PARTNER_ADMIN, password=password,
                             name=(name or "").strip(), partner=partner)


# --- credits -----------------------------------------------------------------


def recharge_partner(actor: User, partner: Partner, amount: int, *, reason: str,
                     idempotency_key: str | None) -> WalletEntry:
    """Add credits to the partner's wallet. A replayed key returns the first entry (``replayed``)."""
    entry = wallets.recharge(wallets.wallet_of(partner), amount, actor=actor, note=reason,
                             idempotency_key=idempotency_key)
    if not entry.replayed:
        audit.record(actor, "wallet.recharged", entry, partner_id=partner.id,
                     amount=amount, balance_after=entry.balance_after, reason=reason)
    return entry


def deduct_from_partner(actor: User, partner: Partner, amount: int, *, reason: str,
                        idempotency_key: str | None) -> WalletEntry:
    """Remove credits; raises InsufficientCredits beyond the balance (nothing changes)."""
    try:
        entry = wallets.deduct(wallets.wallet_of(partner), amount, actor=actor, note=reason,
                               idempotency_key=idempotency_key)
    except InsufficientCredits as error:
        error.message = lazy_ngettext(
            "Only %(count)s credit is available: %(partner)s cannot lose %(amount)s.",
            "Only %(count)s credits are available: %(partner)s cannot lose %(amount)s.",
            error.available, count=i18n.format_credits(error.available), partner=partner.name,
            amount=i18n.format_credits(amount))
        error.field = "amount"
        raise
    if not entry.replayed:
        audit.record(actor, "wallet.deducted", entry, partner_id=partner.id,
                     amount=amount, balance_after=entry.balance_after, reason=reason)
        warn_if_low_balance(partner, entry)
    return entry
