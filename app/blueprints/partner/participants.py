"""Participants: the partner's enrolments with progress, by course or by student."""

from flask import abort, request
from flask_login import current_user

from app.blueprints.downloads import certificate_download
from app.blueprints.partner import bp
from app.extensions import db
from app.models import Course, Enrolment, Role, User
from app.services.enrolments import catalog_for
from app.services.progress import lessons_done_counts
from app.web import paginate, parse_id, render

PAGE_SIZE = 50


def _int_arg(name: str) -> int | None:
    return parse_id(request.args.get(name))


@bp.route("/participants")
def participants():
    partner = current_user.partner
    course_id, student_id = _int_arg("course_id"), _int_arg("student_id")
    query = db.select(Enrolment).where(Enrolment.partner_id == partner.id)
    course = student = None
    if course_id is not None:
        course = db.session.get(Course, course_id)
        query = query.where(Enrolment.course_id == course_id)
    if student_id is not None:
        student = db.session.get(User, student_id)
        if student is None or student.partner_id != partner.id or student.role != Role.STUDENT.value:
            abort(404)
        query = query.where(Enrolment.user_id == student_id)
    status = request.args.get("status")
    if status in {"active", "completed", "cancelled"}:
        query = query.where(Enrolment.status == status)
    page = paginate(query.order_by(Enrolment.id.desc()), per_page=PAGE_SIZE)
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
