"""Prices of the catalog for partners: what a partner pays per enrolment, and the admin's pricing.

Functions add and flush; the caller commits once.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import Course, CoursePartner, Partner, User
from app.services import DomainError, audit


class PricingRefused(DomainError):
    pass


NOT_SHARED = _l("This course is not available to your organisation.")


class CourseNotShared(DomainError):
    field = "course_id"


def price_for(course: Course, partner: Partner) -> int | None:
    """Credits ``partner`` pays to enrol one student in ``course``; None if not shared."""
    if course.owner_partner_id is None and not course.assign_to_all_partners:
        return _price(course, partner, db.session.get(CoursePartner, (course.id, partner.id)))
    return _price(course, partner, None)


def _price(course: Course, partner: Partner, link: CoursePartner | None) -> int | None:
    """``price_for`` with the partner's link to the course (or None) already read."""
    if course.owner_partner_id is not None:
        # A whitelabel partner's own course: free for its owner while it is
        # whitelabel (a partner switched to default loses its own courses),
        # hidden from everyone else.
        return 0 if course.owner_partner_id == partner.id and partner.is_whitelabel else None
    if course.assign_to_all_partners:
        return course.value_per_enrolment
    if link is None:
        return None
    return course.value_per_enrolment if link.custom_value is None else link.custom_value


def catalog_for(partner: Partner) -> list[tuple[Course, int]]:
    """Courses shared with the partner, each with the price it pays."""
    shared = sa.or_(
        Course.assign_to_all_partners.is_(True),
        Course.id.in_(sa.select(CoursePartner.course_id).where(CoursePartner.partner_id == partner.id)),
    )
    courses = db.session.execute(
        db.select(Course)
        .where(sa.or_(
            sa.and_(Course.owner_partner_id.is_(None), shared),
            sa.and_(Course.owner_partner_id == partner.id, sa.true() if partner.is_whitelabel else sa.false()),
        ))
        .order_by(Course.title)
    ).scalars().all()
    # The partner's links in one statement (when a course is priced per partner); they stay in
    # the session, so a later price_for reads none.
    links = {}
    if any(course.owner_partner_id is None and not course.assign_to_all_partners for course in courses):
        links = {link.course_id: link for link in db.session.execute(
            db.select(CoursePartner).where(CoursePartner.partner_id == partner.id)).scalars()}
    return [(course, _price(course, partner, links.get(course.id))) for course in courses]


def require_price(course: Course, partner: Partner) -> int:
    """What ``partner`` pays for ``course``, or ``CourseNotShared`` (the one wording of that refusal)."""
    price = price_for(course, partner)
    if price is None:
        raise CourseNotShared(NOT_SHARED)
    return price


def courses_query():
    return sa.select(Course).order_by(sa.func.lower(Course.title), Course.id)


def owner_names(courses) -> dict[int, str]:
    """Names of the partners owning these courses (a whitelabel partner's own courses)."""
    ids = {course.owner_partner_id for course in courses if course.owner_partner_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Partner.id, Partner.name).where(Partner.id.in_(ids))).all())


@dataclass
class PartnerPrice:
    partner: Partner
    shared: bool
    custom_value: int | None
    # What the partner pays per enrolment today; None = the course is not shared with it.
    effective: int | None


def partner_prices(course: Course) -> list[PartnerPrice]:
    """Per partner: whether it is chosen, its custom value and what it actually pays."""
    links = {link.partner_id: link for link in course.partner_prices}
    partners = db.session.execute(sa.select(Partner).order_by(sa.func.lower(Partner.name))).scalars().all()
    return [
        PartnerPrice(
            partner=partner,
            shared=partner.id in links,
            custom_value=links[partner.id].custom_value if partner.id in links else None,
            effective=price_for(course, partner),
        )
        for partner in partners
    ]


def _whole(value, *, what) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise PricingRefused(str(_l("%(what)s must be a whole number of credits, 0 or more.", what=what)))
    return value


def set_course_pricing(
    actor: User,
    course: Course,
    value: int,
    assign_to_all: bool,
    chosen: dict[int, int | None],
) -> Course:
    """Set the general value per enrolment and who may enrol at what price.

    ``chosen`` maps each chosen partner's id to its custom value (None = the
    general value). With ``assign_to_all`` every partner pays the general
    value; the chosen list is kept for when the course is no longer for all.
    A whitelabel partner's own course is not priced here.
    """
    if course.owner_partner_id is not None:
        raise PricingRefused(str(_l("This is a partner's own course; it is not priced by the platform.")))
    value = _whole(value, what=_l("The value per enrolment"))
    chosen = {int(pid): (None if custom is None else _whole(custom, what=_l("A custom value")))
              for pid, custom in chosen.items()}
    if chosen:
        known = set(db.session.execute(sa.select(Partner.id).where(Partner.id.in_(chosen))).scalars())
        unknown = set(chosen) - known
        if unknown:
            raise PricingRefused(str(_l("Unknown partner.")))

    before = {
        "value": course.value_per_enrolment,
        "assign_to_all": course.assign_to_all_partners,
        "partners": {str(link.partner_id): link.custom_value for link in course.partner_prices},
    }
    course.value_per_enrolment = value
    course.assign_to_all_partners = bool(assign_to_all)
    links = {link.partner_id: link for link in course.partner_prices}
    for partner_id, link in links.items():
        if partner_id not in chosen:
            course.partner_prices.remove(link)
    for partner_id, custom in chosen.items():
        if partner_id in links:
            links[partner_id].custom_value = custom
        else:
            course.partner_prices.append(CoursePartner(partner_id=partner_id, custom_value=custom))
    db.session.flush()
    after = {
        "value": value,
        "assign_to_all": bool(assign_to_all),
        "partners": {str(pid): custom for pid, custom in sorted(chosen.items())},
    }
    if after != before:
        audit.record(actor, "course.pricing_changed", course, before=before, after=after)
    return course
