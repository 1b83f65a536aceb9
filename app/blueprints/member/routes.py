from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.member import bp
from app.blueprints.member.forms import MarkDoneForm
from app.extensions import db
from app.models import Enrolment, EnrolmentStatus, Lesson
from app.services.enrolment.enrol import enrolments_of
from app.services.enrolment.progress import LessonNotAvailable, done_lesson_ids, lessons_done_counts, mark_lesson_done
from app.web import refuse, render
from app.blueprints.downloads import certificate_download


@bp.route("/")
def home():
    enrolments = enrolments_of(current_user)
    return render(
        "member/home.html",
        enrolments=enrolments,
        done=lessons_done_counts([e.id for e in enrolments]),
        wallet=current_user.wallet,
    )


def _own_enrolment(enrolment_id: int) -> Enrolment:
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.user_id != current_user.id or enrolment.status == EnrolmentStatus.CANCELLED:
        abort(404)
    return enrolment


@bp.route("/courses/<int:enrolment_id>")
def course(enrolment_id):
    enrolment = _own_enrolment(enrolment_id)
    return render("member/course.html", enrolment=enrolment, done=done_lesson_ids(enrolment),
                  form=MarkDoneForm())


@bp.route("/courses/<int:enrolment_id>/lessons/<int:lesson_id>/done", methods=["POST"])
def mark_done(enrolment_id, lesson_id):
    enrolment = _own_enrolment(enrolment_id)
    lesson = db.session.get(Lesson, lesson_id)
    form = MarkDoneForm()
    if lesson is None or lesson.course_id != enrolment.course_id:
        abort(404)
    if not form.validate_on_submit():
        abort(400)
    try:
        completed = mark_lesson_done(current_user, enrolment, lesson)
    except LessonNotAvailable as error:
        flash(error.message, "error")
        return refuse("member/course.html", "member/_course_body.html", enrolment=enrolment,
                      done=done_lesson_ids(enrolment), form=form)
    if completed:
        flash(_("Course completed. Your certificate is ready to download."), "success")
    if request.htmx:
        return render("member/course.html", "member/_course_body.html", enrolment=enrolment,
                      done=done_lesson_ids(enrolment), form=MarkDoneForm())
    return redirect(url_for("member.course", enrolment_id=enrolment.id))


@bp.route("/certificates/<int:enrolment_id>.pdf")
def certificate(enrolment_id):
    enrolment = _own_enrolment(enrolment_id)
    return certificate_download(enrolment)
