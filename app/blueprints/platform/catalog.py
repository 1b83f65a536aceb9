"""The platform's catalog: courses and their ordered lessons.

The lesson list is one fragment (``platform/catalog/_lessons.html``,
id="lessons"): adding, moving and deleting a lesson answer an HTMX request
with it; without JavaScript the same forms post and redirect back.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.platform import bp
from app.blueprints.platform.catalog_forms import CourseForm, LessonForm, MoveLessonForm
from app.blueprints.platform.forms import EmptyForm
from app.models import Course, Lesson
from app.services import DomainError
from app.services.catalog import courses as course_svc
from app.services.catalog import lessons as lesson_svc
from app.services.catalog.pricing import owner_names
from app.web import apply_refusal, is_htmx, paginate, refuse, render, render_with_status

PAGE_SIZE = 50


def _course_or_404(course_id: int) -> Course:
    course = course_svc.find_platform_course(course_id)
    if course is None:
        abort(404)
    return course


def _lesson_or_404(course: Course, lesson_id: int) -> Lesson:
    lesson = lesson_svc.find_lesson(course, lesson_id)
    if lesson is None:
        abort(404)
    return lesson


def _lessons(course: Course, status: int = 200, add_form=None, lesson_error=None):
    """The course page, or for HTMX its lesson list fragment."""
    return render_with_status(
        status, "platform/catalog/course.html", "platform/catalog/_lessons.html", course=course,
        lessons=course.lessons, with_progress=lesson_svc.lessons_with_progress(course),
        add_form=add_form or LessonForm(formdata=None), move_form=MoveLessonForm(formdata=None),
        delete_form=EmptyForm(formdata=None), lesson_error=lesson_error)


def _back(course: Course, anchor: str = "lessons"):
    if is_htmx():
        return _lessons(course)
    return redirect(url_for("platform.course_detail", course_id=course.id, _anchor=anchor))


@bp.route("/courses")
def courses_list():
    q = (request.args.get("q") or "").strip()[:100]
    page = paginate(course_svc.courses_query(q), per_page=PAGE_SIZE)
    return render("platform/courses/list.html", "platform/courses/_rows.html", page=page, q=q,
                  owners=owner_names(page.items), counts=lesson_svc.lesson_counts(page.items))


@bp.route("/courses/new", methods=["GET", "POST"])
def course_new():
    form = CourseForm()
    if form.validate_on_submit():
        try:
            course = course_svc.create_course(current_user, form.title.data, form.description.data)
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("Course %(title)s created. Now add its lessons.", title=course.title), "success")
            return redirect(url_for("platform.course_detail", course_id=course.id))
    if form.is_submitted():
        return refuse("platform/catalog/course_form.html", form=form, course=None)
    return render("platform/catalog/course_form.html", form=form, course=None)


@bp.route("/courses/<int:course_id>")
def course_detail(course_id):
    return _lessons(_course_or_404(course_id))


@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
def course_edit(course_id):
    course = _course_or_404(course_id)
    form = CourseForm(obj=course)
    if form.validate_on_submit():
        try:
            course_svc.update_course(current_user, course, form.title.data, form.description.data)
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("Course %(title)s saved.", title=course.title), "success")
            return redirect(url_for("platform.course_detail", course_id=course.id))
    if form.is_submitted():
        return refuse("platform/catalog/course_form.html", form=form, course=course)
    return render("platform/catalog/course_form.html", form=form, course=course)


def _lesson_args(form: LessonForm) -> tuple:
    return (form.title.data, form.body.data, form.has_homework.data, form.is_checkpoint.data, form.video_url.data)


@bp.route("/courses/<int:course_id>/lessons", methods=["POST"])
def lesson_add(course_id):
    course = _course_or_404(course_id)
    form = LessonForm()
    if form.validate_on_submit():
        try:
            lesson = lesson_svc.add_lesson(current_user, course, *_lesson_args(form))
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("Lesson %(title)s added.", title=lesson.title), "success")
            return _back(course, anchor=f"lesson-{lesson.id}")
    return _lessons(course, status=422, add_form=form)


@bp.route("/courses/<int:course_id>/lessons/<int:lesson_id>/edit", methods=["GET", "POST"])
def lesson_edit(course_id, lesson_id):
    course = _course_or_404(course_id)
    lesson = _lesson_or_404(course, lesson_id)
    form = LessonForm(obj=lesson)
    if form.validate_on_submit():
        try:
            lesson_svc.update_lesson(current_user, lesson, *_lesson_args(form))
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("Lesson %(title)s saved.", title=lesson.title), "success")
            return redirect(url_for("platform.course_detail", course_id=course.id, _anchor=f"lesson-{lesson.id}"))
    if form.is_submitted():
        return refuse("platform/catalog/lesson_form.html", form=form, course=course, lesson=lesson)
    return render("platform/catalog/lesson_form.html", form=form, course=course, lesson=lesson)


@bp.route("/courses/<int:course_id>/lessons/<int:lesson_id>/move", methods=["POST"])
def lesson_move(course_id, lesson_id):
    course = _course_or_404(course_id)
    lesson = _lesson_or_404(course, lesson_id)
    form = MoveLessonForm()
    if not form.validate_on_submit():
        return _lessons(course, status=422, lesson_error=_("Move a lesson up or down."))
    try:
        lesson_svc.move_lesson(current_user, lesson, form.direction.data)
    except DomainError as error:
        return _lessons(course, status=422, lesson_error=error.message)
    return _back(course, anchor=f"lesson-{lesson.id}")


@bp.route("/courses/<int:course_id>/lessons/<int:lesson_id>/delete", methods=["GET", "POST"])
def lesson_delete(course_id, lesson_id):
    """GET: the confirmation page (without JavaScript); POST: delete."""
    course = _course_or_404(course_id)
    lesson = _lesson_or_404(course, lesson_id)
    form = EmptyForm()
    if request.method == "GET" or not form.validate_on_submit():
        return render_with_status(200 if request.method == "GET" else 400, "platform/catalog/lesson_delete.html",
                                  course=course, lesson=lesson, form=form)
    title = lesson.title
    try:
        lesson_svc.delete_lesson(current_user, lesson)
    except DomainError as error:
        return _lessons(course, status=422, lesson_error=error.message)
    flash(_("Lesson %(title)s deleted.", title=title), "success")
    return _back(course)
