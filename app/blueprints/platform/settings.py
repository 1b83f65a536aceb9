"""Platform-wide settings: the default low-balance threshold, refunds on cancellation, seats on a payment reversal."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.platform import bp
from app.blueprints.platform.forms import PlatformSettingsForm
from app.services.tenancy import settings as platform_settings
from app.web import refuse, render


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    form = PlatformSettingsForm(obj=platform_settings.settings())
    if form.validate_on_submit():
        platform_settings.update_platform_settings(current_user, low_balance_threshold=form.low_balance_threshold.data,
                                                   refund_on_cancel=form.refund_on_cancel.data,
                                                   seats_on_reversal=form.seats_on_reversal.data)
        flash(_("Settings saved."), "success")
        return redirect(url_for("platform.settings"))
    if form.is_submitted():
        return refuse("platform/settings.html", form=form)
    return render("platform/settings.html", form=form)
