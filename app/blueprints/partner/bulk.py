"""Bulk enrolment: tick students or paste/upload emails, preview the cost, confirm.

Small batches run inside the request; larger ones in a background job whose
progress the result page polls (HTMX) until the per-row results are there.
"""

from __future__ import annotations

import logging

from flask import abort, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.blueprints.partner import bp
from app.blueprints.partner.bulk_forms import BulkConfirmForm, BulkEnrolmentForm, BulkFilterForm
from app.extensions import db
from app.jobs.bulk import read_progress
from app.models import Course
from app.services import DomainError
from app.services.enrolment.bulk import (
    MAX_BYTES,
    MAX_ROWS,
    STALE_AFTER,
    BulkInputError,
    Outcome,
    batch_error,
    bulk_of,
    confirm_bulk_enrolment,
    is_delayed,
    pickable_students,
    preview_bulk_enrolment,
    recent_bulk_enrolments,
    result_counts,
    row_message,
)
from app.services.enrolment.enrol import CourseNotShared
from app.services.ledger.wallets import wallet_of
from app.transactions import commit, rollback
from app.web import is_htmx, parse_id, refuse, render

log = logging.getLogger(__name__)

OUTCOME_LABELS = {
    Outcome.WILL_ENROL: _l("Will be enrolled"),
    Outcome.ENROLLED: _l("Enrolled"),
    Outcome.ALREADY_ENROLLED: _l("Skipped: already enrolled"),
    Outcome.INACTIVE: _l("Skipped: inactive student"),
    Outcome.NOT_YOUR_STUDENT: _l("Not one of your students"),
    Outcome.UNKNOWN_EMAIL: _l("Unknown email"),
    Outcome.INVALID_EMAIL: _l("Not an email address"),
    Outcome.DUPLICATE: _l("Duplicate in the list"),
    Outcome.NOT_ENROLLED: _l("Not enrolled"),
}
OUTCOME_STYLES = {
    Outcome.WILL_ENROL: "success",
    Outcome.ENROLLED: "success",
    Outcome.ALREADY_ENROLLED: "secondary",
    Outcome.INACTIVE: "secondary",
    Outcome.DUPLICATE: "warning",
    Outcome.NOT_ENROLLED: "danger",
}


def _labels() -> dict:
    """Labels and badge colours by outcome value (results are stored as plain strings)."""
    return {
        "labels": {o.value: label for o, label in OUTCOME_LABELS.items()},
        "styles": {o.value: OUTCOME_STYLES.get(o, "danger") for o in Outcome},
    }


def _picker_for(partner, form: BulkEnrolmentForm, filter_form: BulkFilterForm, selected, select: str | None):
    picker = pickable_students(
        partner, q=filter_form.q.data or "", company_id=filter_form.company_id,
        match_nothing=filter_form.company_unknown,
        selected=() if select == "none" else selected, select_all=select == "all",
    )
    form.student_ids.choices = [
        (s.id, f"{s.name} <{s.email}>" if s.name else s.email) for s in picker.students
    ]
    form.student_ids.data = picker.selected_ids
    return picker


