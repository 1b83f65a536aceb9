"""The member area: a student's courses, lessons (as THE resolver lets them open), homework, certificates.

A lesson that may not be opened answers 403 with the reason (the same words
the course page shows), never its content. Another student's enrolment,
lesson or homework file is a 404.
"""

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.downloads import certificate_download, homework_download
from app.blueprints.member import bp
from app.blueprints.member.forms import HomeworkForm, MarkDoneForm
from app.models import Enrolment, Lesson
from app.services import DomainError
from app.services.enrolment import homework, learning
from app.services.enrolment.progress import mark_lesson_done, refusal_reason
from app.web import apply_refusal, is_htmx, paginate, render, render_with_status

PAGE_SIZE = 20


@bp.route("/")
def home():
    page = paginate(learning.my_enrolments_query(current_user), per_page=PAGE_SIZE)
    return render("member/home.html", page=page, totals=learning.lesson_totals(page.items),
                  done=learning.lessons_done_counts([e.id for e in page.items]), wallet=current_user.wallet)


def _own_enrolment(enrolment_id: int) -> Enrolment:
    enrolment = learning.my_enrolment(current_user, enrolment_id)
    if enrolment is None:
        abort(404)
    return enrolment


def _own_lesson(enrolment: Enrolment, lesson_id: int) -> Lesson:
    lesson = learning.course_lesson(enrolment, lesson_id)
    if lesson is None:
        abort(404)
    return lesson


@bp.route("/courses/<int:enrolment_id>")
def course(enrolment_id):
    enrolment = _own_enrolment(enrolment_id)
    return render("member/course.html", "member/_course_body.html", outline=learning.outline(enrolment),
                  enrolment=enrolment, form=MarkDoneForm(formdata=None))


def _lesson_page(enrolment: Enrolment, lesson: Lesson, status: int = 200, form: HomeworkForm | None = None):
    """The lesson, or (403) why it is not open: the URL guard asks the resolver, as the course page does."""
    view = learning.lesson_view(enrolment, lesson)
    if not view.may_open:
        return render_with_status(403, "member/lesson_locked.html", enrolment=enrolment, lesson=lesson,
                                  reason=refusal_reason(view.item))
    return render_with_status(status, "member/lesson.html", enrolment=enrolment, lesson=lesson, view=view,
                              done_form=MarkDoneForm(formdata=None), form=form or HomeworkForm(formdata=None))


@bp.route("/courses/<int:enrolment_id>/lessons/<int:lesson_id>")
def lesson(enrolment_id, lesson_id):
    enrolment = _own_enrolment(enrolment_id)
    return _lesson_page(enrolment, _own_lesson(enrolment, lesson_id))


@bp.route("/courses/<int:enrolment_id>/lessons/<int:lesson_id>/done", methods=["POST"])
def mark_done(enrolment_id, lesson_id):
    enrolment = _own_enrolment(enrolment_id)
    lesson = _own_lesson(enrolment, lesson_id)
    if not MarkDoneForm().validate_on_submit():
        abort(400)
    try:
        completed = mark_lesson_done(current_user, enrolment, lesson)
    except DomainError as error:
        flash(error.message, "error")
        return _lesson_page(enrolment, lesson, status=422)
    flash(_("Course completed. Your certificate is ready to download.") if completed
          else _("Lesson %(title)s done.", title=lesson.title), "success")
    if is_htmx():  # the button on the course page: the list comes back with the new states
        return render("member/course.html", "member/_course_body.html", outline=learning.outline(enrolment),
                      enrolment=enrolment, form=MarkDoneForm(formdata=None))
    return redirect(url_for("member.course", enrolment_id=enrolment.id, _anchor=f"lesson-{lesson.id}"))


@bp.route("/courses/<int:enrolment_id>/lessons/<int:lesson_id>/homework", methods=["POST"])
def hand_in(enrolment_id, lesson_id):
    enrolment = _own_enrolment(enrolment_id)
    lesson = _own_lesson(enrolment, lesson_id)
    form = HomeworkForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            submission = homework.submit_homework(
                current_user, enrolment, lesson, text=form.text.data or "",
                file_name=upload.filename if upload else None, file_data=homework.read_upload(upload))
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("Homework accepted: lesson done.") if submission.status == "accepted"
                  else _("Homework handed in: a teacher will review it."), "success")
            return redirect(url_for("member.lesson", enrolment_id=enrolment.id, lesson_id=lesson.id))
    return _lesson_page(enrolment, lesson, status=422, form=form)


@bp.route("/homework/<int:submission_id>/file")
def homework_file(submission_id):
    return homework_download(homework.submission_of(current_user, submission_id))


@bp.route("/certificates/<int:enrolment_id>.pdf")
def certificate(enrolment_id):
    return certificate_download(_own_enrolment(enrolment_id))


