"""Invoices through the billing service: a payer (a client company with a real partita IVA), lines, issued."""

from __future__ import annotations

from datetime import timedelta

from app.models import Company, Offer
from app.services.access import today
from app.services.billing import invoices, payments, seats
from app.services.billing.invoices import InvoiceValues, LineValues
from app.services.billing.payments import PaymentValues

VALID_PARTITA_IVA = "07643520567"


class BillingFactory:
    def company(self, name=None, vat_number=VALID_PARTITA_IVA, partner=None) -> Company:
        company = Company(name=name or f"Company {self.n()}", vat_number=vat_number,
                          partner_id=partner.id if partner else None)
        self.db.session.add(company)
        self.db.session.flush()
        return company

    def invoice(self, *lines, payer=None, issue=True):
        """An invoice of ``lines``: ``(offer, quantity)``, ``(offer, quantity, unit_cents)`` or
        ``("Setup fee", quantity, unit_cents)``; paid by ``payer`` (a customer or a company; a new company)."""
        payer = payer or self.company()
        token = f"{'company' if isinstance(payer, Company) else 'customer'}:{payer.id}"
        invoice = invoices.create_invoice(self.platform_admin(), InvoiceValues(
            payer=token, due_on=today() + timedelta(days=30)))
        for what, quantity, *price in lines:
            unit = price[0] if price else None
            if isinstance(what, Offer):
                invoices.add_line(self.platform_admin(), invoice, LineValues(offer_id=what.id, quantity=quantity,
                                                                             unit_price_cents=unit))
            else:
                invoices.add_line(self.platform_admin(), invoice, LineValues(description=what, quantity=quantity,
                                                                             unit_price_cents=unit))
        if issue:
            invoices.issue_invoice(self.platform_admin(), invoice)
        return invoice

    def link(self, invoice, user, line=None, mode="after_full_payment"):
        line = line or next(line for line in invoice.lines if line.is_access)
        return seats.link_seat(self.platform_admin(), invoice, line_id=line.id, user_id=user.id, release_mode=mode)

    def pay(self, invoice, amount_cents=None, reference=None, method="bank_transfer", paid_on=None):
        return payments.record_payment(self.platform_admin(), invoice, PaymentValues(
            amount_cents=invoice.due_cents if amount_cents is None else amount_cents, paid_on=paid_on or today(),
            method=method, reference=reference or f"TRN-{self.n()}"))
