from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import DataRequired

from app.extensions import db
from app.models import Partner, User
from app.services.catalog.pricing import catalog_for
from app.services.people.students import active_students_query
from app.web import format_credits


class EnrolForm(FlaskForm):
    student_id = SelectField(_l("Student"), coerce=int, validators=[DataRequired()])
    course_id = SelectField(_l("Course"), coerce=int, validators=[DataRequired()])

    def for_partner(self, partner: Partner) -> "EnrolForm":
        students = db.session.execute(
            active_students_query(partner).order_by(User.name, User.email)
        ).scalars().all()
        self.student_id.choices = [(0, _l("Choose a student…"))] + [
            (s.id, f"{s.display_name} <{s.email}>" if s.name else s.email) for s in students
        ]
        self.course_id.choices = [(0, _l("Choose a course…"))] + [
            (course.id, _("%(course)s — %(n)s credits", course=course.title, n=format_credits(price)))
            for course, price in catalog_for(partner)
        ]
        return self


class CancelForm(FlaskForm):
    """Confirmation of a cancellation: only the CSRF token."""