def _form_page(partner, form: BulkEnrolmentForm, *, selected=(), select=None, status_refused=False,
               fragment: str | None = None):
    filter_form = BulkFilterForm(request.args if request.method == "GET" else None).for_partner(partner)
    picker = _picker_for(partner, form, filter_form, selected, select)
    context = dict(partner=partner, form=form, filter_form=filter_form, picker=picker,
                   wallet=wallet_of(partner), recent=recent_bulk_enrolments(partner),
                   max_rows=MAX_ROWS, max_mb=MAX_BYTES // (1024 * 1024))
    if status_refused:
        return refuse("partner/bulk/form.html", fragment, **context)
    return render("partner/bulk/form.html", fragment, **context)


@bp.route("/enrolments/bulk", methods=["GET"])
def bulk_enrolment():
    partner = current_user.partner
    form = BulkEnrolmentForm(formdata=None).for_partner(partner)
    course_id = parse_id(request.args.get("course_id"))
    if course_id is not None:
        form.course_id.data = course_id
    return _form_page(partner, form, selected=request.args.getlist("student_ids"),
                      select=request.args.get("select"))


@bp.route("/enrolments/bulk/students", methods=["GET"])
def bulk_students():
    """The checkbox list alone, filtered (HTMX); the whole page without JavaScript."""
    partner = current_user.partner
    form = BulkEnrolmentForm(formdata=None).for_partner(partner)
    return _form_page(partner, form, selected=request.args.getlist("student_ids"),
                      select=request.args.get("select"), fragment="partner/bulk/_student_picker.html")


@bp.route("/enrolments/bulk/preview", methods=["POST"])
def bulk_preview():
    partner = current_user.partner
    form = BulkEnrolmentForm().for_partner(partner)
    submitted = request.form.getlist("student_ids")
    if not form.validate_on_submit():
        return _form_page(partner, form, selected=submitted, status_refused=True)
    course = db.session.get(Course, form.course_id.data)
    if course is None:
        form.course_id.errors.append(_l("This course is not available to your organisation."))
        return _form_page(partner, form, selected=submitted, status_refused=True)
    if form.has_upload():
        emails = form.file.data.stream.read(MAX_BYTES + 1)
    else:
        emails = form.emails.data or None
    try:
        preview = preview_bulk_enrolment(partner, course, students=form.student_ids.data, emails=emails)
    except CourseNotShared as exc:
        form.course_id.errors.append(exc.message)
        return _form_page(partner, form, selected=submitted, status_refused=True)
    except BulkInputError as exc:
        (form.file if form.has_upload() else form.emails).errors.append(exc.message)
        return _form_page(partner, form, selected=submitted, status_refused=True)
    except DomainError as exc:
        form.form_errors.append(exc.message)
        return _form_page(partner, form, selected=submitted, status_refused=True)
    return _preview_page(partner, preview)


def _preview_page(partner, preview, refusal: str | None = None):
    confirm = BulkConfirmForm.for_preview(preview)
    context = dict(partner=partner, preview=preview, confirm=confirm, refusal=refusal,
                   wallet=wallet_of(partner), **_labels())
    if refusal:
        return refuse("partner/bulk/preview.html", **context)
    return render("partner/bulk/preview.html", **context)


@bp.route("/enrolments/bulk", methods=["POST"])
def bulk_confirm():
    partner = current_user.partner
    confirm = BulkConfirmForm()
    if not confirm.validate_on_submit():
        form = BulkEnrolmentForm(formdata=None).for_partner(partner)
        form.form_errors.append(_l("This preview is no longer valid. Choose the students again."))
        return _form_page(partner, form, status_refused=True)
    course = db.session.get(Course, confirm.course)
    if course is None:
        abort(404)
    try:
        # The rows are classified again here: only what was asked comes from the browser.
        bulk = confirm_bulk_enrolment(current_user, partner, course, confirm.ids,
                                      expected_price=int(confirm.expected_price.data),
                                      picked=confirm.picked, emails=confirm.emails)
    except DomainError as exc:
        rollback()
        try:
            asked = dict(students=confirm.picked, emails=confirm.emails)
            if not (confirm.picked or confirm.emails):
                asked = dict(students=confirm.ids)
            preview = preview_bulk_enrolment(partner, course, **asked)
        except DomainError:
            form = BulkEnrolmentForm(formdata=None).for_partner(partner)
            form.form_errors.append(exc.message)
            return _form_page(partner, form, status_refused=True)
        return _preview_page(partner, preview, refusal=exc.message)
    bulk_id = bulk.id
    # Small batches are already done; a job (in-process without Redis) starts after the commit.
    commit()
    return redirect(url_for("partner.bulk_result", bulk_id=bulk_id))


@bp.route("/enrolments/bulk/<int:bulk_id>")
def bulk_result(bulk_id):
    """The outcome of a bulk enrolment; while it runs, a progress bar that polls itself."""
    partner = current_user.partner
    bulk = bulk_of(partner, bulk_id)
    if bulk is None:
        abort(404)
    finished = bulk.status in ("done", "failed")
    progress = None if finished else read_progress(bulk.id)
    delayed = not finished and is_delayed(bulk)
    if delayed:
        # The page says the platform knows: this warning (and `flask resume-bulk-enrolments`) is how.
        log.warning("bulk enrolment %s of partner %s still %s since %s", bulk.id, partner.id, bulk.status,
                    bulk.created_at.isoformat())
    fragment = None
    if is_htmx():
        fragment = "partner/bulk/_bulk_results.html" if finished else "partner/bulk/_bulk_progress.html"
    return render("partner/bulk/result.html", fragment, partner=partner, bulk=bulk, finished=finished,
                  progress=progress, delayed=delayed, delayed_minutes=int(STALE_AFTER.total_seconds() // 60),
                  counts=result_counts(bulk), wallet=wallet_of(partner), batch_error=batch_error,
                  row_message=row_message, **_labels())
