"""The platform's directory: every account and every reseller, searched and read by the platform admin.

Lists are queries the caller pages (``web.paginate``); each row's tenant is loaded with it, so a
page costs the same few queries whatever it holds. Read-only.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload

from app.extensions import db
from app.models import Enrolment, Partner, Reseller, Role, User, Wallet


def _like(text: str) -> str:
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class PeopleFilters:
    text: str = ""  # part of a name, an email, or the name of their partner or reseller
    role: str | None = None
    partner_id: int | None = None
    reseller_id: int | None = None


def people_query(filters: PeopleFilters = PeopleFilters()):
    """Accounts matching ``filters``, by name then email, each with its partner, reseller and company."""
    partner, reseller = aliased(Partner), aliased(Reseller)
    query = (
        sa.select(User)
        .outerjoin(partner, partner.id == User.partner_id)
        .outerjoin(reseller, reseller.id == User.reseller_id)
        .options(joinedload(User.partner), joinedload(User.reseller), joinedload(User.company))
        .order_by(sa.func.lower(User.name), User.email, User.id)
    )
    if filters.text.strip():
        pattern = _like(filters.text)
        query = query.where(sa.or_(*(sa.func.lower(column).like(pattern, escape="\\") for column in (
            User.name, User.email, partner.name, reseller.name))))
    if filters.role:
        query = query.where(User.role == filters.role)
    if filters.partner_id is not None:
        query = query.where(User.partner_id == filters.partner_id)
    if filters.reseller_id is not None:
        query = query.where(User.reseller_id == filters.reseller_id)
    return query


def person(user_id: int) -> User | None:
    """One account with its tenant loaded (any role: the platform admin sees everyone)."""
    return db.session.execute(
        sa.select(User).where(User.id == user_id)
        .options(joinedload(User.partner), joinedload(User.reseller), joinedload(User.company))
    ).unique().scalar_one_or_none()


def enrolments_of(user: User) -> list[Enrolment]:
    """Every enrolment of ``user``, newest first, with its course and paying partner."""
    return list(db.session.execute(
        sa.select(Enrolment).where(Enrolment.user_id == user.id)
        .options(joinedload(Enrolment.course), joinedload(Enrolment.partner))
        .order_by(Enrolment.created_at.desc(), Enrolment.id.desc())
    ).unique().scalars())


@dataclass(frozen=True)
class ResellerRow:
    reseller: Reseller
    users: int
    customers: int
    balance: int


def reseller_rows(resellers: list[Reseller]) -> list[ResellerRow]:
    """A page of resellers with their staff and customer counts and balance: one query for the page."""
    ids = [reseller.id for reseller in resellers]
    if not ids:
        return []
    counts = dict((row[0], row[1:]) for row in db.session.execute(
        sa.select(
            Reseller.id,
            sa.select(sa.func.count(User.id)).where(User.reseller_id == Reseller.id,
                                                   User.role == Role.RESELLER.value).scalar_subquery(),
            sa.select(sa.func.count(User.id)).where(User.reseller_id == Reseller.id,
                                                   User.role == Role.CUSTOMER.value).scalar_subquery(),
            sa.select(Wallet.balance).where(Wallet.reseller_id == Reseller.id).scalar_subquery(),
        ).where(Reseller.id.in_(ids))
    ).all())
    return [ResellerRow(reseller, *(value or 0 for value in counts.get(reseller.id, (0, 0, 0))))
            for reseller in resellers]


def reseller_names() -> list[tuple[int, str]]:
    """(id, name) of every reseller, by name: the choices of a filter."""
    return [tuple(row) for row in db.session.execute(
        sa.select(Reseller.id, Reseller.name).order_by(sa.func.lower(Reseller.name))).all()]
