from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.blueprints.platform import bp
from app.blueprints.platform.forms import EmptyForm
from app.transactions import commit
from app.extensions import db
from app.models import AuditEvent, EmailMessage, Partner, Reseller, User
from app.services import audit
from app.services.outbox.email import resend
from app.web import paginate, render

PAGE_SIZE = 50


@bp.route("/")
def home():
    counts = {
        "partners": db.session.scalar(db.select(db.func.count(Partner.id))),
        "resellers": db.session.scalar(db.select(db.func.count(Reseller.id))),
        "users": db.session.scalar(db.select(db.func.count(User.id))),
        "failed_emails": db.session.scalar(
            db.select(db.func.count(EmailMessage.id)).where(EmailMessage.status == "failed")
        ),
    }
    return render("platform/home.html", counts=counts)


@bp.route("/emails")
def email_log():
    status = request.args.get("status") or None
    query = db.select(EmailMessage).order_by(EmailMessage.id.desc())
    if status in {"queued", "sent", "failed"}:
        query = query.where(EmailMessage.status == status)
    page = paginate(query, per_page=PAGE_SIZE)
    return render("platform/email_log.html", "platform/_email_rows.html",
                  page=page, status=status, form=EmptyForm())


@bp.route("/emails/<int:email_id>/resend", methods=["POST"])
def resend_email(email_id):
    email = db.get_or_404(EmailMessage, email_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    if resend(current_user, email):
        commit()
        db.session.refresh(email)
        flash(_("Email to %(to)s queued again.", to=email.recipient), "success")
    else:
        flash(_("This email was already sent."), "warning")
    if request.htmx:
        return render("platform/email_log.html", "platform/_email_row.html", email=email, form=form)
    return redirect(url_for("platform.email_log"))


@bp.route("/audit")
def audit_log():
    query = db.select(AuditEvent).order_by(AuditEvent.id.desc())
    action = request.args.get("action") or None
    if action:
        query = query.where(AuditEvent.action == action)
    page = paginate(query, per_page=PAGE_SIZE)
    return render("platform/audit_log.html", page=page, action=action, describe_event=audit.describe,
                  event_object=audit.object_label, event_details=audit.detail_items)
