"""The billing demo: Rossi S.r.l.'s invoice with seats (two released, one waiting for payment, two free) and a
partial payment, and a small invoice for the demo customer. Idempotent: what exists is left as it is.

Everything goes through the billing services, so the demo passes ``flask audit-invoices``.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Company, Invoice, Offer, InvoicePaymentMethod, Product, Role, Seat, SeatReleaseMode, SeatState, TaxIdKind, User,
)
from app.services.access import today
from app.services.billing import invoices, payments, seats
from app.services.billing.invoices import InvoiceValues, LineValues
from app.services.billing.payments import PaymentValues
from app.services.people.users import create_user, find_user_by_email

ROSSI = "Rossi S.r.l."
ROSSI_VAT = "07643520567"
# Rossi's people: (email, name, release mode); the first two released now, the third waits for full payment.
ROSSI_PEOPLE = [
    ("marco.bianchi@example.com", "Marco Bianchi", SeatReleaseMode.NOW),
    ("giulia.verdi@example.com", "Giulia Verdi", SeatReleaseMode.NOW),
    ("luca.neri@example.com", "Luca Neri", SeatReleaseMode.AFTER_FULL_PAYMENT),
]


def seed_billing_demo(admin: User, customer: User, password: str) -> None:
    rossi = db.session.execute(sa.select(Company).where(Company.name == ROSSI, Company.partner_id.is_(None))
                               ).scalar_one_or_none()
    if rossi is None:
        rossi = Company(name=ROSSI, vat_number=ROSSI_VAT, contact="Anna Rossi, amministrazione@rossi.example")
        db.session.add(rossi)
        db.session.flush()
    invoice = _rossi_invoice(admin, rossi)
    if invoice is not None and not _any_linked(invoice):
        _rossi_seats(admin, invoice, rossi, password)
    _customer_invoice(admin, customer)


def _offer(product_name: str, offer_name: str) -> Offer | None:
    return db.session.execute(sa.select(Offer).join(Product, Offer.product_id == Product.id).where(
        Product.name == product_name, Offer.name == offer_name)).scalar_one_or_none()


def _rossi_invoice(admin: User, rossi: Company) -> Invoice | None:
    invoice = db.session.execute(sa.select(Invoice).where(Invoice.payer_name == ROSSI).order_by(Invoice.id)
                                 ).scalars().first()
    if invoice is not None:
        return invoice if invoice.is_issued else None
    offer = _offer("Office Bundle", "Full access")
    invoice = invoices.create_invoice(admin, InvoiceValues(
        payer=f"company:{rossi.id}", address="Via Roma 1, 20121 Milano MI", due_on=today() + timedelta(days=30),
        notes="Bank transfer to IT60 X054 2811 1010 0000 0123 456, quoting the invoice number."))
    invoices.add_line(admin, invoice, LineValues(offer_id=offer.id, quantity=5, description="Office Bundle"))
    invoices.add_line(admin, invoice, LineValues(description="Setup fee", quantity=1, unit_price_cents=5000))
    return invoices.issue_invoice(admin, invoice)


def _any_linked(invoice: Invoice) -> bool:
    return db.session.execute(sa.select(Seat.id).where(
        Seat.invoice_id == invoice.id, Seat.state != SeatState.FREE.value).limit(1)).first() is not None


def _rossi_seats(admin: User, invoice: Invoice, rossi: Company, password: str) -> None:
    line = next(line for line in invoice.lines if line.is_access)
    for email, name, mode in ROSSI_PEOPLE:
        person = find_user_by_email(email) or create_user(None, email=email, role=Role.STUDENT, name=name,
                                                          password=password)
        person.company_id = rossi.id
        seats.link_seat(admin, invoice, line_id=line.id, user_id=person.id, release_mode=mode.value)
    if not invoice.payments:
        payments.record_payment(admin, invoice, PaymentValues(
            amount_cents=30000, paid_on=today(), method=InvoicePaymentMethod.BANK_TRANSFER.value, reference="DEMO-CRO-0001",
            note="First instalment"))


def _customer_invoice(admin: User, customer: User) -> None:
    if db.session.execute(sa.select(Invoice.id).where(Invoice.customer_id == customer.id).limit(1)).first():
        return
    offer = _offer("Workplace Safety", "Standard")
    invoice = invoices.create_invoice(admin, InvoiceValues(
        payer=f"customer:{customer.id}", tax_id_kind=TaxIdKind.IT_FISCAL_CODE.value, tax_id="RSSMRA85T10A562S",
        address="Via Garibaldi 12, 10122 Torino TO", due_on=today() + timedelta(days=15)))
    invoices.add_line(admin, invoice, LineValues(offer_id=offer.id, quantity=2))
    invoices.issue_invoice(admin, invoice)
    seats.link_seat(admin, invoice, line_id=invoice.lines[0].id, user_id=customer.id,
                    release_mode=SeatReleaseMode.NOW.value)
