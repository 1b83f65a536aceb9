"""A partner enrols its students in shared courses, paying with credits; finds and cancels its enrolments."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from app.blueprints.partner import bp
from app.blueprints.partner.enrolment_forms import CancelForm, EnrolForm, EnrolmentFilterForm
from app.extensions import db
from app.i18n import format_credits
from app.models import Enrolment
from app.services import DomainError
from app.services.catalog.pricing import catalog_for
from app.services.enrolment.enrol import cancel_enrolment, enrol_student
from app.services.enrolment.listing import page_of_enrolments
from app.services.ledger.wallets import InsufficientCredits, wallet_of
from app.services.people.students import search_students
from app.services.tenancy.credit_alerts import told_message
from app.services.tenancy.settings import settings
from app.web import apply_refusal, is_htmx, refuse, render

PAGE_SIZE = 25


def _partner():
    return current_user.partner


def _listing(partner, courses) -> dict:
    """The enrolment list as the request's arguments ask: its filters and one keyset page."""
    filter_form = EnrolmentFilterForm(formdata=request.args).with_courses(courses)
    filters = filter_form.filters()
    page = page_of_enrolments(partner, filters, per_page=PAGE_SIZE, after=request.args.get("after"),
                              before=request.args.get("before"))
    return dict(filter_form=filter_form, page=page, filtered=filters.any)


def _enrolments_context(partner, form, refusal=None) -> dict:
    """What the enrolments page shows around the form; ``refusal``: an InsufficientCredits to explain.

    An HTMX answer is the form alone: the list is neither read nor rendered.
    """
    context = dict(partner=partner, form=form, wallet=wallet_of(partner), refusal=refusal,
                   told=told_message(refusal.told) if refusal is not None else "")
    if not is_htmx():
        context.update(_listing(partner, form.courses))
    return context


@bp.route("/catalog")
def catalog():
    partner = _partner()
    return render("partner/catalog.html", partner=partner, catalog=catalog_for(partner),
                  wallet=wallet_of(partner))


@bp.route("/enrolments", methods=["GET"])
def enrolments():
    partner = _partner()
    form = EnrolForm(formdata=None).for_partner(partner, request.args)
    return render("partner/enrolments.html", "partner/_enrol_form.html", **_enrolments_context(partner, form))


@bp.route("/enrolments/rows")
def enrolment_rows():
    """The enrolment table alone (filters typed, or refreshed after an enrolment); without HTMX, the page."""
    partner = _partner()
    if not is_htmx():
        return redirect(url_for("partner.enrolments", **request.args))
    return render("partner/_enrolment_table.html", **_listing(partner, [c for c, _ in catalog_for(partner)]))


@bp.route("/enrolments/students")
def student_options():
    """The student picker's options for what was typed (the combobox's listbox); without HTMX, the page's search."""
    if not is_htmx():
        return redirect(url_for("partner.enrolments", **request.args))
    return render("partner/_student_options.html", found=search_students(_partner(), request.args.get("student_q", "")))


@bp.route("/enrolments", methods=["POST"])
def enrol():
    partner = _partner()
    form = EnrolForm().for_partner(partner)
    refusal = None
    if form.validate_on_submit():
        try:
            enrolment = enrol_student(current_user, partner, form.student, form.course)
        except InsufficientCredits as error:
            refusal = error
        except DomainError as error:
            apply_refusal(form, error)
        else:
            return _enrolled(partner, enrolment, form)
    return refuse("partner/enrolments.html", "partner/_enrol_form.html",
                  **_enrolments_context(partner, form, refusal))


def _enrolled(partner, enrolment, form):
    flash(ngettext("%(student)s is enrolled in %(course)s; %(count)s credit charged.",
                   "%(student)s is enrolled in %(course)s; %(count)s credits charged.",
                   enrolment.credits_charged, student=enrolment.user.email, course=enrolment.course.title,
                   count=format_credits(enrolment.credits_charged)), "success")
    if not request.htmx:
        return redirect(url_for("partner.enrolments"))
    body, status = render("partner/enrolments.html", "partner/_enrol_success.html",
                          **_enrolments_context(partner, EnrolForm(formdata=None).for_partner(
                              partner, catalog=form.catalog_pairs)),
                          enrolment=enrolment)
    return body, status, {"HX-Trigger": "aula:enrolments-changed"}


def _own_enrolment(enrolment_id) -> Enrolment:
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.partner_id != _partner().id:
        abort(404)
    return enrolment


@bp.route("/enrolments/<int:enrolment_id>/cancel", methods=["GET"])
def cancel_dialog(enrolment_id):
    """The cancel question: a dialog loaded on demand (HTMX), or a page of its own without JavaScript."""
    enrolment = _own_enrolment(enrolment_id)
    return render("partner/cancel_enrolment.html", "partner/_cancel_dialog.html", enrolment=enrolment,
                  cancel_form=CancelForm(), refund_on_cancel=settings().refund_on_cancel)


@bp.route("/enrolments/<int:enrolment_id>/cancel", methods=["POST"])
def cancel(enrolment_id):
    partner = _partner()
    enrolment = _own_enrolment(enrolment_id)
    if not CancelForm().validate_on_submit():
        abort(400)
    try:
        refund = cancel_enrolment(current_user, partner, enrolment)
    except DomainError as error:
        flash(error.message, "warning")
    else:
        flash(ngettext("Enrolment cancelled; %(count)s credit refunded.",
                       "Enrolment cancelled; %(count)s credits refunded.", refund.amount,
                       count=format_credits(refund.amount)) if refund else _("Enrolment cancelled."), "success")
    db.session.refresh(enrolment)
    if not request.htmx:
        return redirect(url_for("partner.enrolments"))
    body, status = render("partner/enrolments.html", "partner/_enrolment_cancelled.html", enrolment=enrolment,
                          wallet=wallet_of(partner))
    return body, status, {"HX-Trigger": "aula:close-dialog"}
