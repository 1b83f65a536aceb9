"""The platform's invoices: the list (filters, seat counts), drafts and their lines, issue, discard, print and PDF."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints import invoice_documents
from app.blueprints.platform import bp
from app.blueprints.platform.forms import EmptyForm
from app.blueprints.platform.invoice_forms import InvoiceFilterForm, InvoiceForm, LineForm
from app.blueprints.platform.invoice_pages import after_change, invoice_or_404, invoice_page, refused_page
from app.models import Invoice
from app.services import DomainError
from app.services.billing import cancellation, invoices
from app.web import apply_refusal, paginate, refuse, render

PAGE_SIZE = 25
LIST = "platform/invoices/list.html"
ROWS = "platform/invoices/_rows.html"
FORM = "platform/invoices/form.html"


@bp.route("/invoices")
def invoices_list():
    form = InvoiceFilterForm(formdata=request.args)
    if not form.validate():
        return refuse(LIST, ROWS, filter_form=form, page=None, counts={}, **invoice_documents.labels())
    page = paginate(invoices.invoices_query(form.filters()), per_page=PAGE_SIZE)
    return render(LIST, ROWS, filter_form=form, page=page, counts=invoices.seat_counts(i.id for i in page.items),
                  **invoice_documents.labels())


@bp.route("/invoices/payers")
def invoice_payers():
    """Search-as-you-type for the payer: the radio list of matching customers and companies."""
    q = (request.args.get("payer_q") or "").strip()[:100]
    return render("platform/invoices/_payer_results.html", choices=invoices.payer_choices(q), q=q,
                  chosen=invoices.payer_choice(request.args.get("payer")))


def _form_page(form: InvoiceForm, invoice: Invoice | None, *, refused: bool = False):
    context = dict(form=form, invoice=invoice, choices=invoices.payer_choices(form.payer_q.data),
                   chosen=invoices.payer_choice(form.payer.data))
    return refuse(FORM, **context) if refused else render(FORM, **context)


def _save(form: InvoiceForm, invoice: Invoice | None) -> Invoice | None:
    try:
        if invoice is None:
            return invoices.create_invoice(current_user, form.values())
        return invoices.update_invoice(current_user, invoice, form.values())
    except DomainError as error:
        apply_refusal(form, error)
        return None


@bp.route("/invoices/new", methods=["GET", "POST"], defaults={"invoice_id": None})
@bp.route("/invoices/<int:invoice_id>/edit", methods=["GET", "POST"])
def invoice_form(invoice_id):
    """A draft's payer and terms. "Search" (without JavaScript) lists payers again and saves nothing."""
    invoice = invoice_or_404(invoice_id) if invoice_id is not None else None
    if request.method == "GET":
        return _form_page(InvoiceForm.of(invoice, invoices.default_due_on()), invoice)
    form = InvoiceForm()
    if request.form.get("action") == "search":
        return _form_page(form, invoice)
    saved = _save(form, invoice) if form.validate() else None
    if saved is None:
        return _form_page(form, invoice, refused=True)
    flash(_("Invoice saved as a draft: add its lines, then issue it."), "success")
    return redirect(url_for("platform.invoice_detail", invoice_id=saved.id))


@bp.route("/invoices/<int:invoice_id>")
def invoice_detail(invoice_id):
    return invoice_page(invoice_or_404(invoice_id))


@bp.route("/invoices/<int:invoice_id>/lines", methods=["POST"])
def invoice_add_line(invoice_id):
    invoice = invoice_or_404(invoice_id)
    form = LineForm(invoices.offer_choices())
    if form.validate():
        try:
            invoices.add_line(current_user, invoice, form.values())
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("Line added."), "success")
            return after_change(invoice, "lines")
    return refused_page(invoice, line_form=form)


def _simple_action(invoice: Invoice, action, success: str, anchor: str | None = None):
    """A button that changes the invoice (CSRF only): done and said, or refused on the page."""
    if not EmptyForm().validate():
        return refused_page(invoice)
    try:
        action()
    except DomainError as error:
        flash(error.message, "error")
        return refused_page(invoice)
    flash(success, "success")
    return after_change(invoice, anchor)


@bp.route("/invoices/<int:invoice_id>/lines/<int:line_id>/delete", methods=["POST"])
def invoice_remove_line(invoice_id, line_id):
    invoice = invoice_or_404(invoice_id)
    return _simple_action(invoice, lambda: invoices.remove_line(current_user, invoice, line_id),
                          _("Line removed."), "lines")


@bp.route("/invoices/<int:invoice_id>/issue", methods=["POST"])
def invoice_issue(invoice_id):
    invoice = invoice_or_404(invoice_id)
    return _simple_action(invoice, lambda: invoices.issue_invoice(current_user, invoice),
                          _("Invoice issued: its seats can now be linked."))


@bp.route("/invoices/<int:invoice_id>/discard", methods=["POST"])
def invoice_discard(invoice_id):
    invoice = invoice_or_404(invoice_id)
    if not EmptyForm().validate():
        return refused_page(invoice)
    try:
        cancellation.discard_draft(current_user, invoice)
    except DomainError as error:
        flash(error.message, "error")
        return refused_page(invoice)
    flash(_("Draft discarded."), "success")
    return redirect(url_for("platform.invoices_list"))


@bp.route("/invoices/<int:invoice_id>/print")
def invoice_print(invoice_id):
    return invoice_documents.printable(invoice_or_404(invoice_id))


@bp.route("/invoices/<int:invoice_id>.pdf")
def invoice_pdf(invoice_id):
    return invoice_documents.pdf_download(invoice_or_404(invoice_id))
