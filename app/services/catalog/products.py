"""Products of kind access (one course or a combo) and their offers (plans with default access settings).

An offer's settings follow the same rules as a participant's override
(app.services.access.settings): a bad value is refused with the same words.
The offer page's schedule preview runs THE resolver on an unsaved grant and
enrolment (``schedule_preview``), never a second implementation. Functions
add and flush; the caller commits once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.i18n import format_money
from app.models import Course, Enrolment, Grant, Offer, Product, ProductKind, ReleaseMode, ReviewMethod, User
from app.models.base import parse_id
from app.services import audit
from app.services.access import resolver
from app.services.access.resolver import LessonState
from app.services.access.settings import (
    check_dates, check_delays, check_lessons_available, check_release_mode, check_review_method, longest_course,
)
from app.services.catalog.courses import like
from app.services.catalog.lessons import CatalogInvalid, clean_title

NAME_MAX = 200
# Integer cents in a 32-bit column, with room: at most 10,000,000.00.
MAX_PRICE_CENTS = 1_000_000_000
MAX_COURSES = 50


# --- products ------------------------------------------------------------------------------


def products_query(q: str | None = None):
    """Access products by name, with their courses and offers loaded (a constant number of queries per page)."""
    query = sa.select(Product).where(Product.kind == ProductKind.ACCESS.value).options(
        sa.orm.selectinload(Product.courses), sa.orm.selectinload(Product.offers))
    if q and q.strip():
        query = query.where(sa.func.lower(Product.name).like(like(q), escape="\\"))
    return query.order_by(sa.func.lower(Product.name), Product.id)


def find_product(product_id: int) -> Product | None:
    return db.session.execute(
        sa.select(Product).where(Product.id == product_id, Product.kind == ProductKind.ACCESS.value)
    ).scalar_one_or_none()


def course_choices() -> list[Course]:
    """The platform courses a product may grant (a partner's own course never)."""
    return db.session.execute(
        sa.select(Course).where(Course.owner_partner_id.is_(None)).order_by(sa.func.lower(Course.title), Course.id)
    ).scalars().all()


def _courses(course_ids) -> list[Course]:
    ids = list(dict.fromkeys(parse_id(i) for i in course_ids or []))
    if None in ids:  # not an id at all (a huge number, text): no such course
        raise CatalogInvalid(_l("Unknown course."), field="course_ids")
    if not ids:
        raise CatalogInvalid(_l("Choose at least one course: a product grants one course or a combo."),
                             field="course_ids")
    if len(ids) > MAX_COURSES:
        raise CatalogInvalid(_l("At most %(n)s courses in one product.", n=MAX_COURSES), field="course_ids")
    courses = db.session.execute(
        sa.select(Course).where(Course.id.in_(ids), Course.owner_partner_id.is_(None))).scalars().all()
    if len(courses) != len(ids):
        raise CatalogInvalid(_l("Unknown course."), field="course_ids")
    by_id = {course.id: course for course in courses}
    return [by_id[i] for i in ids]


def create_product(actor: User | None, name: str, course_ids) -> Product:
    product = Product(name=clean_title(name, "name"), kind=ProductKind.ACCESS.value)
    product.courses = _courses(course_ids)
    db.session.add(product)
    db.session.flush()
    audit.record(actor, "product.created", product, name=product.name, courses=[c.id for c in product.courses])
    return product


def update_product(actor: User | None, product: Product, name: str, course_ids) -> Product:
    name = clean_title(name, "name")
    courses = _courses(course_ids)
    before = (product.name, [c.id for c in product.courses])
    product.name, product.courses = name, courses
    db.session.flush()
    after = (product.name, [c.id for c in product.courses])
    if after != before:
        audit.record(actor, "product.updated", product, name=product.name, courses=after[1])
    return product


# --- offers ---------------------------------------------------------------------------------


@dataclass
class OfferValues:
    """What an offer form sends (already parsed: numbers, dates)."""

    name: str = ""
    price_cents: int | None = 0
    lessons_available: int | None = None
    release_mode: str = ReleaseMode.DELAYS.value
    release_delays: list = field(default_factory=list)
    release_dates: list = field(default_factory=list)
    review_method: str = ReviewMethod.AUTOMATIC.value
    checkpoints: bool = False


def _checked(product: Product, values: OfferValues) -> dict:
    name = clean_title(values.name, "name")
    price = values.price_cents
    if price is None:
        raise CatalogInvalid(_l("Enter a price (0 for free)."), field="price")
    if price < 0:
        raise CatalogInvalid(_l("A price cannot be below zero."), field="price")
    if price > MAX_PRICE_CENTS:
        raise CatalogInvalid(_l("At most %(max)s.", max=format_money(MAX_PRICE_CENTS)), field="price")
    longest = longest_course(product.id)
    mode = check_release_mode(values.release_mode)
    delays = check_delays(values.release_delays, longest) if mode == ReleaseMode.DELAYS.value else []
    dates = check_dates(values.release_dates, longest) if mode == ReleaseMode.DATES.value else []
    return {
        "name": name, "price_cents": price,
        "lessons_available": check_lessons_available(values.lessons_available, longest),
        "release_mode": mode, "release_delays": delays, "release_dates": [d.isoformat() for d in dates],
        "review_method": check_review_method(values.review_method), "checkpoints_enabled": bool(values.checkpoints),
    }


def create_offer(actor: User | None, product: Product, values: OfferValues) -> Offer:
    offer = Offer(product_id=product.id, **_checked(product, values))
    db.session.add(offer)
    db.session.flush()
    db.session.expire(product, ["offers"])
    audit.record(actor, "offer.created", offer, product=product.name, name=offer.name, price_cents=offer.price_cents)
    return offer


def update_offer(actor: User | None, offer: Offer, values: OfferValues) -> Offer:
    """Change the offer's defaults: they reach every participant's field that is not overridden."""
    checked = _checked(offer.product, values)
    changed = sorted(key for key, value in checked.items() if getattr(offer, key) != value)
    for key, value in checked.items():
        setattr(offer, key, value)
    db.session.flush()
    if changed:
        audit.record(actor, "offer.updated", offer, product=offer.product.name, name=offer.name, changed=changed)
    return offer


def offer_values(offer: Offer) -> OfferValues:
    return OfferValues(
        name=offer.name, price_cents=offer.price_cents, lessons_available=offer.lessons_available,
        release_mode=offer.release_mode, release_delays=list(offer.release_delays or []),
        release_dates=[date.fromisoformat(d) for d in offer.release_dates or []],
        review_method=offer.review_method, checkpoints=offer.checkpoints_enabled,
    )


def find_offer(product: Product, offer_id: int) -> Offer | None:
    return db.session.execute(
        sa.select(Offer).where(Offer.id == offer_id, Offer.product_id == product.id)
    ).scalar_one_or_none()


def schedule_preview(offer: Offer, start_date: date) -> list[tuple[Course, list[LessonState]]]:
    """Per course of the product, what a participant granted this offer on ``start_date`` sees that day.

    THE resolver on an unsaved grant and enrolment: nothing is written.
    """
    grant = Grant(offer=offer, start_date=start_date)
    preview = []
    for course in offer.product.courses:
        enrolment = Enrolment(course=course, course_id=course.id, start_date=start_date)
        preview.append((course, resolver.lesson_states(enrolment, start_date, grant=grant)))
    return preview
