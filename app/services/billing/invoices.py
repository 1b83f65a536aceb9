"""Invoices: drafts and their lines, issue (a yearly number and one seat per unit of each access line), reading.

Rules:
- A draft is edited freely (payer, due date, notes, lines); issuing fixes it:
  the number is taken from the year's sequence, ``issued_on`` is today (the
  platform's day) and every access line gets ``quantity`` free seats.
- The payer is a customer or a client company, named by a token
  ``customer:<id>`` / ``company:<id>`` that is checked by one lookup. A
  company pays with a tax id (its VAT number when none is typed); a
  customer's is optional. Every tax id is checked by its check digit.
- A line is an access product under one of its offers (quantity = seats) or a
  one-off item; quantity 1..10,000; integer cents; the invoice keeps its total.
- Every change takes the invoice's row lock first (``lock_invoice``), so two
  admins never interleave on one invoice; on SQLite every transaction is
  already serialised (BEGIN IMMEDIATE).

Functions add and flush; the caller commits once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.i18n import MAX_MONEY_CENTS, format_money
from app.models import (
    ISSUED, Company, Invoice, InvoiceLine, InvoiceStatus, Offer, Product, ProductKind, Role, Seat, SeatState, User,
)
from app.models.base import MAX_ID
from app.services import DomainError, audit
from app.services.access import today
from app.services.billing import numbering, tax_ids
from app.services.catalog.courses import like

MAX_QUANTITY = 10_000
MAX_UNIT_PRICE_CENTS = 1_000_000_000
MAX_LINES = 100
DESCRIPTION_MAX = 300
NOTES_MAX = 5000
ADDRESS_MAX = 500
DEFAULT_TERMS_DAYS = 30
PICKER_LIMIT = 10


class InvoiceRefused(DomainError):
    """The invoice cannot be changed as asked (the message says why)."""


def status_for(total_cents: int, paid_cents: int) -> InvoiceStatus:
    """What the payments make an issued invoice: open, partially paid or paid."""
    if paid_cents <= 0:
        return InvoiceStatus.OPEN
    if paid_cents < total_cents:
        return InvoiceStatus.PARTIALLY_PAID
    return InvoiceStatus.PAID


def lock_invoice(invoice: Invoice) -> Invoice:
    """Take the invoice's row lock (``SELECT … FOR UPDATE``) and read it again as it now is.

    Every change to an invoice, its payments or its seats starts here, so
    they happen one at a time per invoice; take it before any user lock.
    """
    db.session.execute(
        sa.select(Invoice).where(Invoice.id == invoice.id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    return invoice


# --- the payer ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PayerChoice:
    token: str  # "customer:<id>" or "company:<id>"
    label: str
    detail: str


def payer_choices(q: str | None) -> list[PayerChoice]:
    """Customers (name or email) and client companies (name or VAT number) matching ``q``: a few of each."""
    text = " ".join((q or "").split())
    if len(text) < 2:
        return []
    pattern = like(text)
    customers = db.session.execute(
        sa.select(User).where(User.role == Role.CUSTOMER.value, User.is_active_account.is_(True), sa.or_(
            sa.func.lower(User.name).like(pattern, escape="\\"), sa.func.lower(User.email).like(pattern, escape="\\"),
        )).order_by(sa.func.lower(User.name), User.id).limit(PICKER_LIMIT)
    ).scalars().all()
    companies = db.session.execute(
        sa.select(Company).where(sa.or_(
            sa.func.lower(Company.name).like(pattern, escape="\\"),
            *([sa.func.upper(sa.func.coalesce(Company.vat_number, "")).like(f"%{key}%")]
              if (key := tax_ids.search_key(text)) else []),
        )).order_by(sa.func.lower(Company.name), Company.id).limit(PICKER_LIMIT)
    ).scalars().all()
    return ([PayerChoice(f"customer:{u.id}", u.display_name, u.email) for u in customers]
            + [PayerChoice(f"company:{c.id}", c.name, tax_ids.formatted(tax_ids.company_vat_kind(c.vat_number),
                                                                        c.vat_number) if c.vat_number else "")
               for c in companies])


def payer_choice(token: str | None) -> PayerChoice | None:
    """The chosen payer again (to show it selected), or None."""
    payer = _payer(token)
    if isinstance(payer, User):
        return PayerChoice(f"customer:{payer.id}", payer.display_name, payer.email)
    if isinstance(payer, Company):
        return PayerChoice(f"company:{payer.id}", payer.name, payer.vat_number or "")
    return None


def _payer(token: str | None) -> User | Company | None:
    kind, _sep, raw_id = (token or "").partition(":")
    payer_id = int(raw_id) if raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 10 else 0
    if not 0 < payer_id <= MAX_ID:
        return None
    if kind == "customer":
        return db.session.execute(sa.select(User).where(
            User.id == payer_id, User.role == Role.CUSTOMER.value, User.is_active_account.is_(True))).scalar_one_or_none()
    if kind == "company":
        return db.session.get(Company, payer_id)
    return None


@dataclass
class InvoiceValues:
    """What the invoice form sends (already parsed)."""

    payer: str | None = None
    tax_id_kind: str | None = None
    tax_id: str | None = None
    address: str = ""
    due_on: date | None = None
    notes: str = ""


def _apply(invoice: Invoice, values: InvoiceValues) -> None:
    payer = _payer(values.payer)
    if payer is None:
        raise InvoiceRefused(_l("Choose the customer or company that pays from the list."), field="payer")
    kind, tax_id = values.tax_id_kind or None, (values.tax_id or "").strip()
    if isinstance(payer, Company) and not tax_id and payer.vat_number:
        kind, tax_id = tax_ids.company_vat_kind(payer.vat_number).value, payer.vat_number
    if tax_id and not kind:
        raise InvoiceRefused(_l("Choose the kind of tax id."), field="tax_id_kind")
    tax_id = tax_ids.normalise_tax_id(kind, tax_id) if tax_id else None
    if isinstance(payer, Company) and not tax_id:
        raise InvoiceRefused(_l("A company pays with a tax id: enter its partita IVA or CNPJ."), field="tax_id")
    if values.due_on is None:
        raise InvoiceRefused(_l("Enter the due date."), field="due_on")
    if values.due_on < today():
        raise InvoiceRefused(_l("The due date cannot be in the past."), field="due_on")
    invoice.customer_id = payer.id if isinstance(payer, User) else None
    invoice.company_id = payer.id if isinstance(payer, Company) else None
    invoice.payer_name = (payer.name or payer.email) if isinstance(payer, User) else payer.name
    invoice.payer_tax_id_kind = kind if tax_id else None
    invoice.payer_tax_id = tax_id
    invoice.payer_address = " ".join((values.address or "").split())[:ADDRESS_MAX]
    invoice.due_on = values.due_on
    invoice.notes = (values.notes or "").strip()[:NOTES_MAX]


def default_due_on() -> date:
    return today() + timedelta(days=DEFAULT_TERMS_DAYS)


def create_invoice(actor: User | None, values: InvoiceValues) -> Invoice:
    """A draft invoice for a customer or a company, in the platform's currency."""
    invoice = Invoice(status=InvoiceStatus.DRAFT.value, currency=current_app.config["AULA_CURRENCY"],
                      created_by_id=actor.id if actor else None, total_cents=0, paid_cents=0)
    _apply(invoice, values)
    db.session.add(invoice)
    db.session.flush()
    audit.record(actor, "invoice.created", invoice, payer=invoice.payer_name)
    return invoice


