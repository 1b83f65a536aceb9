"""A wallet's recharge and deduction dialog, shared by the platform admin's partners and resellers.

One form (``WalletOperationForm``, a fresh idempotency key each time it is
rendered), one dialog loaded on demand into the page's #dialog-host (or, without
JavaScript, a page of its own: templates/wallets/_credits_*.html), one way to
answer: refused -> the form again (422) with the service's words; applied ->
the caller's answer (a row swapped in place, or a redirect). Which wallet and
which ledger use case is the caller's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from flask import flash, request, url_for
from flask_babel import gettext as _, ngettext

from app.i18n import format_credits

from app.blueprints.platform.forms import WalletOperationForm
from app.services import DomainError
from app.web import refuse, render

OPERATIONS = ("recharge", "deduct")


@dataclass
class WalletOwner:
    """Whose wallet the dialog changes, and where its form posts."""

    name: str
    key: str  # unique on a page: prefixes the dialog and the form (``recharge-<key>``)
    balance: int
    endpoint: str  # the view of the dialog: url_for(endpoint, operation=..., **url_args)
    url_args: dict
    back_url: str  # where the page without JavaScript goes back to
    breadcrumbs: list[tuple[str, str]] = field(default_factory=list)
    note_help: str = ""

    def action(self, operation: str) -> str:
        return url_for(self.endpoint, operation=operation, **self.url_args)

    def prefix(self, operation: str) -> str:
        return f"{operation}-{self.key}"

    def blank_form(self, operation: str) -> WalletOperationForm:
        return WalletOperationForm.blank(self.prefix(operation))


def wallet_operation(owner: WalletOwner, operation: str, change: Callable, after_change: Callable):
    """GET: the dialog as a page of its own. POST: ``change(amount, reason=, idempotency_key=)``, then
    ``after_change()`` answers; a refusal comes back as the form (422) with the balance it reports."""
    context = dict(owner=owner, operation=operation, balance=owner.balance)
    if request.method == "GET":  # the dialog (HTMX, loaded on demand) or its page, with a fresh request key
        return render("wallets/credits.html", "wallets/_credits_dialog.html", form=owner.blank_form(operation),
                      **context)
    form = WalletOperationForm(prefix=owner.prefix(operation))
    if form.validate():
        try:
            entry = change(form.amount.data, reason=form.reason.data.strip(), idempotency_key=form.idempotency_key.data)
        except DomainError as error:
            form.show_refusal(error)
            context["balance"] = getattr(error, "available", owner.balance)
        else:
            flash_outcome(entry, operation, owner.name)
            return after_change()
    form.renew_key_if_invalid()
    return refuse("wallets/credits.html", "wallets/_credits_form.html", form=form, **context)


def flash_outcome(entry, operation: str, name: str) -> None:
    if entry.replayed:
        flash(_("Already applied: this request was received before, nothing was changed again."), "info")
    elif operation == "recharge":
        flash(ngettext("%(count)s credit added to %(name)s. Balance: %(balance)s.",
                       "%(count)s credits added to %(name)s. Balance: %(balance)s.", entry.amount,
                       count=format_credits(entry.amount), name=name,
                       balance=format_credits(entry.balance_after)), "success")
    else:
        flash(ngettext("%(count)s credit deducted from %(name)s. Balance: %(balance)s.",
                       "%(count)s credits deducted from %(name)s. Balance: %(balance)s.", -entry.amount,
                       count=format_credits(-entry.amount), name=name,
                       balance=format_credits(entry.balance_after)), "success")
