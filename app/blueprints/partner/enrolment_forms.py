from flask_babel import lazy_gettext as _l, lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import Field, SearchField, ValidationError
from wtforms.validators import DataRequired, Length, Optional, StopValidation

from app.blueprints.fields import SelectField
from app.blueprints.wallet_history import DayField

from app.i18n import credits_text, gettext as _
from app.models import Course, Partner
from app.models.base import parse_id
from app.services import DomainError
from app.services.catalog.pricing import catalog_for
from app.services.enrolment.listing import EnrolmentFilters
from app.services.people.students import StudentMatches, search_students, student_to_enrol


class StudentChoiceField(Field):
    """The id of the student chosen in the picker (app/templates/partner/_student_picker.html).

    Never a list of choices: the id is read here and checked by one lookup (``EnrolForm.student``).
    """

    def process_formdata(self, valuelist):
        raw = valuelist[0] if valuelist else ""
        self.data = parse_id(raw)
        if raw.strip() and self.data is None:
            raise ValueError(_l("Choose a student from the list."))

    def pre_validate(self, form):
        # An unreadable id has said why while being read: "Choose a student." need not follow.
        if self.process_errors:
            raise StopValidation()


class EnrolForm(FlaskForm):
    """One student in one course. The student comes from the search picker, the course from the partner's catalog."""

    student_id = StudentChoiceField(_l("Student"), validators=[DataRequired(_l("Choose a student."))])
    student_q = SearchField(_l("Student"), validators=[Optional(), Length(max=200)])
    course_id = SelectField(_l("Course"), coerce=int, validators=[DataRequired(_l("Choose a course."))])

    def for_partner(self, partner: Partner, args=None, *, catalog=None) -> "EnrolForm":
        """Course choices from the catalog; ``args`` (a GET's query) may preselect a course and search students.

        ``catalog``: the partner's catalog already read (another form's ``catalog_pairs``).
        """
        self.partner = partner
        self.student = None
        catalog = catalog_for(partner) if catalog is None else catalog
        self.catalog_pairs = catalog
        self.catalog = {course.id: course for course, _price in catalog}
        self.course_id.choices = [(0, _l("Choose a course…"))] + [
            (course.id, _("%(course)s — %(credits)s", course=course.title, credits=credits_text(price)))
            for course, price in catalog
        ]
        if args is not None:
            self.course_id.data = parse_id(args.get("course_id")) or 0
            self.student_q.data = (args.get("student_q") or "")[:200]
        return self

    @property
    def courses(self) -> list[Course]:
        return list(self.catalog.values())

    @property
    def course(self) -> Course | None:
        return self.catalog.get(self.course_id.data)

    def validate_student_id(self, field):
        """One lookup of the chosen id: the partner's student, or the service's refusal on the field."""
        try:
            self.student = student_to_enrol(self.partner, field.data)
        except DomainError as error:
            raise ValidationError(error.message)

    def matches(self, search: bool = True) -> StudentMatches:
        """The students the picker's select offers without JavaScript: the chosen one, or those matching
        the search (``search=False``: none, for an answer to HTMX, whose picker is the combobox)."""
        if self.student is not None:
            return StudentMatches([self.student], more=False)
        if not search:
            return StudentMatches([], more=False)
        return search_students(self.partner, self.student_q.data or "")


class CancelForm(FlaskForm):
    """Confirmation of a cancellation: only the CSRF token."""


class EnrolmentFilterForm(FlaskForm):
    """The search and filters of a partner's enrolment lists (enrolments, participants): a GET form, no CSRF."""

    class Meta:
        csrf = False

    # Ids of their own: the enrolments page also holds the enrol form (its own course_id).
    q = SearchField(_l("Student name or email"), validators=[Optional(), Length(max=200)], id="filter-q")
    course_id = SelectField(_l("Course"), choices=[], validate_choice=False, id="filter-course")
    status = SelectField(_l("Status"), choices=[], validate_choice=False, id="filter-status")
    started_from = DayField(_l("Started from"), id="filter-started-from")
    started_to = DayField(_l("Started until"), id="filter-started-to")

    def with_courses(self, courses) -> "EnrolmentFilterForm":
        self.course_id.choices = [("", _l("All courses"))] + [(str(c.id), c.title) for c in courses]
        self.status.choices = [("", _l("All")),
                               ("active", lazy_pgettext("enrolments filter", "Active")),
                               ("completed", lazy_pgettext("enrolments filter", "Completed")),
                               ("cancelled", lazy_pgettext("enrolments filter", "Cancelled"))]
        return self

    def validate_started_to(self, field):
        if field.data and self.started_from.data and field.data < self.started_from.data:
            raise ValidationError(_l("The end date is before the start date."))

    def filters(self, student_id: int | None = None) -> EnrolmentFilters:
        """What the reader asked for; a field that does not read (a bad date) filters nothing."""
        valid = self.validate()
        return EnrolmentFilters(
            text=(self.q.data or "")[:200] if not self.q.errors else "",
            course_id=parse_id(self.course_id.data),
            status=self.status.data or None,
            student_id=student_id,
            started_from=self.started_from.data if valid else None,
            started_to=self.started_to.data if valid else None,
        )
