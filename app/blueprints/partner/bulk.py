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
from app.models import FINISHED_BULK, Course
from app.services import DomainError
from app.services.enrolment.bulk import (
    MAX_ROWS, OUTCOME_LABELS, STALE_AFTER, Outcome, batch_error, bulk_of, confirm_bulk_enrolment, is_delayed,
    pickable_students, preview_again, preview_bulk_enrolment, recent_bulk_enrolments, result_counts, row_message,
)
from app.services.enrolment.bulk.progress import read_progress
from app.services.exports.csv_upload import MAX_BYTES
from app.services.ledger.wallets import wallet_of
from app.web import apply_refusal, is_htmx, parse_id, refuse, render

log = logging.getLogger(__name__)

OUTCOME_STYLES = {
    Outcome.WILL_ENROL: "success",
    Outcome.SHORT_OF_CREDITS: "danger",
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


def _refused_form(partner, message: str):
    """The bulk form again with a refusal of the whole request (a stale or broken confirmation)."""
    form = BulkEnrolmentForm(formdata=None).for_partner(partner)
    form.form_errors.append(message)
    return _form_page(partner, form, status_refused=True)


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
    if form.validate_on_submit():
        try:
            preview = preview_bulk_enrolment(partner, form.course, students=form.student_ids.data,
                                             emails=form.email_source())
        except DomainError as error:
            apply_refusal(form, error, default_field=form.email_field)
        else:
            return _preview_page(partner, preview)
    return _form_page(partner, form, selected=request.form.getlist("student_ids"), status_refused=True)


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
        return _refused_form(partner, _l("This preview is no longer valid. Choose the students again."))
    course = db.session.get(Course, confirm.course) or abort(404)
    try:
        # The rows are classified again here: only what was asked comes from the browser.
        bulk = confirm_bulk_enrolment(current_user, partner, course, confirm.ids,
                                      expected_price=int(confirm.expected_price.data),
                                      picked=confirm.picked, emails=confirm.emails)
    except DomainError as refused:
        try:
            preview = preview_again(partner, course, ids=confirm.ids, picked=confirm.picked, emails=confirm.emails)
        except DomainError:
            return _refused_form(partner, refused.message)
        return _preview_page(partner, preview, refusal=refused.message)
    # Small batches are already done; a larger one's job starts after the commit.
    return redirect(url_for("partner.bulk_result", bulk_id=bulk.id))


@bp.route("/enrolments/bulk/<int:bulk_id>")
def bulk_result(bulk_id):
    """The outcome of a bulk enrolment; while it runs, a progress bar that polls itself."""
    partner = current_user.partner
    bulk = bulk_of(partner, bulk_id) or abort(404)
    finished = bulk.status in FINISHED_BULK
    delayed = not finished and is_delayed(bulk)
    if delayed:
        # The page says the platform knows: this warning (and `flask resume-bulk-enrolments`) is how.
        log.warning("bulk enrolment %s of partner %s still %s since %s", bulk.id, partner.id, bulk.status,
                    bulk.created_at.isoformat())
    fragment = None
    if is_htmx():
        fragment = "partner/bulk/_bulk_results.html" if finished else "partner/bulk/_bulk_progress.html"
    return render("partner/bulk/result.html", fragment, partner=partner, bulk=bulk, finished=finished,
                  progress=None if finished else read_progress(bulk.id), delayed=delayed,
                  delayed_minutes=int(STALE_AFTER.total_seconds() // 60), counts=result_counts(bulk),
                  wallet=wallet_of(partner), batch_error=batch_error, row_message=row_message, **_labels())
