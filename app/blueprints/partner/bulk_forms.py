"""Forms of the partner's bulk enrolment: choose, preview, confirm."""

from __future__ import annotations

import json
import re

from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from markupsafe import Markup, escape
from wtforms import HiddenField, SearchField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput

from app.blueprints.fields import SelectField
from app.i18n import credits_text
from app.extensions import db
from app.models import Course, Partner
from app.services.catalog.pricing import NOT_SHARED, catalog_for
from app.services.enrolment.bulk import MAX_ROWS
from app.services.exports.csv_upload import MAX_BYTES
from app.services.tenancy.companies import companies_of
from app.web import parse_id

# Ids from a request: ASCII digits that a database integer holds (parse_id says which), never a 500.
ID_RE = r"^\d{1,10}$"
ID_LIST_RE = r"^\d{1,10}(,\d{1,10})*$"


def _coerce_id(value) -> int:
    """A database id, or ValueError (which WTForms reports as a field error)."""
    value_id = parse_id(value)
    if value_id is None:
        raise ValueError("not an id")
    return value_id


def _coerce_course_choice(value) -> int:
    """A course's id, or 0 for the "Choose a course…" placeholder."""
    return 0 if str(value).strip() == "0" else _coerce_id(value)


class StudentIdsField(SelectMultipleField):
    """The ticked students' ids; one that is not a database id (huge, not ASCII digits) is a field error."""

    def process_formdata(self, valuelist):
        ids = [parse_id(value) for value in valuelist]
        self.data = [value for value in ids if value is not None]
        if len(self.data) != len(ids):
            raise ValueError(_l("Some ticked students are unknown: tick them again."))


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
    course_id = SelectField(_l("Course"), coerce=_coerce_course_choice,
                            validators=[DataRequired(_l("Choose a course."))])
    student_ids = StudentIdsField(
        _l("Students"), coerce=_coerce_id, choices=[], validate_choice=False,
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
            (course.id, _("%(course)s — %(credits)s", course=course.title, credits=credits_text(price))) for course, price in catalog_for(partner)
        ]
        return self

    def has_upload(self) -> bool:
        return bool(self.file.data and getattr(self.file.data, "filename", ""))

    @property
    def email_field(self) -> str:
        """The field a refusal of the list of emails belongs to: the file or the pasted text."""
        return "file" if self.has_upload() else "emails"

    def email_source(self) -> bytes | str | None:
        """The uploaded file's bytes (bounded), or the pasted text, or None."""
        if self.has_upload():
            return self.file.data.stream.read(MAX_BYTES + 1)
        return self.emails.data or None

    @property
    def course(self) -> Course:
        return db.session.get(Course, self.course_id.data)

    def validate_course_id(self, field):
        if field.data and db.session.get(Course, field.data) is None:
            raise ValidationError(NOT_SHARED)

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
            (str(company.id), company.name) for company in companies_of(partner)
        ]
        return self

    @property
    def company_id(self) -> int | None:
        return parse_id(self.company.data) if self.company.data else None

    @property
    def company_unknown(self) -> bool:
        """A company was asked for by something that is not an id: no student can match it."""
        return bool(self.company.data) and self.company_id is None


class BulkConfirmForm(FlaskForm):
    """The previewed list, sent back to be checked again and applied.

    ``student_ids`` are the students the preview would enrol, the only ones
    that can be enrolled; ``picked_ids`` (the ticked ids) and ``email_rows``
    (JSON ``[[line, email], …]``) are what the preview was asked, so the
    server classifies every row again and the result lists them all. No
    outcome travels through the browser.
    """

    course_id = HiddenField(validators=[DataRequired(), Regexp(ID_RE, flags=re.ASCII)])
    student_ids = HiddenField(validators=[DataRequired(), Regexp(ID_LIST_RE, flags=re.ASCII)])
    expected_price = HiddenField(validators=[DataRequired(), Regexp(ID_RE, flags=re.ASCII)])
    picked_ids = HiddenField(validators=[Optional(), Regexp(ID_LIST_RE, flags=re.ASCII)])
    email_rows = HiddenField(validators=[Optional()])

    @classmethod
    def for_preview(cls, preview) -> "BulkConfirmForm":
        return cls(
            formdata=None, course_id=preview.course.id, expected_price=preview.price,
            student_ids=",".join(str(i) for i in preview.student_ids),
            picked_ids=",".join(str(i) for i in preview.picked_ids),
            email_rows=json.dumps([list(row) for row in preview.email_rows], separators=(",", ":"))
            if preview.email_rows else "",
        )

    def validate_course_id(self, field):
        if parse_id(field.data) is None:
            raise ValidationError(_l("Unknown course."))

    def validate_student_ids(self, field):
        if None in _id_list(field.data):
            raise ValidationError(_l("Unknown student."))

    def validate_picked_ids(self, field):
        if None in _id_list(field.data):
            raise ValidationError(_l("Unknown student."))

    def validate_email_rows(self, field):
        try:
            _email_rows(field.data)
        except ValueError:
            raise ValidationError(_l("The list of emails is damaged.")) from None

    @property
    def course(self) -> int | None:
        return parse_id(self.course_id.data)

    @property
    def ids(self) -> list[int]:
        return [value for value in _id_list(self.student_ids.data) if value is not None]

    @property
    def picked(self) -> list[int]:
        return [value for value in _id_list(self.picked_ids.data) if value is not None]

    @property
    def emails(self) -> list[tuple[int | None, str]]:
        try:
            return _email_rows(self.email_rows.data)
        except ValueError:
            return []


def _id_list(text: str | None) -> list[int | None]:
    return [parse_id(value) for value in (text or "").split(",") if value.strip()]


def _email_rows(text: str | None) -> list[tuple[int | None, str]]:
    """``[[line, email], …]`` as the preview wrote it, or ValueError."""
    if not (text or "").strip():
        return []
    try:
        rows = json.loads(text)
    except RecursionError:  # absurdly nested
        raise ValueError("not a list of rows") from None
    if not isinstance(rows, list) or len(rows) > MAX_ROWS:
        raise ValueError("not a list of rows")
    parsed = []
    for row in rows:
        if not (isinstance(row, list) and len(row) == 2 and isinstance(row[1], str)
                and (row[0] is None or (type(row[0]) is int and 0 <= row[0] <= 10**9))):
            raise ValueError("not a row")
        parsed.append((row[0], row[1]))
    return parsed
