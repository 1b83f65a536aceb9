"""Participants: the partner's enrolments with progress, searchable by name, by course, status, start or student."""

from flask import abort, request
from flask_login import current_user

from app.blueprints.downloads import certificate_download
from app.blueprints.partner import bp
from app.blueprints.partner.enrolment_forms import EnrolmentFilterForm
from app.extensions import db
from app.models import Enrolment
from app.services.catalog.pricing import catalog_for
from app.services.enrolment.listing import page_of_participants
from app.services.people.students import find_student
from app.web import parse_id, render

PAGE_SIZE = 50


@bp.route("/participants")
def participants():
    partner = current_user.partner
    student_id = parse_id(request.args.get("student_id"))
    student = (find_student(partner, student_id) or abort(404)) if student_id is not None else None
    filter_form = EnrolmentFilterForm(formdata=request.args).with_courses([c for c, _ in catalog_for(partner)])
    filters = filter_form.filters(student_id=student_id)
    page = page_of_participants(partner, filters, per_page=PAGE_SIZE, after=request.args.get("after"),
                                before=request.args.get("before"))
    return render("partner/participants.html", "partner/_participant_rows.html", page=page, student=student,
                  filter_form=filter_form, filtered=filters.any)


@bp.route("/certificates/<int:enrolment_id>.pdf")
def certificate(enrolment_id):
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.partner_id != current_user.partner_id:
        abort(404)
    return certificate_download(enrolment)
