"""A partner enrols its students in shared courses, paying with credits."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from app.blueprints.partner import bp
from app.blueprints.partner.enrolment_forms import CancelForm, EnrolForm
from app.extensions import db
from app.i18n import format_credits
from app.models import Course, Enrolment, User
from app.services import DomainError
from app.services.enrolment.enrol import (
    AlreadyEnrolled, CourseNotShared, InactiveStudent, NotYourStudent, cancel_enrolment, catalog_for,
    enrol_student, notify_insufficient_credits, partner_enrolments_query, settings,
)
from app.services.ledger.wallets import InsufficientCredits, wallet_of
from app.transactions import commit, rollback
from app.web import paginate, parse_id, refuse, render

PAGE_SIZE = 25


def _partner():
    return current_user.partner


def _refund_on_cancel() -> bool:
    """The platform setting the cancel dialog states: are the credits given back?"""
    return settings().refund_on_cancel


def _enrolments_page(partner):
    return paginate(partner_enrolments_query(partner, request.args.get("status")), per_page=PAGE_SIZE)


@bp.route("/catalog")
def catalog():
    partner = _partner()
    return render("partner/catalog.html", partner=partner, catalog=catalog_for(partner),
                  wallet=wallet_of(partner))


@bp.route("/enrolments", methods=["GET"])
def enrolments():
    partner = _partner()
    form = EnrolForm().for_partner(partner)
    if parse_id(request.args.get("course_id")) is not None:
        form.course_id.data = parse_id(request.args["course_id"])
    return render("partner/enrolments.html", "partner/_enrol_form.html",
                  partner=partner, form=form, page=_enrolments_page(partner),
                  wallet=wallet_of(partner), cancel_form=CancelForm(), refund_on_cancel=_refund_on_cancel(),
                  refusal=None)


@bp.route("/enrolments/rows")
def enrolment_rows():
    """The enrolment table alone, refreshed after an enrolment (HX-Trigger)."""
    partner = _partner()
    return render("partner/_enrolment_table.html", page=_enrolments_page(partner),
                  cancel_form=CancelForm(), refund_on_cancel=_refund_on_cancel())


@bp.route("/enrolments", methods=["POST"])
def enrol():
    partner = _partner()
    form = EnrolForm().for_partner(partner)
    refusal = None
    if form.validate_on_submit():
        student = db.session.get(User, form.student_id.data)
        course = db.session.get(Course, form.course_id.data)
        if student is None or course is None:
            abort(404)
        try:
            enrolment = enrol_student(current_user, partner, student, course)
        except InsufficientCredits as exc:
            rollback()
            told = notify_insufficient_credits(partner, course, exc)
            commit()
            refusal = {"kind": "credits", "needed": exc.needed, "available": exc.available,
                       "missing": exc.missing, "told": told}
        except AlreadyEnrolled:
            rollback()
            form.student_id.errors.append(
                _("%(student)s is already enrolled in %(course)s. Nothing was charged.",
                  student=student.email, course=course.title))
        except CourseNotShared:
            rollback()
            form.course_id.errors.append(_("This course is not available to your organisation."))
        except NotYourStudent:
            rollback()
            form.student_id.errors.append(_("This student does not belong to your organisation."))
        except InactiveStudent:
            rollback()
            form.student_id.errors.append(_("This student is deactivated: reactivate them first."))
        else:
            commit()
            flash(ngettext("%(student)s is enrolled in %(course)s; %(count)s credit charged.",
                           "%(student)s is enrolled in %(course)s; %(count)s credits charged.",
                           enrolment.credits_charged, student=student.email, course=course.title,
                           count=format_credits(enrolment.credits_charged)), "success")
            if request.htmx:
                fresh = EnrolForm(formdata=None).for_partner(partner)
                body, status = render("partner/enrolments.html", "partner/_enrol_success.html",
                                      partner=partner, form=fresh, enrolment=enrolment,
                                      wallet=wallet_of(partner), refusal=None)
                return body, status, {"HX-Trigger": "aula:enrolments-changed"}
            return redirect(url_for("partner.enrolments"))
    return refuse("partner/enrolments.html", "partner/_enrol_form.html",
                  partner=partner, form=form, page=_enrolments_page(partner),
                  wallet=wallet_of(partner), cancel_form=CancelForm(), refund_on_cancel=_refund_on_cancel(),
                  refusal=refusal)


@bp.route("/enrolments/<int:enrolment_id>/cancel", methods=["POST"])
def cancel(enrolment_id):
    partner = _partner()
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.partner_id != partner.id:
        abort(404)
    form = CancelForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        refund = cancel_enrolment(current_user, partner, enrolment)
    except DomainError:
        rollback()
        flash(_("This enrolment is no longer active."), "warning")
    else:
        commit()
        if refund is not None:
            flash(ngettext("Enrolment cancelled; %(count)s credit refunded.",
                           "Enrolment cancelled; %(count)s credits refunded.", refund.amount,
                           count=format_credits(refund.amount)), "success")
        else:
            flash(_("Enrolment cancelled."), "success")
    db.session.refresh(enrolment)
    if request.htmx:
        return render("partner/enrolments.html", "partner/_enrolment_cancelled.html",
                      enrolment=enrolment, wallet=wallet_of(partner), cancel_form=CancelForm(),
                      refund_on_cancel=_refund_on_cancel())
    return redirect(url_for("partner.enrolments"))
