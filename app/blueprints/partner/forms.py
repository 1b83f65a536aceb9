"""Forms of the partner admin's students and client companies."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, HiddenField, SearchField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from app.blueprints.fields import SelectField
from app.models import Company
from app.services.people.students import NO_COMPANY


def _strip(value):
    """Trimmed, without NUL characters (which PostgreSQL refuses to store)."""
    return value.replace("\x00", "").strip() if isinstance(value, str) else value


class CompanyForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)], filters=[_strip])
    vat_number = StringField(
        _l("VAT number"),
        validators=[Optional(), Length(max=30)],
        filters=[_strip],
        description=_l('Italian partita IVA (11 digits, "IT" allowed) or Brazilian CNPJ (14 digits).'),
    )
    contact = StringField(_l("Contact"), validators=[Optional(), Length(max=200)], filters=[_strip])


class StudentForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        filters=[_strip],
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)], filters=[_strip])
    company = SelectField(_l("Company"), choices=[])

    def with_companies(self, companies: list[Company]) -> "StudentForm":
        """Only the partner's own companies can be chosen (anything else is "not a valid choice")."""
        self.company.choices = [("", _l("No company"))] + [(str(c.id), c.name) for c in companies]
        return self

    def chosen_company(self, companies: list[Company]) -> Company | None:
        by_id = {str(c.id): c for c in companies}
        return by_id.get(self.company.data or "")


class StudentFilterForm(FlaskForm):
    """The search box and company filter of the student list (a GET form, no CSRF)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Search by name or email"), validators=[Optional(), Length(max=200)], filters=[_strip])
    company = SelectField(_l("Company"), choices=[], validate_choice=False)

    def with_companies(self, companies: list[Company]) -> "StudentFilterForm":
        self.company.choices = [("", _l("All companies")), (NO_COMPANY, _l("No company"))] + [
            (str(c.id), c.name) for c in companies
        ]
        # Live search: the same URL answers an HTMX request with the rows only.
        live = {
            "hx-get": url_for("partner.students"),
            "hx-target": "#student-rows",
            "hx-swap": "outerHTML",
            "hx-include": "closest form",
        }
        self.q.render_kw = {**live, "hx-trigger": "input changed delay:300ms, search", "autocomplete": "off"}
        self.company.render_kw = {**live, "hx-trigger": "change"}
        return self


class ConfirmForm(FlaskForm):
    """A confirmed state change: only the CSRF token."""


class StudentImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))])


class StudentImportConfirmForm(FlaskForm):
    payload = HiddenField(validators=[DataRequired()])