def _draft_or_refuse(invoice: Invoice) -> None:
    lock_invoice(invoice)
    if invoice.status != InvoiceStatus.DRAFT:
        raise InvoiceRefused(_l("Invoice %(number)s is issued: it can no longer be edited.", number=invoice.number))


def update_invoice(actor: User | None, invoice: Invoice, values: InvoiceValues) -> Invoice:
    """Change a draft's payer, tax id, address, due date or notes."""
    _draft_or_refuse(invoice)
    _apply(invoice, values)
    db.session.flush()
    audit.record(actor, "invoice.updated", invoice, payer=invoice.payer_name)
    return invoice


# --- lines -----------------------------------------------------------------------------------


@dataclass
class LineValues:
    """An access line names an offer (its product follows); a one-off line has none."""

    offer_id: int | None = None
    description: str = ""
    quantity: int | None = None
    unit_price_cents: int | None = None


def offer_choices() -> list[Offer]:
    """Every offer of an access product that grants at least one course, product loaded."""
    return db.session.execute(
        sa.select(Offer).join(Product, Offer.product_id == Product.id)
        .where(Product.kind == ProductKind.ACCESS.value, Product.courses.any())
        .options(sa.orm.contains_eager(Offer.product))
        .order_by(sa.func.lower(Product.name), Product.id, Offer.id)
    ).scalars().all()


def _grantable_offer(offer_id: int) -> Offer:
    offer = db.session.execute(
        sa.select(Offer).join(Product, Offer.product_id == Product.id)
        .where(Offer.id == offer_id, Product.kind == ProductKind.ACCESS.value)
    ).scalar_one_or_none() if 0 < offer_id <= MAX_ID else None
    if offer is None:
        raise InvoiceRefused(_l("Choose a product and offer from the list."), field="offer_id")
    if not offer.product.courses:
        raise InvoiceRefused(_l("This product has no course yet: it cannot be sold."), field="offer_id")
    return offer


