"""Participants: the partner's enrolments with progress, by course or by student."""

from flask import abort, request
from flask_login import current_user

from app.blueprints.downloads import certificate_download
from app.blueprints.partner import bp
from app.extensions import db
from app.models import Course, Enrolment
from app.services.catalog.pricing import catalog_for
from app.services.enrolment.enrol import partner_enrolments_query
from app.services.enrolment.progress import lessons_done_counts
from app.services.people.students import find_student
from app.web import paginate, parse_id, render

PAGE_SIZE = 50


def _int_arg(name: str) -> int | None:
    return parse_id(request.args.get(name))


@bp.route("/participants")
def participants():
    partner = current_user.partner
    course_id, student_id = _int_arg("course_id"), _int_arg("student_id")
    course = db.session.get(Course, course_id) if course_id is not None else None
    student = (find_student(partner, student_id) or abort(404)) if student_id is not None else None
    status = request.args.get("status")
    page = paginate(partner_enrolments_query(partner, course_id=course_id, student=student, status=status),
                    per_page=PAGE_SIZE)
    done = lessons_done_counts([e.id for e in page.items])
    return render("partner/participants.html", "partner/_participant_rows.html",
                  page=page, done=done, course=course, student=student, status=status,
                  courses=[c for c, _price in catalog_for(partner)])


@bp.route("/certificates/<int:enrolment_id>.pdf")
def certificate(enrolment_id):
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.partner_id != current_user.partner_id:
        abort(404)
    return certificate_download(enrolment)
