"""The students a partner ticks for a bulk enrolment: a filtered, bounded read-model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import sqlalchemy as sa

from app.extensions import db
from app.models import Partner, User
from app.models.base import parse_id
from app.services.enrolment.bulk.classify import chunks
from app.services.enrolment.bulk.emails import MAX_ROWS
from app.services.people.students import active_students_query

PICKER_LIMIT = 300


@dataclass
class Picker:
    """The students offered as checkboxes: the ticked ones first, then those matching the filter."""

    students: list[User]
    selected_ids: list[int]
    matching: int  # how many match the filter in all
    shown: int  # how many of those are listed

    @property
    def truncated(self) -> bool:
        return self.shown < self.matching


def pickable_students(
    partner: Partner, *, q: str = "", company_id: int | None = None, selected: Iterable = (),
    select_all: bool = False, limit: int = PICKER_LIMIT, match_nothing: bool = False,
) -> Picker:
    """Active students of the partner matching ``q`` (name or email) and company, ticked ones kept.

    ``match_nothing``: the filter names something that cannot exist (a
    company id that is not an id), so no student matches it.
    """
    query = active_students_query(partner)
    if match_nothing:
        query = query.where(sa.false())
    q = " ".join((q or "").split())
    if q:
        pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(sa.or_(sa.func.lower(User.name).like(pattern, escape="\\"),
                                   User.email.like(pattern, escape="\\")))
    if company_id is not None:
        query = query.where(User.company_id == company_id)
    matching = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    found = db.session.execute(query.order_by(User.name, User.email).limit(limit)).scalars().all()
    wanted = [i for i in (parse_id(value) for value in selected or ()) if i is not None]
    wanted = list(dict.fromkeys(wanted))[:MAX_ROWS]
    ticked = {u.id: u for chunk in chunks(wanted) for u in db.session.execute(
        active_students_query(partner).where(User.id.in_(chunk))).scalars()}
    ticked_users = [ticked[i] for i in wanted if i in ticked]
    listed = ticked_users + [u for u in found if u.id not in ticked]
    selected_ids = [u.id for u in (listed if select_all else ticked_users)]
    return Picker(students=listed, selected_ids=selected_ids, matching=matching, shown=len(found))
