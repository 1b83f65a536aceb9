"""The CRM, for the platform admin: contacts, the contact card (products, timeline, details), plan change, edit order.

Dialogs (+ Product, remove an access, edit order) are pages of their own
without JavaScript; with htmx a link loads the same page's fragment into the
card's <dialog>, a refusal comes back into it (422), and a success closes it
and refreshes the Products tab.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import format_date, gettext as _
from flask_login import current_user

from app.blueprints.platform import bp
from app.blueprints.platform.crm_forms import AddProductForm, RemoveAccessForm, order_form
from app.models import Grant, User
from app.services import DomainError, audit_trail
from app.services.crm import card, contacts, orders, plans
from app.web import apply_refusal, is_htmx, paginate, render, render_with_status

PAGE_SIZE = 50
TIMELINE_PAGE_SIZE = 50


def _contact_or_404(user_id: int) -> User:
    contact = contacts.find_contact(user_id)
    if contact is None:
        abort(404)
    return contact


def _grant_or_404(contact: User, grant_id: int) -> Grant:
    grant = card.contact_grant(contact, grant_id)
    if grant is None:
        abort(404)
    return grant


@bp.route("/crm")
def crm_contacts():
    q = (request.args.get("q") or "").strip()[:contacts.QUERY_MAX]
    page = paginate(contacts.contacts_query(q), per_page=PAGE_SIZE)
    return render("platform/crm/contacts.html", "platform/crm/_contact_rows.html", page=page, q=q,
                  rows=contacts.contact_rows(page.items))


def _tab_context(contact: User, tab: str) -> dict:
    context = dict(contact=contact, tab=tab)
    if tab == "products":
        context["accesses"] = card.accesses_of(contact)
    elif tab == "timeline":
        context.update(page=paginate(card.timeline_query(contact), per_page=TIMELINE_PAGE_SIZE),
                       subjects=card.timeline_subjects(contact),
                       # the audit trail's words for a field, an access setting and its value
                       field_label=audit_trail.field_label, setting_label=audit_trail.setting_label,
                       setting_value=audit_trail.setting_value)
    return context


@bp.route("/crm/contacts/<int:user_id>", defaults={"tab": "products"})
@bp.route("/crm/contacts/<int:user_id>/<any(timeline, details):tab>")
def crm_contact(user_id, tab):
    contact = _contact_or_404(user_id)
    return render("platform/crm/contact.html", "platform/crm/_tab.html", **_tab_context(contact, tab))


def _after_change(contact: User):
    """Back to the Products tab: a redirect, or (htmx) the tab itself with the dialog closed."""
    if not is_htmx():
        return redirect(url_for("platform.crm_contact", user_id=contact.id))
    html, status = render("platform/crm/contact.html", "platform/crm/_tab.html", **_tab_context(contact, "products"))
    return html, status, {"HX-Trigger": "aula:close-dialog", "HX-Retarget": "#contact-tab", "HX-Reswap": "outerHTML"}


# --- + Product ---------------------------------------------------------------------------


def _add_product_page(contact: User, form: AddProductForm, status: int = 200):
    products = plans.product_choices()
    chosen = next((p for p in products if p.id == form.product.data), None)
    form.fill(products, chosen)
    return render_with_status(status, "platform/crm/add_product.html", "platform/crm/_add_product.html",
                              contact=contact, form=form, product=chosen, start=plans.start_options(contact, chosen))


@bp.route("/crm/contacts/<int:user_id>/products/new", methods=["GET", "POST"])
def crm_add_product(user_id):
    contact = _contact_or_404(user_id)
    if request.method == "GET":  # with ?product= (htmx, on change): that product's offers and start date
        return _add_product_page(contact, AddProductForm(formdata=request.args or None, meta={"csrf": False}))
    form = AddProductForm()
    if form.validate():
        try:
            grant = plans.add_product(current_user, contact, **form.values())
        except DomainError as error:
            apply_refusal(form, error)
            form.renew_key()
        else:
            flash(_("%(product)s · %(offer)s given to %(name)s, starting %(date)s.", product=grant.product.name,
                    offer=grant.offer.name, name=contact.display_name,
                    date=format_date(grant.start_date, "long")), "success")
            return _after_change(contact)
    return _add_product_page(contact, form, status=422)


# --- remove an access -------------------------------------------------------------------


def _remove_page(contact: User, grant: Grant, form: RemoveAccessForm, status: int = 200):
    return render_with_status(status, "platform/crm/remove_access.html", "platform/crm/_remove_access.html",
                              contact=contact, grant=grant, form=form, ending=plans.removal_effects(grant))


@bp.route("/crm/contacts/<int:user_id>/grants/<int:grant_id>/remove", methods=["GET", "POST"])
def crm_remove_access(user_id, grant_id):
    contact = _contact_or_404(user_id)
    grant = _grant_or_404(contact, grant_id)
    if request.method == "GET":
        return _remove_page(contact, grant, RemoveAccessForm(formdata=None))
    form = RemoveAccessForm()
    if form.validate():
        try:
            plans.remove_access(current_user, grant, reason=form.reason.data or "")
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("Access removed: %(product)s · %(offer)s. Lessons done are kept.", product=grant.product.name,
                    offer=grant.offer.name), "success")
            return _after_change(contact)
    return _remove_page(contact, grant, form, status=422)


# --- edit order -------------------------------------------------------------------------


def _preview(form, grant: Grant):
    """The preview of the form's values, or None with the refusal put on the form."""
    try:
        return orders.preview(grant, form.values())
    except DomainError as error:
        apply_refusal(form, error)
        return None


