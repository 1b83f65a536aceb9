"""A whitelabel partner admin's own look: the name its students see, its colour and its logo.

A default partner (the platform's look) gets 403.
"""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.partner import bp
from app.blueprints.partner.look_forms import LookForm
from app.branding import logo_src
from app.services import DomainError
from app.services.tenancy.look import LOGO_MAX_BYTES, update_look
from app.web import apply_refusal, refuse, render


@bp.route("/look", methods=["GET", "POST"])
def look():
    partner = current_user.partner
    if not partner.is_whitelabel:
        abort(403)
    form = LookForm(obj=partner)
    if not form.is_submitted():
        form.show_colour(partner.brand_color)
    elif form.validate_on_submit():
        try:
            update_look(current_user, partner, name=form.name.data, brand_color=form.colour_value(),
                        logo=form.logo_bytes(), remove_logo=form.remove_logo.data)
        except DomainError as error:
            apply_refusal(form, error)
        else:
            flash(_("Your look is saved."), "success")
            return redirect(url_for("partner.look"))
    page = refuse if form.is_submitted() else render
    return page("partner/look.html", form=form, partner=partner, logo=logo_src(partner),
                max_kb=LOGO_MAX_BYTES // 1024)
