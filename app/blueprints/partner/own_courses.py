"""A whitelabel partner's own courses: list, create, edit, and their ordered lessons.

A default partner gets 403 on every route here; another partner's course
(or a platform course) is a 404. The lesson list is one fragment
(``_lessons.html``, id="lessons"): adding, moving, editing and deleting a
lesson answer an HTMX request with it; without JavaScript the same forms
post normally and redirect back to the course page.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.partner import bp
from app.blueprints.partner.own_course_forms import DeleteLessonForm, LessonForm, MoveLessonForm, OwnCourseForm
from app.models import Course, Lesson, Partner
from app.services.catalog import own_courses as svc
from app.web import apply_refusal, go_to, is_htmx, refuse, render, render_with_status


def _whitelabel_partner() -> Partner:
    partner = current_user.partner
    if not svc.may_have_own_courses(partner):
        abort(403)
    return partner


def _course_or_404(partner: Partner, course_id: int) -> Course:
    course = svc.find_own_course(partner, course_id)
    if course is None:
        abort(404)
    return course


def _lesson_or_404(course: Course, lesson_id: int) -> Lesson:
    lesson = svc.find_lesson(course, lesson_id)
    if lesson is None:
        abort(404)
    return lesson


def _edit_form(lesson: Lesson, **kwargs) -> LessonForm:
    # Prefixed, so an inline edit form never shares ids with the add form on the page.
    return LessonForm(prefix=f"lesson-{lesson.id}", **kwargs)


def _apply_error(form, error: svc.DomainError) -> None:
    """A service refusal onto the form (or abort, when it is not the user's input)."""
    if isinstance(error, svc.NotWhitelabel):
        abort(403)
    if isinstance(error, svc.NotYourCourse):
        abort(404)
    apply_refusal(form, error)


def _lessons_context(course: Course, add_form: LessonForm | None = None, lesson_error: str | None = None) -> dict:
    return {
        "course": course,
        "lessons": course.lessons,
        "with_progress": svc.lessons_with_progress(course),
        "add_form": add_form or LessonForm(formdata=None),
        "move_form": MoveLessonForm(formdata=None),
        "delete_form": DeleteLessonForm(formdata=None),
        "lesson_error": lesson_error,
    }


def _lessons(course: Course, status: int = 200, **kwargs):
    """The course page, or for HTMX its lesson list fragment."""
    return render_with_status(status, "partner/own_courses/detail.html", "partner/own_courses/_lessons.html",
                              **_lessons_context(course, **kwargs))


def _back_to_lessons(course: Course, anchor: str = "lessons"):
    """After a lesson change: the fresh list for HTMX, the course page otherwise."""
    if is_htmx():
        return _lessons(course)
    return redirect(url_for("partner.own_course", course_id=course.id, _anchor=anchor))


# --- courses -----------------------------------------------------------------------


@bp.route("/own-courses")
def own_courses():
    partner = _whitelabel_partner()
    courses = svc.own_courses_of(partner)
    return render("partner/own_courses/index.html", courses=courses, counts=svc.lesson_counts(courses))


@bp.route("/own-courses/new", methods=["GET", "POST"])
def own_course_new():
    partner = _whitelabel_partner()
    form = OwnCourseForm()
    if form.validate_on_submit():
        try:
            course = svc.create_own_course(current_user, partner, form.title.data, form.description.data)
        except svc.DomainError as error:
            _apply_error(form, error)
        else:
            flash(_("Course %(title)s created. Now add its lessons.", title=course.title), "success")
            return go_to(url_for("partner.own_course", course_id=course.id))
    if request.method == "POST":
        return refuse("partner/own_courses/course_form.html", "partner/own_courses/_course_form.html",
                      form=form, course=None)
    return render("partner/own_courses/course_form.html", form=form, course=None)


@bp.route("/own-courses/<int:course_id>")
def own_course(course_id):
    partner = _whitelabel_partner()
    return _lessons(_course_or_404(partner, course_id))


@bp.route("/own-courses/<int:course_id>/edit", methods=["GET", "POST"])
def own_course_edit(course_id):
    partner = _whitelabel_partner()
    course = _course_or_404(partner, course_id)
    form = OwnCourseForm(obj=course)
    if form.validate_on_submit():
        try:
            svc.update_own_course(current_user, partner, course, form.title.data, form.description.data)
        except svc.DomainError as error:
            _apply_error(form, error)
        else:
            flash(_("Course %(title)s saved.", title=course.title), "success")
            return go_to(url_for("partner.own_course", course_id=course.id))
    if request.method == "POST":
        return refuse("partner/own_courses/course_form.html", "partner/own_courses/_course_form.html",
                      form=form, course=course)
    return render("partner/own_courses/course_form.html", form=form, course=course)


# --- lessons -----------------------------------------------------------------------


@bp.route("/own-courses/<int:course_id>/lessons", methods=["POST"])
def own_lesson_add(course_id):
    partner = _whitelabel_partner()
    course = _course_or_404(partner, course_id)
    form = LessonForm()
    if form.validate_on_submit():
        try:
            lesson = svc.add_lesson(current_user, partner, course, form.title.data, form.body.data,
                                    form.has_homework.data, form.is_checkpoint.data)
        except svc.DomainError as error:
            _apply_error(form, error)
        else:
            flash(_("Lesson %(title)s added.", title=lesson.title), "success")
            return _back_to_lessons(course, anchor=f"lesson-{lesson.id}")
    return _lessons(course, status=422, add_form=form)


@bp.route("/own-courses/<int:course_id>/lessons/<int:lesson_id>/edit", methods=["GET", "POST"])
def own_lesson_edit(course_id, lesson_id):
    partner = _whitelabel_partner()
    course = _course_or_404(partner, course_id)
    lesson = _lesson_or_404(course, lesson_id)
    form = _edit_form(lesson, obj=lesson)
    if form.validate_on_submit():
        try:
            svc.update_lesson(current_user, partner, lesson, form.title.data, form.body.data,
                              form.has_homework.data, form.is_checkpoint.data)
        except svc.DomainError as error:
            _apply_error(form, error)
        else:
            flash(_("Lesson %(title)s saved.", title=lesson.title), "success")
            if is_htmx():
                # The inline form sat in its row; the whole list comes back.
                body, status = _lessons(course)
                return body, status, {"HX-Retarget": "#lessons", "HX-Reswap": "outerHTML"}
            return redirect(url_for("partner.own_course", course_id=course.id, _anchor=f"lesson-{lesson.id}"))
    context = {"form": form, "course": course, "lesson": lesson}
    if request.method == "POST":
        return refuse("partner/own_courses/lesson_form.html", "partner/own_courses/_lesson_edit.html", **context)
    return render("partner/own_courses/lesson_form.html", "partner/own_courses/_lesson_edit.html", **context)


@bp.route("/own-courses/<int:course_id>/lessons/<int:lesson_id>/move", methods=["POST"])
def own_lesson_move(course_id, lesson_id):
    partner = _whitelabel_partner()
    course = _course_or_404(partner, course_id)
    lesson = _lesson_or_404(course, lesson_id)
    form = MoveLessonForm()
    if not form.validate_on_submit():
        return _lessons(course, status=422, lesson_error=_("Move a lesson up or down."))
    try:
        svc.move_lesson(current_user, partner, lesson, form.direction.data)
    except svc.DomainError as error:
        _apply_error(form, error)
        return _lessons(course, status=422, lesson_error=error.message)
    return _back_to_lessons(course, anchor=f"lesson-{lesson.id}")


@bp.route("/own-courses/<int:course_id>/lessons/<int:lesson_id>/delete", methods=["GET", "POST"])
def own_lesson_delete(course_id, lesson_id):
    """GET: the confirmation page (without JavaScript); POST: delete."""
    partner = _whitelabel_partner()
    course = _course_or_404(partner, course_id)
    lesson = _lesson_or_404(course, lesson_id)
    form = DeleteLessonForm()
    if request.method == "GET" or not form.validate_on_submit():
        status = 200 if request.method == "GET" else 400
        return render_with_status(status, "partner/own_courses/confirm_delete.html",
                                  course=course, lesson=lesson, form=form)
    title = lesson.title
    try:
        svc.delete_lesson(current_user, partner, lesson)
    except svc.LessonHasProgress as error:
        return _lessons(course, status=422, lesson_error=error.message)
    except svc.DomainError as error:
        _apply_error(form, error)
        return _lessons(course, status=422, lesson_error=error.message)
    flash(_("Lesson %(title)s deleted.", title=title), "success")
    return _back_to_lessons(course)
