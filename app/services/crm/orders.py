"""Edit order: one participant's access settings, layered on their offer, saved sparse, previewed before saving.

The sheet shows each setting of the offer (lessons available, each lesson's
release as a delay or a date after the schedule's mode, remove all delays,
review method, checkpoints) with its value and whether it is inherited from
the offer or overridden for this participant. Saving writes only what differs
from the current settings (``access.override_settings``: append-only, actor,
reason, time), a "reset to offer" as an inherit row, and a change of offer
(``access.change_offer``); a field left as it was keeps following the offer.
The preview runs the one resolver on the unsaved settings (``access.settings_after``
and ``access.preview_states``): nothing is written, and it refuses what saving
would refuse, with the same words.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import (
    PARTICIPATING, Course, Enrolment, Grant, GrantOverride, Lesson, Offer, ReleaseMode, User, product_courses,
)
from app.services import DomainError, access
from app.services.access import AccessSettings, Field, LessonState

SIMPLE_FIELDS = (Field.LESSONS_AVAILABLE, Field.REMOVE_DELAYS, Field.REVIEW_METHOD, Field.CHECKPOINTS)


class OrderUnchanged(DomainError):
    """Nothing in the form differs from the participant's current settings."""


@dataclass
class OrderValues:
    """What the edit-order form sends, parsed: each setting's value, and the fields to reset to the offer."""

    offer_id: int | None = None
    lessons_available: int | None = None
    # By lesson position: a delay in days (delays mode) or a date (dates mode); None = from the start.
    releases: dict[int, int | date | None] = field(default_factory=dict)
    remove_delays: bool = False
    review_method: str = ""
    checkpoints: bool = False
    resets: frozenset[str] = frozenset()


@dataclass(frozen=True)
class LessonLine:
    """One lesson position of the product (in a combo, the lessons at that position in each course)."""

    position: int
    titles: tuple[str, ...]
    field: str
    offer_value: int | date | None
    override: GrantOverride | None


@dataclass
class OrderSheet:
    """The grant's settings as the edit-order dialog shows them."""

    grant: Grant
    settings: AccessSettings  # effective now
    offer: AccessSettings  # the offer's defaults
    overrides: dict[str, GrantOverride]  # current override per field (inherit rows left out)
    lessons: list[LessonLine]
    offers: list[Offer]  # the product's offers (the grant may move to another)

    @property
    def release_mode(self) -> str:
        return self.settings.release_mode

    @property
    def uses_dates(self) -> bool:
        return self.release_mode == ReleaseMode.DATES.value

    def override(self, name: str) -> GrantOverride | None:
        return self.overrides.get(name)

    @cached_property
    def decided_by(self) -> Grant | None:
        """A newer access whose settings the participant has now, if any (read only where the editor shows it,
        not on every live preview)."""
        return access.deciding_grant(self.grant)


def _day(settings: AccessSettings, position: int, start: date) -> date:
    """The day the lesson at ``position`` opens by the schedule alone ("remove all delays" aside)."""
    return replace(settings, remove_delays=False).release_day(position, start) or start


def _shown(settings: AccessSettings, position: int, start: date) -> int | date | None:
    """A lesson's release as its form field shows it: days after the start, or a date."""
    if settings.release_mode == ReleaseMode.DATES.value:
        return replace(settings, remove_delays=False).release_day(position, start)
    return (_day(settings, position, start) - start).days


def _positions(grant: Grant) -> list[tuple[int, tuple[str, ...]]]:
    """Each lesson position of the product's courses, with the titles at that position (one query)."""
    rows = db.session.execute(
        sa.select(Lesson.position, Lesson.title)
        .join(product_courses, product_courses.c.course_id == Lesson.course_id)
        .where(product_courses.c.product_id == grant.product_id).order_by(Lesson.position, Lesson.course_id)
    ).all()
    titles: dict[int, list[str]] = {}
    for position, title in rows:
        titles.setdefault(position, []).append(title)
    return [(position, tuple(names)) for position, names in sorted(titles.items())]


def order_sheet(grant: Grant) -> OrderSheet:
    settings = access.effective_settings(grant)
    offer = access.offer_settings(grant.offer)
    overrides = {name: row for name, row in access.current_overrides(grant).items() if not row.inherit}
    lessons = [
        LessonLine(position, titles, Field.lesson_release(position), _shown(offer, position, grant.start_date),
                   overrides.get(Field.lesson_release(position)))
        for position, titles in _positions(grant)
    ]
    offers = db.session.execute(
        sa.select(Offer).where(Offer.product_id == grant.product_id).order_by(Offer.id)).scalars().all()
    return OrderSheet(grant, settings, offer, overrides, lessons, offers)


