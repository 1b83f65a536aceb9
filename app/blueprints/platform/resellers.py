"""Resellers as the platform admin sees them: list (balances, search), create, edit, their users,
what each may sell, and their wallet (the same recharge/deduction dialog and ledger as partners')."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints import wallet_history
from app.blueprints.platform import bp
from app.blueprints.platform.forms import PartnerAdminForm
from app.blueprints.platform.reseller_forms import ResellerForm, ResellerSearchForm, reseller_offers_form
from app.blueprints.wallet_operations import WalletOwner, wallet_operation
from app.extensions import db
from app.models import Reseller
from app.services import DomainError
from app.services.people.directory import reseller_rows
from app.services.sales import catalog, resellers
from app.web import apply_refusal, is_htmx, paginate, refuse, render

PAGE_SIZE = 25


@dataclass
class ResellerRow:
    reseller: Reseller
    balance: int


def _owner(reseller: Reseller) -> WalletOwner:
    return WalletOwner(
        name=reseller.name, key=f"reseller-{reseller.id}", balance=resellers.balance_of(reseller),
        endpoint="platform.reseller_credits", url_args={"reseller_id": reseller.id},
        back_url=url_for("platform.resellers_list"),
        breadcrumbs=[(_("Resellers"), url_for("platform.resellers_list")),
                     (reseller.name, url_for("platform.reseller_detail", reseller_id=reseller.id))],
        note_help=_("Shown in the reseller's wallet history."))


def _row(reseller: Reseller) -> ResellerRow:
    return ResellerRow(reseller, resellers.balance_of(reseller))


@bp.route("/resellers")
def resellers_list():
    form = ResellerSearchForm(formdata=request.args)
    text = (form.q.data or "")[:200]
    page = paginate(resellers.resellers_query(text), per_page=PAGE_SIZE)
    counts = {row.reseller.id: row for row in reseller_rows(page.items)}
    return render("platform/resellers/list.html", "platform/resellers/_rows.html", page=page, form=form,
                  rows=[_row(reseller) for reseller in page.items], counts=counts, searching=bool(text))


def _form_page(form, reseller):
    return (refuse if form.is_submitted() else render)("platform/resellers/form.html", form=form, reseller=reseller)


@bp.route("/resellers/new", methods=["GET", "POST"])
def new_reseller():
    form = ResellerForm()
    if form.validate_on_submit():
        try:
            reseller = resellers.create_reseller(current_user, name=form.name.data)
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("Reseller %(name)s created.", name=reseller.name), "success")
            return redirect(url_for("platform.reseller_detail", reseller_id=reseller.id))
    return _form_page(form, None)


@bp.route("/resellers/<int:reseller_id>/edit", methods=["GET", "POST"])
def edit_reseller(reseller_id):
    reseller = db.get_or_404(Reseller, reseller_id)
    form = ResellerForm(obj=reseller)
    if form.validate_on_submit():
        try:
            resellers.update_reseller(current_user, reseller, name=form.name.data)
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("Reseller %(name)s saved.", name=reseller.name), "success")
            return redirect(url_for("platform.reseller_detail", reseller_id=reseller.id))
    return _form_page(form, reseller)


def _detail(reseller: Reseller, user_form: PartnerAdminForm, refused: bool = False):
    context = dict(reseller=reseller, balance=resellers.balance_of(reseller), users=resellers.reseller_users(reseller),
                   user_form=user_form, offers=catalog.offers_for_sale(reseller))
    return (refuse if refused else render)("platform/resellers/detail.html", **context)


@bp.route("/resellers/<int:reseller_id>")
def reseller_detail(reseller_id):
    return _detail(db.get_or_404(Reseller, reseller_id), PartnerAdminForm(formdata=None))


@bp.route("/resellers/<int:reseller_id>/users", methods=["POST"])
def new_reseller_user(reseller_id):
    """A person who signs in for the reseller (same fields as a partner admin)."""
    reseller = db.get_or_404(Reseller, reseller_id)
    form = PartnerAdminForm()
    if form.validate_on_submit():
        try:
            user = resellers.create_reseller_user(current_user, reseller, email=form.email.data, name=form.name.data,
                                                  password=form.password.data)
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("%(email)s can now sign in for %(name)s.", email=user.email, name=reseller.name), "success")
            return redirect(url_for("platform.reseller_detail", reseller_id=reseller.id))
    return _detail(reseller, form, refused=True)


@bp.route("/resellers/<int:reseller_id>/offers", methods=["GET", "POST"])
def reseller_offers(reseller_id):
    """Which offers the reseller may sell, each with an optional price in credits."""
    reseller = db.get_or_404(Reseller, reseller_id)
    offers = catalog.sellable_offers()
    form = reseller_offers_form(offers, catalog.reseller_offer_prices(reseller))
    if form.validate_on_submit():
        try:
            catalog.set_offers_for_sale(current_user, reseller, form.chosen())
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("What %(name)s sells is saved.", name=reseller.name), "success")
            return redirect(url_for("platform.reseller_detail", reseller_id=reseller.id))
    return (refuse if form.is_submitted() else render)("platform/resellers/offers.html", form=form, offers=offers,
                                                        reseller=reseller)


@bp.route("/resellers/<int:reseller_id>/<any(recharge, deduct):operation>", methods=["GET", "POST"])
def reseller_credits(reseller_id, operation):
    """Recharge or deduct: the partners' dialog and ledger use cases, for a reseller's wallet."""
    reseller = db.get_or_404(Reseller, reseller_id)
    change = resellers.recharge_reseller if operation == "recharge" else resellers.deduct_from_reseller
    return wallet_operation(_owner(reseller), operation, partial(change, current_user, reseller),
                            lambda: _after_change(reseller))


def _after_change(reseller: Reseller):
    if not is_htmx():
        return redirect(url_for("platform.resellers_list"))
    db.session.refresh(reseller)
    db.session.refresh(reseller.wallet)
    counts = {row.reseller.id: row for row in reseller_rows([reseller])}  # the row as the list shows it
    html, status = render("platform/resellers/list.html", "platform/resellers/_row.html", row=_row(reseller),
                          counts=counts)
    return html, status, {"HX-Trigger": "aula:close-dialog", "HX-Retarget": f"#reseller-{reseller.id}",
                          "HX-Reswap": "outerHTML"}


WALLET_PAGE = "platform/resellers/wallet.html"


def _wallet_context(reseller: Reseller) -> dict:
    return dict(wallet=reseller.wallet, reseller=reseller, balance=resellers.balance_of(reseller),
                page_endpoint="platform.reseller_wallet", csv_endpoint="platform.reseller_wallet_csv",
                url_args={"reseller_id": reseller.id})


@bp.route("/resellers/<int:reseller_id>/wallet")
def reseller_wallet(reseller_id):
    reseller = db.get_or_404(Reseller, reseller_id)
    return wallet_history.history_page(WALLET_PAGE, **_wallet_context(reseller))


@bp.route("/resellers/<int:reseller_id>/wallet.csv")
def reseller_wallet_csv(reseller_id):
    reseller = db.get_or_404(Reseller, reseller_id)
    return wallet_history.history_csv(WALLET_PAGE, filename=wallet_history.statement_filename(reseller.name),
                                      **_wallet_context(reseller))
