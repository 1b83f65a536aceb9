"""The platform admin's list filters: GET forms (no CSRF: they change nothing)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from app.blueprints.fields import SelectField
from app.blueprints.wallet_history import DayField
from app.models import Role
from app.models.base import parse_id
from app.services.audit_trail import ACTION_LABELS, OBJECT_LABELS, TrailFilters
from app.services.people.directory import PeopleFilters, reseller_names
from app.services.tenancy.partners import partner_names


class _GetForm(FlaskForm):
    class Meta:
        csrf = False


def _partner_choices(everyone_label) -> list[SelectChoice]:
    return [SelectChoice("", everyone_label)] + [SelectChoice(str(pid), name) for pid, name in partner_names()]


class AuditFilterForm(_GetForm):
    actor = SearchField(_l("Who"), validators=[Optional(), Length(max=200)],
                        render_kw={"placeholder": _l("Name or email"), "autocomplete": "off"})
    action = SelectField(_l("What"), validators=[Optional()])
    object_type = SelectField(_l("About"), validators=[Optional()])
    partner = SelectField(_l("Partner"), validators=[Optional()])
    date_from = DayField(_l("From"))
    date_to = DayField(_l("To"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = [SelectChoice("", _l("Every action"))] + sorted(
            (SelectChoice(code, label) for code, label in ACTION_LABELS.items()), key=lambda c: str(c.label))
        self.object_type.choices = [SelectChoice("", _l("Anything"))] + [
            SelectChoice(code, label) for code, label in OBJECT_LABELS.items()]
        self.partner.choices = _partner_choices(_l("Any partner"))

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))

    def filters(self) -> TrailFilters:
        return TrailFilters(
            actor=(self.actor.data or "").strip(),
            action=self.action.data or None, object_type=self.object_type.data or None,
            partner_id=parse_id(self.partner.data), date_from=self.date_from.data, date_to=self.date_to.data)


ROLE_CHOICE_LABELS = {
    Role.PLATFORM_ADMIN.value: _l("Platform admins"),
    Role.PARTNER_ADMIN.value: _l("Partner admins"),
    Role.STUDENT.value: _l("Students"),
    Role.RESELLER.value: _l("Reseller staff"),
    Role.CUSTOMER.value: _l("Customers"),
}


class PeopleFilterForm(_GetForm):
    q = SearchField(_l("Search"), validators=[Optional(), Length(max=200)],
                    render_kw={"placeholder": _l("Name, email, partner or reseller"), "autocomplete": "off"})
    role = SelectField(_l("Role"), validators=[Optional()])
    organisation = SelectField(_l("Partner or reseller"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [SelectChoice("", _l("Everyone"))] + [
            SelectChoice(value, label) for value, label in ROLE_CHOICE_LABELS.items()]
        self.organisation.choices = {
            "": [SelectChoice("", _l("Any"))],
            str(_l("Partners")): [SelectChoice(f"p{pid}", name) for pid, name in partner_names()],
            str(_l("Resellers")): [SelectChoice(f"r{rid}", name) for rid, name in reseller_names()],
        }

    def filters(self) -> PeopleFilters:
        organisation = self.organisation.data or ""
        return PeopleFilters(
            text=(self.q.data or "").strip(), role=self.role.data or None,
            partner_id=parse_id(organisation[1:]) if organisation.startswith("p") else None,
            reseller_id=parse_id(organisation[1:]) if organisation.startswith("r") else None)


class ResellerFilterForm(_GetForm):
    q = SearchField(_l("Search"), validators=[Optional(), Length(max=200)],
                    render_kw={"placeholder": _l("Reseller name"), "autocomplete": "off"})