def current_values(sheet: OrderSheet) -> OrderValues:
    """The form's starting values: the participant's current settings."""
    settings, start = sheet.settings, sheet.grant.start_date
    return OrderValues(
        offer_id=sheet.grant.offer_id, lessons_available=settings.lessons_available,
        releases={line.position: _shown(settings, line.position, start) for line in sheet.lessons},
        remove_delays=settings.remove_delays, review_method=settings.review_method,
        checkpoints=settings.checkpoints,
    )


def changes_from(grant: Grant, values: OrderValues) -> dict[str, object]:
    """The override changes ``values`` make: only fields that differ from now, and resets of overridden fields.

    A lesson's release differs when it moves the day the lesson opens (a delay and the
    date it gives are the same release).
    """
    now = access.effective_settings(grant)
    overridden = {name for name, row in access.current_overrides(grant).items() if not row.inherit}
    changes: dict[str, object] = {name: access.INHERIT for name in sorted(values.resets & overridden)}
    proposed = {Field.LESSONS_AVAILABLE: values.lessons_available, Field.REMOVE_DELAYS: bool(values.remove_delays),
                Field.REVIEW_METHOD: values.review_method, Field.CHECKPOINTS: bool(values.checkpoints)}
    current = {Field.LESSONS_AVAILABLE: now.lessons_available, Field.REMOVE_DELAYS: now.remove_delays,
               Field.REVIEW_METHOD: now.review_method, Field.CHECKPOINTS: now.checkpoints}
    for name in SIMPLE_FIELDS:
        if name not in values.resets and proposed[name] != current[name]:
            changes[name] = proposed[name]
    start = grant.start_date
    for position, value in sorted(values.releases.items()):
        name = Field.lesson_release(position)
        if name in values.resets:
            continue
        day = value if isinstance(value, date) else start + timedelta(days=value or 0)
        if day != _day(now, position, start):
            changes[name] = value if value is not None else 0
    if Field.RELEASE_SCHEDULE in values.resets and Field.RELEASE_SCHEDULE in overridden:
        changes[Field.RELEASE_SCHEDULE] = access.INHERIT
    return changes


def _offer(grant: Grant, offer_id: int | None) -> Offer:
    if offer_id is None or offer_id == grant.offer_id:
        return grant.offer
    return access.check_offer(grant, db.session.get(Offer, offer_id))


@dataclass
class PreviewCourse:
    course: Course
    enrolment: Enrolment
    now: list[LessonState]
    after: list[LessonState]

    @property
    def lines(self):
        return list(zip(self.now, self.after))


@dataclass
class OrderPreview:
    """What saving would do: the fields it writes, and each course's lessons now and after."""

    changes: dict[str, object]
    offer: Offer
    offer_changed: bool
    courses: list[PreviewCourse]

    @property
    def changes_anything(self) -> bool:
        return bool(self.changes) or self.offer_changed


def preview(grant: Grant, values: OrderValues, today: date | None = None) -> OrderPreview:
    """The participant's lesson states as they would be after saving ``values``; nothing is written.

    Raises what saving would raise (SettingsInvalid with its field).
    """
    offer = _offer(grant, values.offer_id)
    changes = changes_from(grant, values)
    settings = access.settings_after(grant, changes, offer=offer)
    courses = [
        PreviewCourse(enrolment.course, enrolment, access.lesson_states(enrolment, today),
                      access.preview_states(enrolment, grant, settings, today))
        for enrolment in grant.enrolments if enrolment.status in PARTICIPATING
    ]
    return OrderPreview(changes, offer, offer.id != grant.offer_id, courses)


@dataclass
class OrderSaved:
    offer_changed: bool
    fields: list[str]


def edit_order(actor: User, grant: Grant, values: OrderValues, *, reason: str) -> OrderSaved:
    """Save what differs: the offer (if another), then one override row per changed or reset field.

    Every rule is checked before anything is written; nothing to change is refused.
    """
    offer = _offer(grant, values.offer_id)
    changes = changes_from(grant, values)
    if offer.id == grant.offer_id and not changes:
        raise OrderUnchanged(_l("Nothing to save: every setting is as it was."))
    access.settings_after(grant, changes, offer=offer)
    reason = access.clean_reason(reason, _l("Say why the settings change."))
    offer_changed = offer.id != grant.offer_id
    if offer_changed:
        access.change_offer(actor, grant, offer, reason=reason)
    if changes:
        access.override_settings(actor, grant, changes, reason=reason)
    return OrderSaved(offer_changed, sorted(changes))
