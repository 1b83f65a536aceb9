"""A customer's invoices in the member area: status, what is paid and due, the seats and who has them, the PDF.

Only the customer the invoice is made out to sees it (anyone else's, or a
draft, is a 404); the document is the same partial the platform admin sees.
"""

from flask import abort
from flask_login import current_user

from app.blueprints import invoice_documents
from app.blueprints.member import bp
from app.models import Invoice
from app.services.billing import invoices
from app.web import paginate, render

PAGE_SIZE = 20


def _own_invoice(invoice_id: int) -> Invoice:
    invoice = invoices.customer_invoice(current_user, invoice_id)
    if invoice is None:
        abort(404)
    return invoice


@bp.route("/invoices")
def my_invoices():
    page = paginate(invoices.customer_invoices_query(current_user), per_page=PAGE_SIZE)
    return render("member/invoices/list.html", page=page, counts=invoices.seat_counts(i.id for i in page.items),
                  **invoice_documents.labels())


@bp.route("/invoices/<int:invoice_id>")
def my_invoice(invoice_id):
    invoice = _own_invoice(invoice_id)
    return render("member/invoices/detail.html", **invoice_documents.document_context(invoice),
                  **invoice_documents.seats_context(invoice))


@bp.route("/invoices/<int:invoice_id>.pdf")
def my_invoice_pdf(invoice_id):
    return invoice_documents.pdf_download(_own_invoice(invoice_id))
