"""The platform admin's audit trail: each event as a sentence, filtered and paginated."""

from __future__ import annotations

from flask import request

from app.blueprints.platform import bp
from app.blueprints.platform.list_forms import AuditFilterForm
from app.services.audit_trail import describe_events, trail_query
from app.web import paginate, refuse, render

PAGE_SIZE = 50


@bp.route("/audit")
def audit_log():
    form = AuditFilterForm(formdata=request.args)
    if not form.validate():
        return refuse("platform/audit_log.html", "platform/_audit_events.html", form=form, page=None, lines=[])
    page = paginate(trail_query(form.filters()), per_page=PAGE_SIZE)
    return render("platform/audit_log.html", "platform/_audit_events.html", form=form, page=page,
                  lines=describe_events(page.items), filtered=any(request.args.get(k) for k in form.data))
