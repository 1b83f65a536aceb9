"""The partner admin's client companies (aziende): list, create, edit."""

from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.partner import bp
from app.blueprints.partner.forms import CompanyForm
from app.models import Company, Partner
from app.services import DomainError
from app.services.tenancy.companies import (
    create_company,
    find_company,
    page_of_companies,
    student_counts,
    update_company,
)
from app.web import apply_refusal, go_to, refuse, render


def get_company_or_404(partner: Partner, company_id: int) -> Company:
    """The partner's own company; another partner's (or no) company is a 404."""
    company = find_company(partner, company_id)
    if company is None:
        abort(404)
    return company


def _company_form(form, company):
    """The company form as a page, or refused (422) after a POST that did not save."""
    if request.method == "POST":
        return refuse("partner/companies/form.html", "partner/companies/_form.html", form=form, company=company)
    return render("partner/companies/form.html", form=form, company=company)


@bp.route("/companies")
def companies():
    partner = current_user.partner
    page = page_of_companies(partner, page=request.args.get("page", 1, type=int))
    counts = student_counts(partner, [company.id for company in page.items])
    return render("partner/companies/index.html", "partner/companies/_rows.html", page=page, counts=counts)


@bp.route("/companies/new", methods=["GET", "POST"])
def company_new():
    partner = current_user.partner
    form = CompanyForm()
    if form.validate_on_submit():
        try:
            company = create_company(current_user, partner, form.name.data, form.vat_number.data, form.contact.data)
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("Company %(name)s created.", name=company.name), "success")
            return go_to(url_for("partner.companies"))
    return _company_form(form, None)


@bp.route("/companies/<int:company_id>/edit", methods=["GET", "POST"])
def company_edit(company_id):
    partner = current_user.partner
    company = get_company_or_404(partner, company_id)
    form = CompanyForm(obj=company)
    if form.validate_on_submit():
        try:
            update_company(current_user, partner, company, form.name.data, form.vat_number.data, form.contact.data)
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("Company %(name)s saved.", name=company.name), "success")
            return go_to(url_for("partner.companies"))
    return _company_form(form, company)