def _order_page(contact: User, sheet, form, shown=None, status: int = 200):
    return render_with_status(status, "platform/crm/edit_order.html", "platform/crm/_order_editor.html",
                              contact=contact, grant=sheet.grant, sheet=sheet, form=form, shown=shown)


def _save_order(form, grant: Grant):
    try:
        return orders.edit_order(current_user, grant, form.values(), reason=form.reason.data or "")
    except DomainError as error:
        apply_refusal(form, error)
        return None


@bp.route("/crm/contacts/<int:user_id>/grants/<int:grant_id>/edit", methods=["GET", "POST"])
def crm_edit_order(user_id, grant_id):
    contact = _contact_or_404(user_id)
    sheet = orders.order_sheet(_grant_or_404(contact, grant_id))
    if request.method == "GET":
        shown = orders.preview(sheet.grant, orders.current_values(sheet))
        return _order_page(contact, sheet, order_form(sheet), shown=shown)
    form = order_form(sheet, request.form)
    if not form.validate():
        return _order_page(contact, sheet, form, status=422)
    if form.preview.data:  # "Preview" without JavaScript: the page again with what saving would do
        shown = _preview(form, sheet.grant)
        return _order_page(contact, sheet, form, shown=shown, status=200 if shown else 422)
    saved = _save_order(form, sheet.grant)
    if saved is None:
        return _order_page(contact, sheet, form, status=422)
    flash(_("Settings of %(product)s saved for %(name)s.", product=sheet.grant.product.name,
            name=contact.display_name), "success")
    return _after_change(contact)


@bp.route("/crm/contacts/<int:user_id>/grants/<int:grant_id>/preview", methods=["POST"])
def crm_order_preview(user_id, grant_id):
    """The live preview beside the form (htmx, on change): the same resolver on the unsaved values."""
    contact = _contact_or_404(user_id)
    sheet = orders.order_sheet(_grant_or_404(contact, grant_id))
    form = order_form(sheet, request.form)
    shown = _preview(form, sheet.grant) if form.validate() else None
    return render_with_status(200 if shown else 422, "platform/crm/edit_order.html",
                              "platform/crm/_order_preview.html", contact=contact, grant=sheet.grant, sheet=sheet,
                              form=form, shown=shown)
