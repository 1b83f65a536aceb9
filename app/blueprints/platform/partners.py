"""Partners, their admins and their credits, as the platform admin sees them."""

from __future__ import annotations

from functools import partial

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints import wallet_history
from app.blueprints.wallet_operations import WalletOwner, wallet_operation
from app.blueprints.platform import bp
from app.blueprints.platform.forms import PartnerAdminForm, PartnerForm
from app.extensions import db
from app.models import Partner
from app.services import DomainError
from app.services.tenancy import partners
from app.services.people import users
from app.web import apply_refusal, is_htmx, refuse, render


def _owner(partner: Partner, balance: int) -> WalletOwner:
    return WalletOwner(
        name=partner.name, key=str(partner.id), balance=balance, endpoint="platform.partner_credits",
        url_args={"partner_id": partner.id}, back_url=url_for("platform.partners_list"),
        breadcrumbs=[(_("Partners"), url_for("platform.partners_list")),
                     (partner.name, url_for("platform.partner_detail", partner_id=partner.id))],
        note_help=_("Shown in the partner's wallet history."),
    )


PAGE_SIZE = 50


# --- list, create, edit ----------------------------------------------------------


@bp.route("/partners")
def partners_list():
    """Partners by name with their balances, searchable; the credit dialogs load on demand."""
    q = request.args.get("q", "")[:200]
    page = partners.page_of_partners(q, per_page=PAGE_SIZE, after=request.args.get("after"),
                                     before=request.args.get("before"))
    return render("platform/partners/list.html", "platform/partners/_rows.html", page=page, q=q,
                  totals=partners.balance_totals())


def _partner_form(form, partner):
    """The partner form as a page, or refused (422) after a POST that did not save."""
    if form.is_submitted():
        return refuse("platform/partners/form.html", form=form, partner=partner)
    return render("platform/partners/form.html", form=form, partner=partner)


@bp.route("/partners/new", methods=["GET", "POST"])
def new_partner():
    form = PartnerForm()
    if not form.is_submitted():
        form.show_colour(None)
    if form.validate_on_submit():
        try:
            partner = partners.create_partner(current_user, **form.partner_values())
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("Partner %(name)s created.", name=partner.name), "success")
            return redirect(url_for("platform.partner_detail", partner_id=partner.id))
    return _partner_form(form, None)


@bp.route("/partners/<int:partner_id>")
def partner_detail(partner_id):
    partner = db.get_or_404(Partner, partner_id)
    return _detail_page(partner, PartnerAdminForm(formdata=None))


def _detail_page(partner: Partner, admin_form: PartnerAdminForm, refused: bool = False):
    context = dict(partner=partner, balance=partners.balance_of(partner), admins=users.partner_admins(partner),
                   admin_form=admin_form)
    if refused:
        return refuse("platform/partners/detail.html", **context)
    return render("platform/partners/detail.html", **context)


@bp.route("/partners/<int:partner_id>/edit", methods=["GET", "POST"])
def edit_partner(partner_id):
    partner = db.get_or_404(Partner, partner_id)
    form = PartnerForm(obj=partner)
    if not form.is_submitted():
        form.show_colour(partner.brand_color)
    if form.validate_on_submit():
        try:
            partners.update_partner(current_user, partner, **form.partner_values())
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("Partner %(name)s saved.", name=partner.name), "success")
            return redirect(url_for("platform.partner_detail", partner_id=partner.id))
    return _partner_form(form, partner)


@bp.route("/partners/<int:partner_id>/admins", methods=["POST"])
def new_partner_admin(partner_id):
    partner = db.get_or_404(Partner, partner_id)
    form = PartnerAdminForm()
    if form.validate_on_submit():
        try:
            user = partners.create_partner_admin(current_user, partner, email=form.email.data,
                                                 name=form.name.data, password=form.password.data)
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("%(email)s can now administer %(name)s.", email=user.email, name=partner.name), "success")
            return redirect(url_for("platform.partner_detail", partner_id=partner.id))
    return _detail_page(partner, form, refused=True)


# --- recharge and deduction ------------------------------------------------------


@bp.route("/partners/<int:partner_id>/<any(recharge, deduct):operation>", methods=["GET", "POST"])
def partner_credits(partner_id, operation):
    """Recharge or deduct: a dialog on the partner list, a page of its own without JavaScript."""
    partner = db.get_or_404(Partner, partner_id)
    change = partners.recharge_partner if operation == "recharge" else partners.deduct_from_partner
    return wallet_operation(_owner(partner, partners.balance_of(partner)), operation,
                            partial(change, current_user, partner), lambda: _after_change(partner))


def _after_change(partner: Partner):
    if not is_htmx():
        return redirect(url_for("platform.partners_list"))
    db.session.refresh(partner)
    html, status = render("platform/partners/list.html", "platform/partners/_row_changed.html",
                          row=partners.PartnerBalance(partner, partners.balance_of(partner)),
                          totals=partners.balance_totals())
    return html, status, {
        "HX-Trigger": "aula:close-dialog",
        "HX-Retarget": f"#partner-{partner.id}",
        "HX-Reswap": "outerHTML",
    }


# --- wallet history ----------------------------------------------------------------


WALLET_PAGE = "platform/partners/wallet.html"


def _wallet_context(partner: Partner) -> dict:
    return dict(wallet=partner.wallet, partner=partner, balance=partners.balance_of(partner),
                page_endpoint="platform.partner_wallet", csv_endpoint="platform.partner_wallet_csv",
                url_args={"partner_id": partner.id})


@bp.route("/partners/<int:partner_id>/wallet")
def partner_wallet(partner_id):
    partner = db.get_or_404(Partner, partner_id)
    return wallet_history.history_page(WALLET_PAGE, **_wallet_context(partner))


@bp.route("/partners/<int:partner_id>/wallet.csv")
def partner_wallet_csv(partner_id):
    partner = db.get_or_404(Partner, partner_id)
    return wallet_history.history_csv(WALLET_PAGE, filename=wallet_history.statement_filename(partner.name),
                                      **_wallet_context(partner))
