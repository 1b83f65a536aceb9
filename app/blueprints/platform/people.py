"""The platform admin's directory: every account (searchable, by role and organisation), a person's
card, and the resellers."""

from __future__ import annotations

from flask import abort, request

from app.blueprints.platform import bp
from app.blueprints.platform.list_forms import ROLE_CHOICE_LABELS, PeopleFilterForm
from app.services.audit_trail import recent_actions_of
from app.services.people.directory import enrolments_of, people_query, person
from app.services.people.users import role_label
from app.web import paginate, refuse, render

PAGE_SIZE = 50
RECENT_ACTIONS = 10


@bp.route("/people")
def people_list():
    form = PeopleFilterForm(formdata=request.args)
    context = dict(form=form, role_label=role_label, heading=ROLE_CHOICE_LABELS.get(request.args.get("role")))
    if not form.validate():
        return refuse("platform/people/list.html", "platform/people/_rows.html", page=None, **context)
    page = paginate(people_query(form.filters()), per_page=PAGE_SIZE)
    return render("platform/people/list.html", "platform/people/_rows.html", page=page,
                  filtered=any(request.args.get(k) for k in form.data), **context)


@bp.route("/people/<int:user_id>")
def person_card(user_id):
    user = person(user_id) or abort(404)
    return render("platform/people/card.html", user=user, role_label=role_label, enrolments=enrolments_of(user),
                  actions=recent_actions_of(user, RECENT_ACTIONS))
