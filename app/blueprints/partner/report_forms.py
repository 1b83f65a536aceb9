"""The filters of the partner's reports: a date range, a company, a course (GET, no CSRF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import ValidationError
from wtforms.fields.choices import SelectChoice

from app.blueprints.fields import SelectField
from app.blueprints.wallet_history import DayField
from app.models import Company, Course
from app.services.exports.reports import NO_COMPANY, EnrolmentReportFilters
from app.web import parse_id

NO_COMPANY_VALUE = "none"


class ReportFilterForm(FlaskForm):
    """One report card's filters; ``id_prefix`` keeps the ids unique when two cards share a page.

    The field names stay short (``date_from``, ``company``…) so a report's URL is readable.
    Whether a company or course is the partner's is the service's to say
    (``reports.check_filters``); this form only reads what was typed.
    """

    class Meta:
        csrf = False

    date_from = DayField(_l("From"))
    date_to = DayField(_l("To"))
    company = SelectField(_l("Company"), validate_choice=False)
    course = SelectField(_l("Course"), validate_choice=False)

    def __init__(self, *args, companies: list[Company], courses: list[Course], id_prefix: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.company.choices = (
            [SelectChoice("", _l("All companies")), SelectChoice(NO_COMPANY_VALUE, _l("No company"))]
            + [SelectChoice(str(company.id), company.name) for company in companies]
        )
        self.course.choices = [SelectChoice("", _l("All courses"))] + [
            SelectChoice(str(course.id), course.title) for course in courses
        ]
        for field in self:
            field.id = f"{id_prefix}-{field.name}"
            field.label.field_id = field.id

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))

    def validate_company(self, field):
        value = (field.data or "").strip()
        if value not in ("", NO_COMPANY_VALUE) and parse_id(value) is None:
            raise ValidationError(_l("Choose a company from the list."))

    def validate_course(self, field):
        value = (field.data or "").strip()
        if value and parse_id(value) is None:
            raise ValidationError(_l("Choose a course from the list."))

    def filters(self) -> EnrolmentReportFilters:
        """What was read; a field that could not be read counts as empty (it carries its error)."""
        company = (self.company.data or "").strip()
        return EnrolmentReportFilters(
            date_from=self.date_from.data,
            date_to=self.date_to.data,
            company_id=NO_COMPANY if company == NO_COMPANY_VALUE else _whole_number(company),
            course_id=_whole_number(self.course.data),
        )

    def add_errors(self, errors: dict[str, str]) -> None:
        """Show the service's refusals next to the fields they are about."""
        for name, message in errors.items():
            errors = self[name].errors if name in self else self.form_errors
            if str(message) not in {str(error) for error in errors}:
                if name in self:
                    self[name].errors = [*errors, message]
                else:
                    errors.append(message)


def _whole_number(value: str | None) -> int | None:
    return parse_id(value)