def _quantity(quantity: int | None) -> int:
    if quantity is None:
        raise InvoiceRefused(_l("Enter a quantity."), field="quantity")
    if quantity < 1:
        raise InvoiceRefused(_l("The quantity must be at least 1 (a line of %(n)s bills nothing).", n=quantity),
                             field="quantity")
    if quantity > MAX_QUANTITY:
        raise InvoiceRefused(_l("At most %(n)s on one line.", n=f"{MAX_QUANTITY:,}"), field="quantity")
    return quantity


def _unit_price(cents: int | None) -> int:
    if cents is None:
        raise InvoiceRefused(_l("Enter the unit price (0 for free)."), field="unit_price")
    if cents < 0:
        raise InvoiceRefused(_l("A price cannot be below zero."), field="unit_price")
    if cents > MAX_UNIT_PRICE_CENTS:
        raise InvoiceRefused(_l("A unit price may be at most 10,000,000."), field="unit_price")
    return cents


def add_line(actor: User | None, invoice: Invoice, values: LineValues) -> InvoiceLine:
    """Add an access line (an offer; its price unless one is typed) or a one-off item to a draft."""
    _draft_or_refuse(invoice)
    if len(invoice.lines) >= MAX_LINES:
        raise InvoiceRefused(_l("At most %(n)s lines on one invoice.", n=MAX_LINES))
    quantity = _quantity(values.quantity)
    description = " ".join((values.description or "").split())[:DESCRIPTION_MAX]
    line = InvoiceLine(invoice_id=invoice.id, quantity=quantity)
    if values.offer_id is not None:
        offer = _grantable_offer(values.offer_id)
        if any(existing.offer_id == offer.id for existing in invoice.lines):
            raise InvoiceRefused(_l("This offer is already on the invoice: remove that line and add it again "
                                    "with the quantity you want."), field="offer_id")
        line.product_id, line.offer_id = offer.product_id, offer.id
        line.description = description or f"{offer.product.name} – {offer.name}"
        line.unit_price_cents = _unit_price(offer.price_cents if values.unit_price_cents is None
                                            else values.unit_price_cents)
    else:
        if not description:
            raise InvoiceRefused(_l("Describe the item, or choose a product."), field="description")
        line.description, line.unit_price_cents = description, _unit_price(values.unit_price_cents)
    if invoice.total_cents + quantity * line.unit_price_cents > MAX_MONEY_CENTS:
        # One payment may be at most that much: an invoice beyond it could never be paid in full at once.
        raise InvoiceRefused(_l("An invoice may total at most %(max)s: split this into several invoices.",
                                max=format_money(MAX_MONEY_CENTS, invoice.currency)), field="quantity")
    db.session.add(line)
    db.session.flush()
    db.session.expire(invoice, ["lines"])
    _retotal(invoice)
    audit.record(actor, "invoice.line_added", invoice, description=line.description, quantity=quantity,
                 unit_price_cents=line.unit_price_cents, offer_id=line.offer_id)
    return line


def remove_line(actor: User | None, invoice: Invoice, line_id: int) -> None:
    _draft_or_refuse(invoice)
    line = next((line for line in invoice.lines if line.id == line_id), None)
    if line is None:
        raise InvoiceRefused(_l("This line is not on the invoice."))
    db.session.delete(line)
    db.session.flush()
    db.session.expire(invoice, ["lines"])
    _retotal(invoice)
    audit.record(actor, "invoice.line_removed", invoice, description=line.description)


def _retotal(invoice: Invoice) -> None:
    invoice.total_cents = sum(line.total_cents for line in invoice.lines)
    db.session.flush()


# --- issue --------------------------------------------------------------------------------------


def issue_invoice(actor: User | None, invoice: Invoice) -> Invoice:
    """Give the draft its number (the year's next), date it today and create one free seat per access unit."""
    _draft_or_refuse(invoice)
    if not invoice.lines:
        raise InvoiceRefused(_l("Add at least one line before issuing the invoice."))
    if invoice.total_cents <= 0:
        raise InvoiceRefused(_l("The total is zero: there is nothing to invoice."))
    if invoice.customer_id is None and invoice.company_id is None:
        raise InvoiceRefused(_l("Choose the customer or company that pays first."))
    issued_on = today()
    if invoice.due_on is None or invoice.due_on < issued_on:
        raise InvoiceRefused(_l("The due date is in the past: change it before issuing."))
    for line in invoice.lines:
        if line.is_access:
            _grantable_offer(line.offer_id or 0)
    invoice.number = numbering.next_number(issued_on.year)
    invoice.issued_on = issued_on
    invoice.status = InvoiceStatus.OPEN.value
    db.session.flush()
    seats = [{"invoice_id": invoice.id, "line_id": line.id, "state": SeatState.FREE.value}
             for line in invoice.lines if line.is_access for _unit in range(line.quantity)]
    if seats:
        db.session.execute(sa.insert(Seat), seats)
    audit.record(actor, "invoice.issued", invoice, number=invoice.number, total_cents=invoice.total_cents,
                 seats=len(seats))
    return invoice


