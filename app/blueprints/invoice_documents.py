"""An invoice as a document, shared by the platform admin and the customer: the printable page and the PDF.

Both audiences render the same partial (templates/invoices/_document.html);
who may see which invoice is the caller's job.
"""

from __future__ import annotations

from flask import make_response
from flask_babel import lazy_gettext as _l

from app.models import Invoice, InvoicePaymentMethod, SeatReleaseMode, SeatState
from app.services.billing import invoices, payments, seats
from app.services.billing.invoice_pdf import STATUS_TEXT, invoice_pdf
from app.services.billing.tax_ids import formatted, label
from app.web import render

STATUS_LABELS = STATUS_TEXT  # one wording of an invoice's status, on pages and in the PDF
METHOD_LABELS = {
    InvoicePaymentMethod.BANK_TRANSFER.value: _l("Bank transfer"),
    InvoicePaymentMethod.CARD.value: _l("Card"),
    InvoicePaymentMethod.CASH.value: _l("Cash"),
    InvoicePaymentMethod.OTHER.value: _l("Other"),
}
MODE_LABELS = {
    SeatReleaseMode.AFTER_FULL_PAYMENT.value: _l("After full payment"),
    SeatReleaseMode.NOW.value: _l("Now"),
}
SEAT_STATE_LABELS = {
    SeatState.FREE.value: _l("Free"),
    SeatState.WAITING.value: _l("Waiting for payment"),
    SeatState.RELEASED.value: _l("Released"),
    SeatState.REVOKED.value: _l("Revoked"),
}


def labels() -> dict:
    """The words the invoice partials show for statuses, methods, modes and tax ids."""
    return dict(status_labels=STATUS_LABELS, method_labels=METHOD_LABELS, mode_labels=MODE_LABELS,
                seat_state_labels=SEAT_STATE_LABELS, tax_id_label=label, tax_id_text=formatted)


def document_context(invoice: Invoice) -> dict:
    entries = payments.payments_of(invoice)
    return dict(invoice=invoice, payments=entries, reversed_ids=payments.reversed_ids(entries),
                line_counts=invoices.line_seat_counts(invoice), **labels())


def seats_context(invoice: Invoice) -> dict:
    """The seats given to someone, one by one; the free ones counted per line (an invoice may have 10,000)."""
    return dict(seats=seats.linked_seats_of(invoice), free_seats=seats.free_seats_by_line(invoice),
                counts=invoices.seat_counts([invoice.id]).get(invoice.id, invoices.SeatCounts()))


def printable(invoice: Invoice):
    """The invoice alone on a page made for printing (no navigation)."""
    return render("invoices/print.html", **document_context(invoice))


def pdf_download(invoice: Invoice):
    filename = f"invoice-{invoice.number or f'draft-{invoice.id}'}.pdf"
    response = make_response(invoice_pdf(invoice, payments.payments_of(invoice)))
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
