"""Contacts: every user who holds or held an access (a grant, or a partner's paid enrolment); the list and search.

A page of contacts costs a constant number of queries whatever its size: the
page (with company, partner and reseller joined), then one query for the
page's grants and one for its paid enrolments no grant holds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from app.extensions import db
from app.models import Company, Course, Enrolment, Grant, GrantStatus, Product, User, grant_enrolments
from app.services.catalog.courses import like

QUERY_MAX = 100


def _has_access():
    """Holds or held a grant or an enrolment: one semi-join (two correlated EXISTS made PostgreSQL
    estimate a cost high enough to JIT-compile every count, half a second on 50,000 users)."""
    return User.id.in_(sa.union_all(sa.select(Grant.user_id), sa.select(Enrolment.user_id)))


def _matching_ids(q: str):
    """Ids of the users whose name, email, company, product (or paid course) matches ``q``.

    One UNION of index-friendly selects (each a trigram index on PostgreSQL), not an OR
    across tables that would read every user.
    """
    pattern = like(q)
    return sa.union(
        sa.select(User.id).where(sa.func.lower(User.name).like(pattern, escape="\\")),
        sa.select(User.id).where(sa.func.lower(User.email).like(pattern, escape="\\")),
        sa.select(User.id).join(Company, Company.id == User.company_id)
        .where(sa.func.lower(Company.name).like(pattern, escape="\\")),
        sa.select(Grant.user_id).join(Product, Product.id == Grant.product_id)
        .where(sa.func.lower(Product.name).like(pattern, escape="\\")),
        sa.select(Enrolment.user_id).join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.partner_id.is_not(None), sa.func.lower(Course.title).like(pattern, escape="\\")),
    )


def _matching(q: str):
    """The search as a condition on users.id.

    On PostgreSQL the matching ids are gathered once into an array (an InitPlan the planner cannot
    size), so the matches are fetched by primary key and sorted: never the name index walked row by
    row against the match set, which a misestimate turned into seconds on 50,000 users. SQLite
    materialises ``IN (subquery)`` by itself.
    """
    ids = _matching_ids(q)
    if db.session.get_bind().dialect.name == "postgresql":
        matched = ids.subquery()
        array = sa.cast(sa.select(sa.func.array_agg(matched.c.id)).scalar_subquery(), postgresql.ARRAY(sa.Integer))
        return User.id == sa.any_(array)
    return User.id.in_(ids)


def contacts_query(q: str | None = None):
    """Contacts by name (then id), optionally those matching ``q``, with company, partner and reseller loaded."""
    query = sa.select(User).where(_has_access()).options(
        sa.orm.joinedload(User.company), sa.orm.joinedload(User.partner), sa.orm.joinedload(User.reseller))
    q = " ".join((q or "").split())[:QUERY_MAX]
    if q:
        query = query.where(_matching(q))
    return query.order_by(sa.func.lower(User.name), User.id)


def find_contact(user_id: int) -> User | None:
    """The user if they hold or held an access (anyone else is not a contact)."""
    return db.session.execute(
        sa.select(User).where(User.id == user_id, _has_access())
        .options(sa.orm.joinedload(User.company), sa.orm.joinedload(User.partner),
                 sa.orm.joinedload(User.reseller))
    ).scalar_one_or_none()


@dataclass
class ContactRow:
    """One line of the contact list: the user, their active grants, removed ones, and paid-only enrolments."""

    user: User
    grants: list[Grant] = field(default_factory=list)
    removed: int = 0
    paid_enrolments: list[Enrolment] = field(default_factory=list)


def contact_rows(users: list[User]) -> list[ContactRow]:
    """The list's rows for one page of users: two queries, whatever the page's size."""
    rows = {user.id: ContactRow(user) for user in users}
    if not rows:
        return []
    grants = db.session.execute(
        sa.select(Grant).where(Grant.user_id.in_(rows))
        .options(sa.orm.joinedload(Grant.product), sa.orm.joinedload(Grant.offer)).order_by(Grant.id.desc())
    ).scalars().all()
    for grant in grants:
        if grant.status == GrantStatus.ACTIVE.value:
            rows[grant.user_id].grants.append(grant)
        else:
            rows[grant.user_id].removed += 1
    paid: dict[int, list[Enrolment]] = defaultdict(list)
    for enrolment in db.session.execute(
        sa.select(Enrolment).where(Enrolment.user_id.in_(rows), Enrolment.partner_id.is_not(None),
                                   ~sa.exists().where(grant_enrolments.c.enrolment_id == Enrolment.id))
        .options(sa.orm.joinedload(Enrolment.course), sa.orm.joinedload(Enrolment.partner))
        .order_by(Enrolment.id.desc())
    ).scalars():
        paid[enrolment.user_id].append(enrolment)
    for user_id, enrolments in paid.items():
        rows[user_id].paid_enrolments = enrolments
    return [rows[user.id] for user in users]
