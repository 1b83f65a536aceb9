"""Forms of the partner's bulk enrolment: choose, preview, confirm."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from markupsafe import Markup, escape
from wtforms import HiddenField, SearchField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput

from app.models import Partner
from app.services.bulk_enrolment import companies_for_filter
from app.services.enrolments import catalog_for


class CheckboxListWidget:
    """A multiple choice as a grid of Bootstrap checkboxes (one per student).

    The form macro passes its generic ``class``; the group keeps its own
    layout classes and passes only the ARIA description on.
    """

    def __call__(self, field, **kwargs):
        kwargs.pop("class_", None)
        kwargs.pop("class", None)
        described = kwargs.pop("aria-describedby", None) or kwargs.pop("aria_describedby", None)
        attrs = f' aria-describedby="{escape(described)}"' if described else ""
        html = [f'<div id="{escape(field.id)}" class="row row-cols-1 row-cols-md-2 row-cols-xl-3 g-1 mx-0 '
                f'border rounded p-2" role="group" aria-label="{escape(field.label.text)}"{attrs}>']
        for index, choice in enumerate(field.iter_choices()):
            option_id = f"{field.id}-{index}"
            value, label, checked = choice.value, choice.label, choice.selected
            html.append(
                '<div class="col"><div class="form-check">'
                f'<input class="form-check-input" type="checkbox" name="{escape(field.name)}" '
                f'value="{escape(value)}" id="{option_id}"{" checked" if checked else ""}>'
                f'<label class="form-check-label text-break" for="{option_id}">{escape(label)}</label>'
                "</div></div>"
            )
        html.append("</div>")
        return Markup("".join(html))


class BulkEnrolmentForm(FlaskForm):
    course_id = SelectField(_l("Course"), coerce=int, validators=[DataRequired(_l("Choose a course."))])
    student_ids = SelectMultipleField(
        _l("Students"), coerce=int, choices=[], validate_choice=False,
        widget=CheckboxListWidget(), option_widget=CheckboxInput(),
    )
    emails = TextAreaField(
        _l("Emails"), validators=[Optional(), Length(max=200_000)],
        render_kw={"rows": 6, "placeholder": "mario.rossi@example.com\ngiulia.bianchi@example.com",
                   "spellcheck": "false", "autocomplete": "off"},
    )
    file = FileField(_l("…or a CSV file"), render_kw={"accept": ".csv,.txt,text/csv,text/plain"})

    def for_partner(self, partner: Partner) -> "BulkEnrolmentForm":
        self.course_id.choices = [(0, _l("Choose a course…"))] + [
            (course.id, f"{course.title} — {price} cr") for course, price in catalog_for(partner)
        ]
        return self

    def has_upload(self) -> bool:
        return bool(self.file.data and getattr(self.file.data, "filename", ""))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if (self.emails.data or "").strip() and self.has_upload():
            self.file.errors.append(_l("Paste emails or upload a file, not both."))
            ok = False
        elif not self.student_ids.data and not (self.emails.data or "").strip() and not self.has_upload():
            self.form_errors.append(_l("Tick some students, paste their emails or upload a CSV file."))
            ok = False
        return ok


class BulkFilterForm(FlaskForm):
    """Narrows the list of students to tick (a GET form; its fields sit in the main form's markup)."""

    class Meta:
        csrf = False

    q = SearchField(_l("Filter by name or email"), validators=[Optional(), Length(max=200)],
                    render_kw={"form": "bulk-filter", "autocomplete": "off"})
    company = SelectField(_l("Company"), choices=[], validate_choice=False,
                          render_kw={"form": "bulk-filter"})

    def for_partner(self, partner: Partner) -> "BulkFilterForm":
        self.company.choices = [("", _l("All companies"))] + [
            (str(company.id), company.name) for company in companies_for_filter(partner)
        ]
        return self

    @property
    def company_id(self) -> int | None:
        value = self.company.data or ""
        return int(value) if str(value).isdigit() else None


class BulkConfirmForm(FlaskForm):
    """The previewed list, sent back to be checked again and applied."""

    course_id = HiddenField(validators=[DataRequired(), Regexp(r"^\d+$")])
    student_ids = HiddenField(validators=[DataRequired(), Regexp(r"^\d+(,\d+)*$")])
    expected_price = HiddenField(validators=[DataRequired(), Regexp(r"^\d+$")])

    @property
    def ids(self) -> list[int]:
        return [int(value) for value in (self.student_ids.data or "").split(",") if value]
