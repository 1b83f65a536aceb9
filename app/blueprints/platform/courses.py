"""The platform's courses and what each partner pays to enrol in them."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.platform import bp
from app.blueprints.platform.forms import course_pricing_form
from app.extensions import db
from app.models import Course
from app.services.catalog import pricing as catalog
from app.services import DomainError
from app.web import apply_refusal, refuse, render


def _form_data(course: Course, prices: list[catalog.PartnerPrice]) -> dict:
    data = {"value_per_enrolment": course.value_per_enrolment, "assign_to_all": course.assign_to_all_partners}
    for price in prices:
        data[f"share_{price.partner.id}"] = price.shared
        data[f"custom_{price.partner.id}"] = price.custom_value
    return data


@bp.route("/courses/<int:course_id>/pricing", methods=["GET", "POST"])
def course_pricing(course_id):
    course = db.get_or_404(Course, course_id)
    prices = catalog.partner_prices(course)
    if course.owner_partner_id is not None:
        # A whitelabel partner's own course: shown read-only, not priced here.
        return _pricing_page(course, prices, None, owner=catalog.owner_names([course]).get(course.owner_partner_id))
    form = course_pricing_form([price.partner for price in prices], data=_form_data(course, prices))
    if form.validate_on_submit():
        try:
            catalog.set_course_pricing(current_user, course, form.value_per_enrolment.data,
                                       form.assign_to_all.data, form.chosen())
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("Pricing of %(title)s saved.", title=course.title), "success")
            return redirect(url_for("platform.course_pricing", course_id=course.id))
    return _pricing_page(course, prices, form)


def _pricing_page(course, prices, form, **context):
    """The pricing page, or refused (422) after a POST that did not save."""
    if request.method == "POST":
        return refuse("platform/courses/pricing.html", course=course, prices=prices, form=form, **context)
    return render("platform/courses/pricing.html", course=course, prices=prices, form=form, **context)
