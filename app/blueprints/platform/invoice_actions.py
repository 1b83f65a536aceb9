"""What the platform admin does on an issued invoice: payments and reversals, cancellation, seats (link, unlink).

Every action is a form that works without JavaScript (a page of its own for
the dialogs, a redirect after success); with htmx it answers the invoice
page's fragment, so the seats, counts, payments and status change in place.
"""

from __future__ import annotations

from flask import abort, flash, request
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.invoice_documents import STATUS_LABELS
from app.blueprints.platform import bp
from app.blueprints.platform.forms import EmptyForm
from app.blueprints.platform.invoice_forms import CancelForm, PaymentForm, ReverseForm
from app.blueprints.platform.invoice_pages import (
    after_change, invoice_or_404, link_form, page_context, refused_page,
)
from app.models import SeatState
from app.services import DomainError
from app.services.billing import cancellation, payments, seats
from app.web import apply_refusal, is_htmx, parse_id, refuse, render

SEAT_PAGE = "platform/invoices/link_seat.html"
SEAT_FORM = "platform/invoices/_link_form.html"
REVERSE_PAGE = "platform/invoices/reverse.html"
REVERSE_FORM = "platform/invoices/_reverse_form.html"
CANCEL_PAGE = "platform/invoices/cancel.html"
CANCEL_FORM = "platform/invoices/_cancel_form.html"


@bp.route("/invoices/<int:invoice_id>/payments", methods=["POST"])
def invoice_record_payment(invoice_id):
    invoice = invoice_or_404(invoice_id)
    form = PaymentForm()
    if form.validate():
        try:
            payment = payments.record_payment(current_user, invoice, form.values())
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("Payment of %(amount)s recorded. Status: %(status)s.", amount=payments.money(
                payment.amount_cents, invoice.currency), status=STATUS_LABELS[invoice.status]), "success")
            return after_change(invoice, "payments")
    return refused_page(invoice, payment_form=form)


def _dialog_page(page: str, fragment: str, invoice, form, status: int = 200, **context):
    """A dialog's form: alone for htmx (it replaces itself), or on a page of its own without JavaScript."""
    context = {**page_context(invoice), **context, "form": form, "in_dialog": is_htmx()}
    return (refuse if status == 422 else render)(page, fragment, **context)


@bp.route("/invoices/<int:invoice_id>/payments/<int:payment_id>/reverse", methods=["GET", "POST"])
def invoice_reverse_payment(invoice_id, payment_id):
    invoice = invoice_or_404(invoice_id)
    form = ReverseForm()
    payment = next((p for p in payments.payments_of(invoice) if p.id == payment_id), None)
    if payment is None:  # no such payment on this invoice (another invoice's, or none at all)
        abort(404)
    if request.method == "POST" and form.validate():
        try:
            payments.reverse_payment(current_user, invoice, payment_id, reason=form.reason.data)
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("Payment reversed: a reversal entry was added."), "success")
            return after_change(invoice, "payments", from_dialog=True)
    return _dialog_page(REVERSE_PAGE, REVERSE_FORM, invoice, form, 422 if form.is_submitted() else 200,
                        payment=payment)


@bp.route("/invoices/<int:invoice_id>/cancel", methods=["GET", "POST"])
def invoice_cancel(invoice_id):
    invoice = invoice_or_404(invoice_id)
    form = CancelForm()
    if request.method == "POST" and form.validate():
        try:
            cancellation.cancel_invoice(current_user, invoice, revoke_released=form.revoke_released.data)
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("Invoice %(number)s cancelled.", number=invoice.number), "success")
            return after_change(invoice, from_dialog=True)
    return _dialog_page(CANCEL_PAGE, CANCEL_FORM, invoice, form, 422 if form.is_submitted() else 200)


# --- seats ----------------------------------------------------------------------------------------------------


@bp.route("/invoices/<int:invoice_id>/seats/users")
def invoice_seat_users(invoice_id):
    """Search-as-you-type for "+ Link access": the radio list of matching students and customers."""
    invoice_or_404(invoice_id)
    q = (request.args.get("user_q") or "").strip()[:100]
    chosen = seats.seat_user(parse_id(request.args.get("user_id")))
    return render("platform/invoices/_user_results.html", users=seats.user_choices(q), q=q, chosen=chosen)


@bp.route("/invoices/<int:invoice_id>/seats/new", methods=["GET", "POST"])
def invoice_link_seat(invoice_id):
    """Link a user to a free seat: a dialog on the invoice page, a page of its own without JavaScript."""
    invoice = invoice_or_404(invoice_id)
    form = link_form(invoice, posted=request.method == "POST")
    searching = request.form.get("action") == "search"
    if request.method == "POST" and not searching and form.validate():
        try:
            seat = seats.link_seat(current_user, invoice, **form.chosen())
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("%(user)s linked to %(product)s: %(state)s.", user=seat.user.email, product=seat.line.description,
                    state=_("released") if seat.state == SeatState.RELEASED else _("waiting for full payment")), "success")
            return after_change(invoice, "seats", from_dialog=True)
    status = 422 if request.method == "POST" and not searching else 200
    return _dialog_page(SEAT_PAGE, SEAT_FORM, invoice, form, status, users=seats.user_choices(form.user_q.data),
                        chosen=seats.seat_user(form.user_id.data))


@bp.route("/invoices/<int:invoice_id>/seats/<int:seat_id>/unlink", methods=["POST"])
def invoice_unlink_seat(invoice_id, seat_id):
    invoice = invoice_or_404(invoice_id)
    if not EmptyForm().validate():
        return refused_page(invoice)
    try:
        seats.unlink_seat(current_user, invoice, seat_id)
    except DomainError as error:
        flash(error.message, "error")
        return refused_page(invoice)
    flash(_("Seat unlinked: it is free again."), "success")
    return after_change(invoice, "seats")
