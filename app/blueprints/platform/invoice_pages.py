"""How the platform's invoice pages are put together: the invoice page with its forms, and answers after a change.

The invoice page is one fragment (``platform/invoices/_body.html``: summary,
the document, payments, seats). Every action answers an HTMX request with
that fragment (a dialog's form first retargets it and closes the dialog), and
a plain form post with a redirect to the page.
"""

from __future__ import annotations

from flask import abort, redirect, url_for

from app.blueprints.invoice_documents import document_context, seats_context
from app.blueprints.platform.invoice_forms import CancelForm, LineForm, LinkSeatForm, PaymentForm, ReverseForm
from app.models import Invoice, InvoiceStatus
from app.services.access import today
from app.services.billing import cancellation, invoices, seats
from app.services.tenancy.settings import settings
from app.web import is_htmx, refuse, render

PAGE = "platform/invoices/detail.html"
BODY = "platform/invoices/_body.html"


def invoice_or_404(invoice_id: int) -> Invoice:
    invoice = invoices.find_invoice(invoice_id)
    if invoice is None:
        abort(404)
    return invoice


def blank_payment_form(invoice: Invoice) -> PaymentForm:
    return PaymentForm(formdata=None, data={"paid_on": today(), "amount": invoice.due_cents or None})


def link_form(invoice: Invoice, *, posted: bool = False) -> LinkSeatForm:
    """The "+ Link access" form: as posted, or blank whatever was posted."""
    free = seats.lines_with_free_seats(invoice) if invoice.is_issued else []
    return LinkSeatForm(free) if posted else LinkSeatForm(free, formdata=None)


def page_context(invoice: Invoice, **forms) -> dict:
    """Everything the invoice page shows; ``forms`` replace the blank ones (a refused form with its errors)."""
    context = {**document_context(invoice), **seats_context(invoice)}
    context.update(
        seats_on_reversal=settings().seats_on_reversal,
        released=cancellation.released_seat_count(invoice) if invoice.status != InvoiceStatus.DRAFT else 0,
        payment_form=forms.get("payment_form") or blank_payment_form(invoice),
        line_form=forms.get("line_form") or LineForm(invoices.offer_choices(), formdata=None),
        seat_form=forms.get("seat_form") or link_form(invoice),
        cancel_form=forms.get("cancel_form") or CancelForm(formdata=None),
        reverse_form=forms.get("reverse_form") or ReverseForm(formdata=None),
        reverse_payment_id=forms.get("reverse_payment_id"),
    )
    return context


def invoice_page(invoice: Invoice, **forms):
    return render(PAGE, BODY, **page_context(invoice, **forms))


def refused_page(invoice: Invoice, **forms):
    return refuse(PAGE, BODY, **page_context(invoice, **forms))


def after_change(invoice: Invoice, anchor: str | None = None, *, from_dialog: bool = False):
    """After a successful action: the page's fragment (HTMX) or a redirect to the page."""
    if not is_htmx():
        return redirect(url_for("platform.invoice_detail", invoice_id=invoice.id, _anchor=anchor))
    html, status = invoice_page(invoice)
    headers = {"HX-Retarget": "#invoice-body", "HX-Reswap": "outerHTML"}
    if from_dialog:
        headers["HX-Trigger"] = "aula:close-dialog"
    return html, status, headers
