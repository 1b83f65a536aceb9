"""The invoice as a PDF (fpdf2): number, dates, payer and tax id, lines, totals, payments, notes.

Fonts are the shared Unicode setup (app.services.pdf_fonts): any payer's name or
address prints as written, and the euro sign as "€".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from flask import current_app
from flask_babel import format_currency, format_date
from flask_babel import gettext as _, lazy_pgettext

from app.models import Invoice, InvoiceStatus, Payment, PaymentKind
from app.services.billing import tax_ids
from app.services.pdf_fonts import add_unicode_fonts

if TYPE_CHECKING:
    from fpdf import FPDF

# An invoice's status, an adjective that agrees with "invoice" (fattura, fatura: feminine): its own context,
# apart from the same English words elsewhere ("Paid" as an amount, an enrolment "Cancelled").
STATUS_TEXT = {
    InvoiceStatus.DRAFT.value: lazy_pgettext("invoice status", "Draft"),
    InvoiceStatus.OPEN.value: lazy_pgettext("invoice status", "Open"),
    InvoiceStatus.PARTIALLY_PAID.value: lazy_pgettext("invoice status", "Partially paid"),
    InvoiceStatus.PAID.value: lazy_pgettext("invoice status", "Paid"),
    InvoiceStatus.CANCELLED.value: lazy_pgettext("invoice status", "Cancelled"),
}


@dataclass(frozen=True)
class Fonts:
    family: str
    printable: Callable[[str], str]


def invoice_fonts(pdf: FPDF, invoice: Invoice, payments: list[Payment]) -> Fonts:
    """The invoice's fonts, set up on ``pdf`` for every character the invoice's own texts use."""
    texts = [current_app.config["PLATFORM_NAME"], invoice.payer_name or "", invoice.payer_address or "",
             invoice.notes or "", *(line.description for line in invoice.lines),
             *(payment.reference or "" for payment in payments)]
    return Fonts(add_unicode_fonts(pdf, texts), str)


def invoice_pdf(invoice: Invoice, payments: list[Payment]) -> bytes:
    from fpdf import FPDF  # here, not at import: most processes never draw an invoice

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    fonts = invoice_fonts(pdf, invoice, payments)
    text = fonts.printable

    def money(cents: int) -> str:
        return text(format_currency(cents / 100, invoice.currency))

    def font(style: str = "", size: float = 10) -> None:
        pdf.set_font(fonts.family, style, size)

    title = _("Invoice %(number)s", number=invoice.number) if invoice.number else _("Draft invoice")
    pdf.set_title(text(title))
    pdf.set_author(text(current_app.config["PLATFORM_NAME"]))
    pdf.add_page()
    pdf.set_auto_page_break(True, margin=15)
    font("B", 18)
    pdf.cell(0, 10, text(current_app.config["PLATFORM_NAME"]), new_x="LMARGIN", new_y="NEXT")
    font("B", 14)
    pdf.cell(0, 8, text(title), new_x="LMARGIN", new_y="NEXT")
    font("", 10)
    for label, value in [
        (_("Status"), str(STATUS_TEXT.get(invoice.status, invoice.status))),
        (_("Issued on"), format_date(invoice.issued_on, "long") if invoice.issued_on else "-"),
        (_("Due on"), format_date(invoice.due_on, "long") if invoice.due_on else "-"),
    ]:
        pdf.cell(35, 6, text(label))
        pdf.cell(0, 6, text(str(value)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    font("B", 11)
    pdf.cell(0, 6, text(_("Bill to")), new_x="LMARGIN", new_y="NEXT")
    font("", 10)
    for line in [invoice.payer_name, invoice.payer_address,
                 f"{tax_ids.label(invoice.payer_tax_id_kind)}: "
                 f"{tax_ids.formatted(invoice.payer_tax_id_kind, invoice.payer_tax_id)}" if invoice.payer_tax_id else ""]:
        if line:
            pdf.multi_cell(0, 5, text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    widths = (95, 20, 35, 35)
    font("B", 10)
    for width, heading, align in zip(widths, (_("Description"), _("Qty"), _("Unit price"), _("Amount")),
                                     ("L", "R", "R", "R")):
        pdf.cell(width, 7, text(heading), border="B", align=align)
    pdf.ln()
    font("", 10)
    for item in invoice.lines:
        # The whole description, wrapped in its column; the figures stay on its first line.
        if pdf.will_page_break(6 * 3):
            pdf.add_page()
        top = pdf.get_y()
        height = pdf.multi_cell(widths[0], 6, text(item.description), new_x="RIGHT", new_y="TOP", output="HEIGHT")
        pdf.cell(widths[1], 6, str(item.quantity), align="R")
        pdf.cell(widths[2], 6, money(item.unit_price_cents), align="R")
        pdf.cell(widths[3], 6, money(item.total_cents), align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(max(pdf.get_y(), top + height))
    pdf.ln(2)
    for label, cents, style in [(_("Total"), invoice.total_cents, "B"), (_("Paid"), invoice.paid_cents, ""),
                                (_("Due"), invoice.due_cents, "B")]:
        font(style, 10)
        pdf.cell(sum(widths[:3]), 6, text(label), align="R")
        pdf.cell(widths[3], 6, money(cents), align="R", new_x="LMARGIN", new_y="NEXT")

    if payments:
        pdf.ln(4)
        font("B", 11)
        pdf.cell(0, 6, text(_("Payments")), new_x="LMARGIN", new_y="NEXT")
        font("", 9)
        for payment in payments:
            kind = _("Reversal") if payment.kind == PaymentKind.REVERSAL else _("Payment")
            top = pdf.get_y()
            pdf.cell(30, 5, text(format_date(payment.paid_on)))
            pdf.cell(25, 5, text(kind))
            height = pdf.multi_cell(95, 5, text(payment.reference), new_x="RIGHT", new_y="TOP", output="HEIGHT")
            pdf.cell(35, 5, money(payment.amount_cents), align="R", new_x="LMARGIN", new_y="NEXT")
            pdf.set_y(max(pdf.get_y(), top + height))
    if invoice.notes:
        pdf.ln(4)
        font("B", 11)
        pdf.cell(0, 6, text(_("Notes")), new_x="LMARGIN", new_y="NEXT")
        font("", 10)
        pdf.multi_cell(0, 5, text(invoice.notes), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
