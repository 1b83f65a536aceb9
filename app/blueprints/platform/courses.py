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
from app.transactions import commit
from app.web import refuse, render


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
        context = dict(course=course, prices=prices, form=None,
                       owner=catalog.owner_names([course]).get(course.owner_partner_id))
        if request.method == "POST":
            return refuse("platform/courses/pricing.html", **context)
        return render("platform/courses/pricing.html", **context)

    partners = [price.partner for price in prices]
    form = course_pricing_form(partners, data=_form_data(course, prices))
    if form.validate_on_submit():
        try:
            catalog.set_course_pricing(current_user, course, form.value_per_enrolment.data,
                                       form.assign_to_all.data, form.chosen())
        except catalog.PricingRefused as error:
            form.form_errors.append(error.message)
        else:
            commit()
            flash(_("Pricing of %(title)s saved.", title=course.title), "success")
            return redirect(url_for("platform.course_pricing", course_id=course.id))
    if form.is_submitted():
        return refuse("platform/courses/pricing.html", course=course, prices=prices, form=form)
    return render("platform/courses/pricing.html", course=course, prices=prices, form=form)
