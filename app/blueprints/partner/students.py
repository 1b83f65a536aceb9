"""The partner admin's students: list with live search, create, edit,
deactivate/reactivate, set-password link, CSV import (preview, confirm)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.blueprints.partner import bp
from app.blueprints.partner.forms import (
    ConfirmForm,
    StudentFilterForm,
    StudentForm,
    StudentImportConfirmForm,
    StudentImportForm,
)
from app.models import Partner, User
from app.services import DomainError
from app.services.tenancy.companies import companies_of, find_company
from app.services.people.student_import import (
    MAX_BYTES,
    MAX_ROWS,
    ImportFileError,
    Outcome,
    import_result,
    import_students,
    load_signed_upload,
    preview,
    read_upload,
    sign_upload,
)
from app.services.people.students import (
    NO_COMPANY,
    create_student,
    find_student,
    page_of_students,
    send_set_password_link,
    set_student_active,
    update_student,
)
from app.web import apply_refusal, go_to, is_htmx, is_safe_next, refuse, render

OUTCOME_LABELS = {
    Outcome.CREATE: _l("Will be created"),
    Outcome.CREATED: _l("Created"),
    Outcome.DUPLICATE_IN_FILE: _l("Duplicate email in the file"),
    Outcome.EXISTS: _l("Already exists (not created again)"),
    Outcome.INVALID_EMAIL: _l("Invalid email"),
    Outcome.NAME_TOO_LONG: _l("Name longer than 200 characters"),
    Outcome.INVALID_NAME: _l("Name with invisible text-direction characters"),
    Outcome.UNKNOWN_COMPANY: _l("Unknown company"),
    Outcome.MISSING: _l("Missing column (email and name are required)"),
}
OUTCOME_STYLES = {
    Outcome.CREATE: "success",
    Outcome.CREATED: "success",
    Outcome.EXISTS: "secondary",
    Outcome.DUPLICATE_IN_FILE: "warning",
}


def get_student_or_404(partner: Partner, student_id: int) -> User:
    """The partner's own student; another partner's (or no) student is a 404."""
    student = find_student(partner, student_id)
    if student is None:
        abort(404)
    return student


# --- list and live search ---------------------------------------------------------


@bp.route("/students")
def students():
    partner = current_user.partner
    companies = companies_of(partner)
    filters = StudentFilterForm(formdata=request.args).with_companies(companies)
    chosen = filters.company.data or ""
    company = NO_COMPANY if chosen == NO_COMPANY else None
    if chosen.isascii() and chosen.isdigit():
        company = find_company(partner, int(chosen))
    page = page_of_students(
        partner,
        text=(filters.q.data or "")[:200],
        company=company,
        after=request.args.get("after"),
        before=request.args.get("before"),
    )
    return render(
        "partner/students/index.html",
        "partner/students/_rows.html",
        page=page,
        filters=filters,
        has_companies=bool(companies),
        searching=bool(filters.q.data or company),
    )


# --- create and edit -------------------------------------------------------------------


def _student_form(form, student, saved: bool):
    """The student form as a page, or refused (422) after a POST that did not save."""
    if request.method == "POST" and not saved:
        return refuse("partner/students/form.html", "partner/students/_form.html", form=form, student=student)
    return render("partner/students/form.html", form=form, student=student)


@bp.route("/students/new", methods=["GET", "POST"])
def student_new():
    partner = current_user.partner
    companies = companies_of(partner)
    form = StudentForm().with_companies(companies)
    if form.validate_on_submit():
        try:
            student = create_student(current_user, partner, form.email.data, form.name.data,
                                     form.chosen_company(companies))
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("Student %(email)s created. A welcome email with a link to set the password is on its way.",
                    email=student.email), "success")
            return go_to(url_for("partner.students"))
    return _student_form(form, None, saved=False)


@bp.route("/students/<int:student_id>/edit", methods=["GET", "POST"])
def student_edit(student_id):
    partner = current_user.partner
    student = get_student_or_404(partner, student_id)
    companies = companies_of(partner)
    form = StudentForm(obj=student).with_companies(companies)
    if request.method == "GET":
        form.company.data = str(student.company_id or "")
    if form.validate_on_submit():
        try:
            update_student(current_user, partner, student, form.email.data, form.name.data,
                           form.chosen_company(companies))
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("Student %(email)s saved.", email=student.email), "success")
            return go_to(url_for("partner.students"))
    return _student_form(form, student, saved=False)


# --- deactivate / reactivate ----------------------------------------------------------


def _change_active(student_id: int, active: bool):
    partner = current_user.partner
    student = get_student_or_404(partner, student_id)
    form = ConfirmForm()
    back = request.values.get("next")
    back = back if is_safe_next(back) else url_for("partner.students")
    if request.method == "GET":  # the question: a dialog loaded on demand (HTMX), or its page without JavaScript
        return render("partner/students/confirm_active.html", "partner/students/_active_dialog.html",
                      student=student, active=active, form=form, back=back, in_row=request.args.get("row") == "1")
    if not form.validate_on_submit():
        abort(400)
    set_student_active(current_user, partner, student, active)
    flash(_("%(email)s can sign in again.", email=student.email) if active
          else _("%(email)s is deactivated and can no longer sign in.", email=student.email), "success")
    if is_htmx():
        body, status = render("partner/students/_row.html", student=student, back=back)
        return body, status, {"HX-Trigger": "aula:close-dialog"}
    return redirect(back)


@bp.route("/students/<int:student_id>/deactivate", methods=["GET", "POST"])
def student_deactivate(student_id):
    return _change_active(student_id, False)


@bp.route("/students/<int:student_id>/reactivate", methods=["GET", "POST"])
def student_reactivate(student_id):
    return _change_active(student_id, True)


@bp.route("/students/<int:student_id>/welcome", methods=["POST"])
def student_send_link(student_id):
    partner = current_user.partner
    student = get_student_or_404(partner, student_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        send_set_password_link(current_user, partner, student)
    except DomainError as error:
        flash(error.message, "warning")
    else:
        flash(_("A new link to set the password was sent to %(email)s.", email=student.email), "success")
    return redirect(url_for("partner.student_edit", student_id=student.id))


# --- CSV import -------------------------------------------------------------------------


def _import_page(form, file_error=None, status_ok=True):
    context = {"form": form, "file_error": file_error, "max_mb": MAX_BYTES // (1024 * 1024), "max_rows": MAX_ROWS}
    if status_ok:
        return render("partner/students/import.html", "partner/students/_import.html", **context)
    return refuse("partner/students/import.html", "partner/students/_import.html", **context)


@bp.route("/students/import", methods=["GET", "POST"])
def students_import():
    partner = current_user.partner
    form = StudentImportForm()
    if request.method == "GET":
        return _import_page(form)
    if not form.validate_on_submit():
        return _import_page(form, status_ok=False)
    upload = form.file.data
    try:
        text = read_upload(upload.stream.read(MAX_BYTES + 1))
        plan = preview(partner, text, upload.filename or "")
    except ImportFileError as exc:
        return _import_page(form, file_error=exc.message, status_ok=False)
    confirm = StudentImportConfirmForm(formdata=None, payload=sign_upload(partner, text, plan.filename))
    return render(
        "partner/students/import_preview.html",
        "partner/students/_import_preview.html",
        plan=plan,
        confirm=confirm,
        labels=OUTCOME_LABELS,
        styles=OUTCOME_STYLES,
    )


@bp.route("/students/import/confirm", methods=["POST"])
def students_import_confirm():
    partner = current_user.partner
    confirm = StudentImportConfirmForm()
    if not confirm.validate_on_submit():
        return _import_page(
            StudentImportForm(formdata=None),
            file_error=_("This preview is not valid. Upload the file again."),
            status_ok=False,
        )
    try:
        text, filename = load_signed_upload(partner, confirm.payload.data)
        plan = import_students(current_user, partner, text, filename)
    except ImportFileError as exc:
        return _import_page(StudentImportForm(formdata=None), file_error=exc.message, status_ok=False)
    # Redirect after the POST: the result is a page that Back and reload show again, never re-import.
    return redirect(url_for("partner.students_import_result", import_id=plan.record.id), code=303)


@bp.route("/students/import/<int:import_id>")
def students_import_result(import_id):
    plan = import_result(current_user.partner, import_id) or abort(404)
    return render(
        "partner/students/import_result.html", plan=plan, labels=OUTCOME_LABELS, styles=OUTCOME_STYLES
    )
