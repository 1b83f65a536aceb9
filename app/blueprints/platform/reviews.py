"""The homework review queue: the platform admin accepts homework or sends it back with a comment."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.downloads import homework_download
from app.blueprints.platform import bp
from app.blueprints.platform.catalog_forms import ReturnHomeworkForm
from app.blueprints.platform.forms import EmptyForm
from app.models import HomeworkSubmission
from app.services import DomainError
from app.services.enrolment import homework
from app.web import apply_refusal, paginate, refuse, render

PAGE_SIZE = 25


def _submission_or_404(submission_id: int) -> HomeworkSubmission:
    submission = homework.find_submission(submission_id)
    if submission is None:
        abort(404)
    return submission


def _queue(status: int = 200, forms: dict | None = None):
    page = paginate(homework.review_queue_query(), per_page=PAGE_SIZE)
    forms = forms or {}

    def return_form(submission_id: int) -> ReturnHomeworkForm:
        # Prefixed per submission: every comment box on the page has its own id.
        return forms.get(submission_id) or ReturnHomeworkForm(formdata=None, prefix=f"s{submission_id}")

    context = dict(page=page, accept_form=EmptyForm(formdata=None), return_form=return_form)
    return render("platform/reviews.html", **context) if status == 200 else refuse("platform/reviews.html", **context)


@bp.route("/reviews")
def reviews():
    return _queue()


@bp.route("/reviews/<int:submission_id>/accept", methods=["POST"])
def review_accept(submission_id):
    submission = _submission_or_404(submission_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if homework.accept_homework(current_user, submission):
        flash(_("Homework of %(name)s accepted.", name=submission.enrolment.user.display_name), "success")
    else:
        flash(_("This homework was already reviewed."), "warning")
    return redirect(url_for("platform.reviews"))


@bp.route("/reviews/<int:submission_id>/return", methods=["POST"])
def review_return(submission_id):
    submission = _submission_or_404(submission_id)
    form = ReturnHomeworkForm(prefix=f"s{submission.id}")
    if form.validate_on_submit():
        try:
            returned = homework.return_homework(current_user, submission, form.comment.data)
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("Homework sent back to %(name)s.", name=submission.enrolment.user.display_name)
                  if returned else _("This homework was already reviewed."), "success" if returned else "warning")
            return redirect(url_for("platform.reviews"))
    return _queue(status=422, forms={submission.id: form})


@bp.route("/homework/<int:submission_id>/file")
def homework_file(submission_id):
    return homework_download(_submission_or_404(submission_id))
