"""A partner's client companies (aziende): create, edit, look up.

Every function is scoped to one partner: a company of another partner is
never found, listed or changed through it.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Company, Partner, Role, User
from app.models.base import MAX_ID
from app.services import DomainError, audit
from app.services.people.names import check_name
from app.services.billing.tax_ids import TaxIdInvalid, normalise_company_vat

PAGE_SIZE = 25
MAX_PAGE = 100_000


class CompanyNameTaken(DomainError):
    field = "name"
    pass


# A company's VAT number is checked by the one home of tax ids (billing.tax_ids), check digit included.
InvalidVatNumber = TaxIdInvalid


class NotYourCompany(DomainError):
    pass


def normalise_vat_number(raw: str | None) -> str | None:
    """An Italian partita IVA (11 digits, optional "IT") or a Brazilian CNPJ (14), its check digits right.

    Spaces, dots, dashes and slashes are dropped; None when nothing was given;
    anything else is refused on the ``vat_number`` field.
    """
    return normalise_company_vat(raw, field="vat_number")


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _name_taken(partner: Partner, name: str, except_id: int | None = None) -> bool:
    query = sa.select(Company.id).where(
        Company.partner_id == partner.id, sa.func.lower(Company.name) == name.lower()
    )
    if except_id is not None:
        query = query.where(Company.id != except_id)
    return db.session.execute(query.limit(1)).first() is not None


def _flush_or_name_taken(name: str) -> None:
    """Flush in a savepoint: the unique index turns a concurrent duplicate into the same refusal."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise CompanyNameTaken(_l("You already have a company with this name.")) from None


def create_company(
    actor: User | None, partner: Partner, name: str, vat_number: str | None = None, contact: str | None = None
) -> Company:
    name = _clean(name)
    if not name:
        raise DomainError(_l("A company needs a name."), field="name")
    check_name(name)
    check_name(contact, field="contact")
    vat = normalise_vat_number(vat_number)
    if _name_taken(partner, name):
        raise CompanyNameTaken(_l("You already have a company with this name."))
    company = Company(partner_id=partner.id, name=name, vat_number=vat, contact=_clean(contact) or None)
    db.session.add(company)
    _flush_or_name_taken(name)
    audit.record(actor, "company.created", company, partner_id=partner.id, name=name, vat_number=vat)
    return company


def update_company(
    actor: User | None,
    partner: Partner,
    company: Company,
    name: str,
    vat_number: str | None = None,
    contact: str | None = None,
) -> Company:
    if company.partner_id != partner.id:
        raise NotYourCompany(_l("This company belongs to another partner."))
    name = _clean(name)
    if not name:
        raise DomainError(_l("A company needs a name."), field="name")
    check_name(name)
    check_name(contact, field="contact")
    vat = normalise_vat_number(vat_number)
    if _name_taken(partner, name, except_id=company.id):
        raise CompanyNameTaken(_l("You already have a company with this name."))
    new = {"name": name, "vat_number": vat, "contact": _clean(contact) or None}
    changes = {
        field: [getattr(company, field), value]
        for field, value in new.items()
        if getattr(company, field) != value
    }
    for field, value in new.items():
        setattr(company, field, value)
    _flush_or_name_taken(name)
    if changes:
        audit.record(actor, "company.updated", company, partner_id=partner.id, changes=changes)
    return company


# --- reading ----------------------------------------------------------------------


def find_company(partner: Partner, company_id: int) -> Company | None:
    """The partner's own company with this id, or None (also for another partner's)."""
    if not 0 < company_id <= MAX_ID:
        return None
    return db.session.execute(
        sa.select(Company).where(Company.id == company_id, Company.partner_id == partner.id)
    ).scalar_one_or_none()


def companies_of(partner: Partner) -> list[Company]:
    return list(
        db.session.execute(
            sa.select(Company)
            .where(Company.partner_id == partner.id)
            .order_by(sa.func.lower(Company.name), Company.id)
        ).scalars()
    )


def page_of_companies(partner: Partner, page: int = 1, per_page: int = PAGE_SIZE):
    page = min(max(page or 1, 1), MAX_PAGE)
    query = (
        sa.select(Company)
        .where(Company.partner_id == partner.id)
        .order_by(sa.func.lower(Company.name), Company.id)
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def student_counts(partner: Partner, company_ids: list[int]) -> dict[int, int]:
    if not company_ids:
        return {}
    rows = db.session.execute(
        sa.select(User.company_id, sa.func.count(User.id))
        .where(
            User.partner_id == partner.id,
            User.role == Role.STUDENT.value,
            User.company_id.in_(company_ids),
        )
        .group_by(User.company_id)
    )
    return {company_id: count for company_id, count in rows}
