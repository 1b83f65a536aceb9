"""The platform admin's home and email log (re-send)."""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.platform import bp
from app.blueprints.platform.forms import EmptyForm
from app.extensions import db
from app.models import EmailMessage
from app.services.outbox.email import NEWEST_FIRST as EMAIL_LOG_ORDER, email_log_query, resend
from app.services.tenancy.overview import platform_counts
from app.transactions import commit
from app.web import render, seek_page

PAGE_SIZE = 50


@bp.route("/")
def home():
    return render("platform/home.html", counts=platform_counts())


@bp.route("/emails")
def email_log():
    status = request.args.get("status") or None
    page = seek_page(email_log_query(status), EMAIL_LOG_ORDER, per_page=PAGE_SIZE)
    return render("platform/email_log.html", "platform/_email_rows.html",
                  page=page, status=status, form=EmptyForm())


@bp.route("/emails/<int:email_id>/resend", methods=["POST"])
def resend_email(email_id):
    email = db.get_or_404(EmailMessage, email_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    if resend(current_user, email):
        # Committed here, not at the edge: without a Redis queue the email is sent right
        # after the commit, and the row shown is what that send did.
        commit()
        db.session.refresh(email)
        flash(_("Email to %(to)s queued again.", to=email.recipient), "success")
    else:
        flash(_("This email was already sent."), "warning")
    if request.htmx:
        return render("platform/email_log.html", "platform/_email_row.html", email=email, form=form)
    return redirect(url_for("platform.email_log"))
