"""A partner enrols its students in shared courses, paying with credits."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.partner import bp
from app.blueprints.partner.enrolment_forms import CancelForm, EnrolForm
from app.extensions import db
from app.models import Course, Enrolment, User
from app.services import DomainError
from app.services.catalog.pricing import catalog_for
from app.services.enrolment.enrol import cancel_enrolment, enrol_student, partner_enrolments_query
from app.services.ledger.wallets import InsufficientCredits, wallet_of
from app.services.tenancy.credit_alerts import told_message
from app.services.tenancy.settings import settings
from app.web import apply_refusal, format_credits, paginate, parse_id, refuse, render

PAGE_SIZE = 25


def _partner():
    return current_user.partner


def _enrolments_page(partner):
    return paginate(partner_enrolments_query(partner, status=request.args.get("status")), per_page=PAGE_SIZE)


def _enrolments_context(partner, form, refusal=None) -> dict:
    """What the enrolments page shows around the form; ``refusal``: an InsufficientCredits to explain."""
    return dict(partner=partner, form=form, page=_enrolments_page(partner), wallet=wallet_of(partner),
                cancel_form=CancelForm(), refund_on_cancel=settings().refund_on_cancel, refusal=refusal,
                told=told_message(refusal.told) if refusal is not None else "")


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
    return render("partner/enrolments.html", "partner/_enrol_form.html", **_enrolments_context(partner, form))


@bp.route("/enrolments/rows")
def enrolment_rows():
    """The enrolment table alone, refreshed after an enrolment (HX-Trigger)."""
    partner = _partner()
    return render("partner/_enrolment_table.html", page=_enrolments_page(partner),
                  cancel_form=CancelForm(), refund_on_cancel=settings().refund_on_cancel)


@bp.route("/enrolments", methods=["POST"])
def enrol():
    partner = _partner()
    form = EnrolForm().for_partner(partner)
    refusal = None
    if form.validate_on_submit():
        student, course = db.session.get(User, form.student_id.data), db.session.get(Course, form.course_id.data)
        if student is None or course is None:
            abort(404)
        try:
            enrolment = enrol_student(current_user, partner, student, course)
        except InsufficientCredits as error:
            refusal = error
        except DomainError as error:
            apply_refusal(form, error)
        else:
            return _enrolled(partner, enrolment)
    return refuse("partner/enrolments.html", "partner/_enrol_form.html",
                  **_enrolments_context(partner, form, refusal))


def _enrolled(partner, enrolment):
    flash(_("%(student)s is enrolled in %(course)s; %(credits)s credits charged.", student=enrolment.user.email,
            course=enrolment.course.title, credits=format_credits(enrolment.credits_charged)), "success")
    if not request.htmx:
        return redirect(url_for("partner.enrolments"))
    body, status = render("partner/enrolments.html", "partner/_enrol_success.html",
                          **_enrolments_context(partner, EnrolForm(formdata=None).for_partner(partner)),
                          enrolment=enrolment)
    return body, status, {"HX-Trigger": "aula:enrolments-changed"}


@bp.route("/enrolments/<int:enrolment_id>/cancel", methods=["POST"])
def cancel(enrolment_id):
    partner = _partner()
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.partner_id != partner.id:
        abort(404)
    if not CancelForm().validate_on_submit():
        abort(400)
    try:
        refund = cancel_enrolment(current_user, partner, enrolment)
    except DomainError as error:
        flash(error.message, "warning")
    else:
        flash(_("Enrolment cancelled; %(credits)s credits refunded.", credits=format_credits(refund.amount)) if refund
              else _("Enrolment cancelled."), "success")
    db.session.refresh(enrolment)
    if not request.htmx:
        return redirect(url_for("partner.enrolments"))
    return render("partner/enrolments.html", "partner/_enrolment_cancelled.html", enrolment=enrolment,
                  wallet=wallet_of(partner), cancel_form=CancelForm(), refund_on_cancel=settings().refund_on_cancel)
