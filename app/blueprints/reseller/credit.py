"""A customer's credit, as the reseller runs it: add credit (from its own wallet), recover the whole
balance (after a confirmation that carries the balance it showed), and the credit's history."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from app.blueprints import wallet_history
from app.blueprints.reseller import bp
from app.blueprints.reseller.customers import customer_or_404
from app.blueprints.reseller.forms import AddCreditForm, RecoverCreditForm
from app.i18n import format_credits
from app.services import DomainError
from app.services.ledger import wallets
from app.services.sales import customers
from app.web import apply_refusal, refuse, render


def _card(customer):
    return redirect(url_for("reseller.customer_card", customer_id=customer.id))


@bp.route("/customers/<int:customer_id>/credit/add", methods=["GET", "POST"])
def add_credit(customer_id):
    customer = customer_or_404(customer_id)
    reseller = current_user.reseller
    if request.method == "GET":
        return render("reseller/credit/add.html", form=AddCreditForm.blank(), customer=customer, reseller=reseller)
    form = AddCreditForm()
    if form.validate():
        try:
            moved = customers.add_credit(current_user, reseller, customer, form.amount.data, note=form.note.data or "",
                                         idempotency_key=form.idempotency_key.data)
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("Already applied: nothing was changed again.") if moved.out_entry.replayed else
                  ngettext("%(count)s credit given to %(name)s.", "%(count)s credits given to %(name)s.",
                           moved.in_entry.amount, count=format_credits(moved.in_entry.amount),
                           name=customer.display_name), "success")
            return _card(customer)
    if form.idempotency_key.errors:
        form.idempotency_key.data = AddCreditForm.blank().idempotency_key.data
    return refuse("reseller/credit/add.html", form=form, customer=customer, reseller=reseller)


@bp.route("/customers/<int:customer_id>/credit/recover", methods=["GET", "POST"])
def recover_credit(customer_id):
    """The confirmation shows the balance and carries it: exactly that balance moves, or nothing does."""
    customer = customer_or_404(customer_id)
    if request.method == "GET":
        credit = customers.credit_of(customer)
        form = RecoverCreditForm(formdata=None, balance=credit.balance, up_to=credit.up_to)
        return render("reseller/credit/recover.html", form=form, customer=customer, credit=credit)
    form = RecoverCreditForm()
    shown = form.shown() if form.validate_on_submit() else None
    if shown is None:
        abort(400)
    try:
        moved = customers.recover_credit(current_user, current_user.reseller, customer, shown)
    except DomainError as error:
        return refuse("reseller/credit/recover.html", form=RecoverCreditForm(formdata=None, **_fresh(customer)),
                      customer=customer, credit=customers.credit_of(customer), error=error.message)
    flash(_("Already done: this credit was recovered before.") if moved.out_entry.replayed else
          ngettext("%(count)s credit recovered from %(name)s.", "%(count)s credits recovered from %(name)s.",
                   moved.in_entry.amount, count=format_credits(moved.in_entry.amount), name=customer.display_name), "success")
    return _card(customer)


def _fresh(customer) -> dict:
    credit = customers.credit_of(customer)
    return {"balance": credit.balance, "up_to": credit.up_to}


HISTORY_PAGE = "reseller/credit/history.html"


def _history_context(customer) -> dict:
    return dict(wallet=wallets.wallet_of(customer), customer=customer, page_endpoint="reseller.credit_history",
                csv_endpoint="reseller.credit_history_csv", url_args={"customer_id": customer.id})


@bp.route("/customers/<int:customer_id>/credit")
def credit_history(customer_id):
    customer = customer_or_404(customer_id)
    return wallet_history.history_page(HISTORY_PAGE, **_history_context(customer))


@bp.route("/customers/<int:customer_id>/credit.csv")
def credit_history_csv(customer_id):
    customer = customer_or_404(customer_id)
    return wallet_history.history_csv(HISTORY_PAGE, filename=wallet_history.statement_filename(customer.email),
                                      **_history_context(customer))
