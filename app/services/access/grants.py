"""Grants: a user's access to a product under an offer, from one source, exactly once.

``grant_product`` is idempotent per source, as the ledger is per idempotency
key: the same source granted twice returns the first grant (a UNIQUE
(source_kind, source_id) settles a race: the loser's insert fails inside a
savepoint and the winner is returned). A grant holds one enrolment per
course of the product (``participation.join_course``: linked, reactivated or
created). ``revoke_grant`` ends the enrolments nothing else holds; progress
is kept, so a later grant of the same course finds it again.

Functions add and flush; the caller commits once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import (
    PARTICIPATING, Course, Enrolment, Grant, GrantStatus, Offer, Product, ProductKind, User, grant_enrolments,
)
from app.models.base import utcnow
from app.services import DomainError, audit
from app.services.access import participation
from app.services.access.settings import check_offer, clean_reason
from app.services.access.sources import GrantSource


class GrantRefused(DomainError):
    """The grant cannot be made as asked (wrong product, offer, or a source already used otherwise)."""


class SourceAlreadyUsed(GrantRefused):
    """The source already granted something else (another user, product or offer)."""


def find_grant(source: GrantSource) -> Grant | None:
    return db.session.execute(
        sa.select(Grant).where(Grant.source_kind == source.kind.value, Grant.source_id == source.id)
    ).scalar_one_or_none()


def _same_or_refuse(grant: Grant | GrantAsked, user: User, product: Product, offer: Offer) -> Grant | GrantAsked:
    """``grant`` (made, or asked earlier in the same batch) if it gives exactly this; else SourceAlreadyUsed."""
    gives = ((grant.user.id, grant.product.id, grant.offer.id) if isinstance(grant, GrantAsked)
             else (grant.user_id, grant.product_id, grant.offer_id))
    if gives != (user.id, product.id, offer.id):
        # In words, not the source's internal key: the audit trail and the grant itself keep that.
        raise SourceAlreadyUsed(_l("This was already used to give %(product)s to %(user)s: nothing else was given. "
                                   "Reload the page to give another access.", product=grant.product.name,
                                   user=grant.user.display_name))
    return grant


def _check(product: Product, offer: Offer) -> None:
    if product.kind != ProductKind.ACCESS.value:
        raise GrantRefused(_l("Only an access product grants courses."), field="product")
    if offer.product_id != product.id:
        raise GrantRefused(_l("This offer belongs to another product."), field="offer")
    if not product.courses:
        raise GrantRefused(_l("This product has no course yet."), field="product")


@dataclass(frozen=True)
class GrantAsked:
    """One grant asked of ``grant_products``: ``user`` gets ``product`` under ``offer``, from ``source``."""

    user: User
    product: Product
    offer: Offer
    source: GrantSource


def grant_product(actor: User | None, user: User, product: Product, offer: Offer, *, source: GrantSource,
                  start_date: date | None = None, reason: str | None = None) -> Grant:
    """Give ``user`` the product's courses under ``offer``; the same ``source`` again returns the first grant.

    ``start_date`` (default: today in the platform's time zone) is the day
    release delays count from. Every course of the product gets one
    participating enrolment, linked to the grant. Raises GrantRefused
    (product not of kind access, without courses, offer of another product)
    and SourceAlreadyUsed (the source granted something else). ``reason``
    (a manual grant's why) goes to the audit trail.
    """
    return grant_products(actor, [GrantAsked(user, product, offer, source)], start_date=start_date,
                          reason=reason)[0]


def grant_products(actor: User | None, asked: list[GrantAsked], *, start_date: date | None = None,
                   reason: str | None = None) -> list[Grant]:
    """``grant_product`` for many at once (an invoice's seats released by its payment), one grant per item, in order.

    Set-based, a few statements per course whatever the number of grants: the
    sources already used are read in one query, the users locked together (id
    order), the new grants inserted in one flush, each course joined by all
    its new grantees at once (``participation.join_courses``), the links and
    audit events written in batches. The same refusals as ``grant_product``,
    raised before anything is written; a source asked twice (for the same
    thing) gives one grant. Should another transaction grant one of the
    sources first (the UNIQUE source refuses the batch's insert), the grants
    are made one by one, each settling its race; if that source was granted
    for something else, SourceAlreadyUsed and none of this batch is kept.
    """
    granted = _grants_by_source([item.source for item in asked])
    fresh: dict[tuple[str, str], GrantAsked] = {}
    for item in asked:
        key = _key(item.source)
        if key in granted or key in fresh:  # a source asked twice must ask the same thing twice
            _same_or_refuse(granted[key] if key in granted else fresh[key], item.user, item.product, item.offer)
        else:
            _check(item.product, item.offer)
            fresh[key] = item
    if fresh:
        participation.lock_participants([item.user for item in fresh.values()])
        start = start_date or participation.today()
        made = _insert_grants(actor, list(fresh.values()), start, granted)
        _hold_enrolments(actor, made, start, reason)
    return [_same_or_refuse(granted[_key(item.source)], item.user, item.product, item.offer) for item in asked]


def _key(source: GrantSource) -> tuple[str, str]:
    return source.kind.value, source.id


def _grants_by_source(sources: list[GrantSource]) -> dict[tuple[str, str], Grant]:
    found: dict[tuple[str, str], Grant] = {}
    by_kind: dict[str, set[str]] = defaultdict(set)
    for source in sources:
        by_kind[source.kind.value].add(source.id)
    for kind, ids in by_kind.items():
        ids = sorted(ids)
        for start in range(0, len(ids), participation.CHUNK):
            for grant in db.session.execute(sa.select(Grant).where(
                    Grant.source_kind == kind, Grant.source_id.in_(ids[start:start + participation.CHUNK]))).scalars():
                found[(grant.source_kind, grant.source_id)] = grant
    return found


def _insert_grants(actor: User | None, items: list[GrantAsked], start: date,
                   granted: dict[tuple[str, str], Grant]) -> list[tuple[Grant, GrantAsked]]:
    """The new grants, inserted (in one flush if no other transaction took a source first); ``granted`` gets them."""
    def new(item: GrantAsked) -> Grant:
        return Grant(user_id=item.user.id, product_id=item.product.id, offer_id=item.offer.id,
                     source_kind=item.source.kind.value, source_id=item.source.id, status=GrantStatus.ACTIVE.value,
                     start_date=start, granted_by_id=actor.id if actor else None)

    grants = [new(item) for item in items]
    try:
        with db.session.begin_nested():
            db.session.add_all(grants)
            db.session.flush()
        made = list(zip(grants, items))
    except IntegrityError:
        # Another transaction granted a source first: nothing of the batch was inserted.
        if len(items) == 1:
            if not _winner_taken(items[0], granted):
                raise
            return []
        # One at a time, each settling its race; a source taken for something else undoes them all.
        made = []
        with db.session.begin_nested():
            for item in items:
                grant = new(item)
                try:
                    with db.session.begin_nested():
                        db.session.add(grant)
                        db.session.flush()
                except IntegrityError:
                    if not _winner_taken(item, granted):
                        raise
                else:
                    made.append((grant, item))
    for grant, item in made:
        granted[_key(item.source)] = grant
    return made


def _winner_taken(item: GrantAsked, granted: dict[tuple[str, str], Grant]) -> bool:
    """The grant another transaction made of ``item``'s source is the grant (if it gives the same; else refused)."""
    winner = find_grant(item.source)
    if winner is None:
        return False
    granted[_key(item.source)] = _same_or_refuse(winner, item.user, item.product, item.offer)
    return True


def _hold_enrolments(actor: User | None, made: list[tuple[Grant, GrantAsked]], start: date,
                     reason: str | None) -> None:
    """One participating enrolment per course of each new grant, linked to it, and each grant's audit event."""
    by_course: dict[int, tuple[Course, list[tuple[Grant, User]]]] = {}
    for grant, item in made:
        for course in item.product.courses:
            by_course.setdefault(course.id, (course, []))[1].append((grant, item.user))
    held: dict[tuple[int, int], Enrolment] = {}  # (grant id, course id) -> enrolment
    for course, pairs in by_course.values():
        joined = participation.join_courses(actor, [user for _grant, user in pairs], course, start_date=start)
        for (grant, _user), (enrolment, _is_new) in zip(pairs, joined):
            held[(grant.id, course.id)] = enrolment
    enrolments = {grant.id: [held[(grant.id, course.id)] for course in item.product.courses] for grant, item in made}
    links = [dict(grant_id=grant_id, enrolment_id=enrolment.id)
             for grant_id, listed in enrolments.items() for enrolment in listed]
    if links:
        db.session.execute(sa.insert(grant_enrolments), links)
    db.session.flush()
    for grant, _item in made:
        db.session.expire(grant, ["enrolments"])
    audit.record_many(actor, "grant.created", [
        (grant, dict(user=item.user.email, product=item.product.name, offer=item.offer.name, source=str(item.source),
                     start_date=start.isoformat(), enrolments=[e.id for e in enrolments[grant.id]], reason=reason))
        for grant, item in made
    ])


def revoke_grant(actor: User | None, grant: Grant, *, reason: str | None = None) -> list[Enrolment]:
    """Revoke the grant; end (keeping progress) each of its enrolments nothing else holds. Returns those ended.

    Revoking a revoked grant changes nothing. ``reason`` goes to the audit trail.
    """
    participation.lock_participant(grant.user)
    db.session.refresh(grant, ["status"])
    if grant.status != GrantStatus.ACTIVE.value:
        return []
    grant.status = GrantStatus.REVOKED.value
    grant.revoked_at = utcnow()
    grant.revoked_by_id = actor.id if actor else None
    db.session.flush()
    ended = [enrolment for enrolment in grant.enrolments if participation.end_if_unheld(enrolment)]
    audit.record(actor, "grant.revoked", grant, user=grant.user.email, product=grant.product.name,
                 offer=grant.offer.name, ended=[e.id for e in ended], reason=reason)
    return ended


def enrolments_ending_with(grant: Grant) -> list[Enrolment]:
    """The enrolments revoking ``grant`` would end: those nothing else (another grant, a partner) holds."""
    if not grant.is_active:
        return []
    return [enrolment for enrolment in grant.enrolments
            if enrolment.status in PARTICIPATING and not participation.is_held(enrolment, besides=grant)]


def change_offer(actor: User | None, grant: Grant, offer: Offer, *, reason: str) -> Grant:
    """Lay the grant's settings on another offer of its product; the participant's overrides stay.

    Every field the participant does not override follows the new offer from now on.
    """
    reason = clean_reason(reason)
    if not grant.is_active:
        raise GrantRefused(_l("This access was removed: its settings no longer change."))
    check_offer(grant, offer)
    if offer.id == grant.offer_id:
        return grant
    before = grant.offer
    grant.offer_id = offer.id
    db.session.flush()
    db.session.expire(grant, ["offer"])
    audit.record(actor, "grant.offer_changed", grant, user_id=grant.user_id, product=grant.product.name,
                 offer=offer.name, previous_offer=before.name, reason=reason)
    return grant


def grants_of(user: User, *, include_revoked: bool = False) -> list[Grant]:
    """The user's grants, newest first, with product and offer loaded."""
    query = sa.select(Grant).where(Grant.user_id == user.id).options(
        sa.orm.joinedload(Grant.product), sa.orm.joinedload(Grant.offer))
    if not include_revoked:
        query = query.where(Grant.status == GrantStatus.ACTIVE.value)
    return db.session.execute(query.order_by(Grant.id.desc())).scalars().all()