# --- reading ------------------------------------------------------------------------------------


def find_invoice(invoice_id: int) -> Invoice | None:
    """Any invoice (the platform admin's view), or None for an unknown id."""
    if not 0 < invoice_id <= MAX_ID:
        return None
    return db.session.get(Invoice, invoice_id)


def customer_invoice(user: User, invoice_id: int) -> Invoice | None:
    """The user's own issued (or cancelled) invoice; a draft, or anyone else's, is None."""
    if not 0 < invoice_id <= MAX_ID:
        return None
    return db.session.execute(
        sa.select(Invoice).where(Invoice.id == invoice_id, Invoice.customer_id == user.id,
                                 Invoice.status != InvoiceStatus.DRAFT.value)
    ).scalar_one_or_none()


def customer_invoices_query(user: User):
    """The user's invoices (not drafts), newest first."""
    return (sa.select(Invoice).where(Invoice.customer_id == user.id, Invoice.status != InvoiceStatus.DRAFT.value)
            .order_by(Invoice.issued_on.desc(), Invoice.id.desc()))


@dataclass
class InvoiceFilters:
    status: str | None = None
    payer: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def invoices_query(filters: InvoiceFilters):
    """Invoices, newest first, by status, payer (name, tax id or number) and issue date [from, to]."""
    query = sa.select(Invoice)
    if filters.status in InvoiceStatus.values():
        query = query.where(Invoice.status == filters.status)
    text = " ".join((filters.payer or "").split())
    if text:
        pattern = like(text)
        compact = tax_ids.search_key(text)
        query = query.where(sa.or_(
            sa.func.lower(Invoice.payer_name).like(pattern, escape="\\"),
            sa.func.lower(sa.func.coalesce(Invoice.number, "")).like(pattern, escape="\\"),
            *([Invoice.payer_tax_id.like(f"%{compact}%")] if compact else []),
        ))
    if filters.date_from is not None:
        query = query.where(Invoice.issued_on >= filters.date_from)
    if filters.date_to is not None:
        query = query.where(Invoice.issued_on <= filters.date_to)
    return query.order_by(Invoice.id.desc())


@dataclass(frozen=True)
class SeatCounts:
    """An invoice's accesses, one per unit of an access line (5 products of 3 courses each are 5)."""

    seats: int = 0  # live seats: the access units sold
    linked: int = 0  # given to a user (waiting or released)
    pending: int = 0  # linked, waiting for the invoice to be paid in full
    released: int = 0

    @property
    def free(self) -> int:
        return self.seats - self.linked


def seat_counts(invoice_ids) -> dict[int, SeatCounts]:
    """Seat counts of these invoices, in one query."""
    ids = list(invoice_ids)
    if not ids:
        return {}

    def count(*states):
        return sa.func.sum(sa.case((Seat.state.in_([s.value for s in states]), 1), else_=0))

    rows = db.session.execute(
        sa.select(Seat.invoice_id, count(SeatState.FREE, SeatState.WAITING, SeatState.RELEASED),
                  count(SeatState.WAITING, SeatState.RELEASED), count(SeatState.WAITING), count(SeatState.RELEASED))
        .where(Seat.invoice_id.in_(ids)).group_by(Seat.invoice_id)
    ).all()
    return {row[0]: SeatCounts(*(int(n or 0) for n in row[1:])) for row in rows}


def line_seat_counts(invoice: Invoice) -> dict[int, SeatCounts]:
    """Seat counts per line of one invoice."""

    def count(*states):
        return sa.func.sum(sa.case((Seat.state.in_([s.value for s in states]), 1), else_=0))

    rows = db.session.execute(
        sa.select(Seat.line_id, count(SeatState.FREE, SeatState.WAITING, SeatState.RELEASED),
                  count(SeatState.WAITING, SeatState.RELEASED), count(SeatState.WAITING), count(SeatState.RELEASED))
        .where(Seat.invoice_id == invoice.id).group_by(Seat.line_id)
    ).all()
    return {row[0]: SeatCounts(*(int(n or 0) for n in row[1:])) for row in rows}


def is_live(invoice: Invoice) -> bool:
    """Issued and not cancelled: seats may be linked and payments recorded."""
    return invoice.status in ISSUED
