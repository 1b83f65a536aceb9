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

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import (
    PARTICIPATING, Enrolment, Grant, GrantStatus, Offer, Product, ProductKind, User, grant_enrolments,
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


def _same_or_refuse(grant: Grant, user: User, product: Product, offer: Offer) -> Grant:
    if (grant.user_id, grant.product_id, grant.offer_id) != (user.id, product.id, offer.id):
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
    existing = find_grant(source)
    if existing is not None:
        return _same_or_refuse(existing, user, product, offer)
    _check(product, offer)
    participation.lock_participant(user)
    grant = Grant(
        user_id=user.id, product_id=product.id, offer_id=offer.id, source_kind=source.kind.value,
        source_id=source.id, status=GrantStatus.ACTIVE.value, start_date=start_date or participation.today(),
        granted_by_id=actor.id if actor else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(grant)
            db.session.flush()
    except IntegrityError:
        # Another transaction granted the same source first: theirs is the grant.
        winner = find_grant(source)
        if winner is None:
            raise
        return _same_or_refuse(winner, user, product, offer)
    enrolments = [participation.join_course(actor, user, course, start_date=grant.start_date)[0]
                  for course in product.courses]
    for enrolment in enrolments:
        db.session.execute(sa.insert(grant_enrolments).values(grant_id=grant.id, enrolment_id=enrolment.id))
    db.session.flush()
    db.session.expire(grant, ["enrolments"])
    audit.record(actor, "grant.created", grant, user=user.email, product=product.name, offer=offer.name,
                 source=str(source), start_date=grant.start_date.isoformat(),
                 enrolments=[e.id for e in enrolments], reason=reason)
    return grant


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
