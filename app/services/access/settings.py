"""Access settings: an offer's defaults, a participant's overrides on a grant, and their rules.

A grant's effective settings are its offer's defaults overlaid by the
grant's overrides: sparse (only the fields set), per field, append-only rows
with actor, reason and time; the latest row per field wins, and a row with
``inherit`` (``reset_to_offer``) means "the offer's value again". A later
change to the offer therefore reaches every field not overridden.

The value rules (``check_*``) are the same for an offer (app.services.catalog.offers)
and for an override, so a bad value is refused with the same words in both places.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Mapping

import sqlalchemy as sa
from flask_babel import format_decimal, lazy_gettext as _l, lazy_ngettext

from app.extensions import db
from app.models import Grant, GrantOverride, Lesson, Offer, ReleaseMode, ReviewMethod, User, product_courses
from app.services import DomainError, audit

# A delay longer than ten years is a typo.
MAX_DELAY_DAYS = 3650
FIRST_YEAR, LAST_YEAR = 2000, 2100
REASON_MAX = 500


class SettingsInvalid(DomainError):
    """A value breaks a rule; ``field`` names the setting (the form field of the same name)."""


class _Inherit:
    def __repr__(self) -> str:
        return "INHERIT"


# Pass as a value to ``override_settings`` to go back to the offer's value for that field.
INHERIT = _Inherit()


class Field:
    """The names of the settings a participant's override may set."""

    LESSONS_AVAILABLE = "lessons_available"  # int >= 1, or None = all
    RELEASE_SCHEDULE = "release_schedule"  # {"mode": "delays"|"dates", "values": [...]}
    REMOVE_DELAYS = "remove_delays"  # bool: every lesson within the lessons available opens now
    REVIEW_METHOD = "review_method"  # ReviewMethod value
    CHECKPOINTS = "checkpoints"  # bool

    @staticmethod
    def lesson_release(position: int) -> str:
        """One lesson's release: {"delay": days} or {"date": "YYYY-MM-DD"} (whatever the schedule's mode)."""
        return f"lesson_release:{int(position)}"


@dataclass(frozen=True)
class AccessSettings:
    """What decides when each lesson of a course opens for one participant."""

    lessons_available: int | None = None  # None = all
    release_mode: str = ReleaseMode.DELAYS.value
    release_delays: tuple[int, ...] = ()
    release_dates: tuple[date, ...] = ()
    # Per-lesson exceptions by position: a delay in days (int) or a fixed date.
    lesson_releases: Mapping[int, int | date] = field(default_factory=dict)
    remove_delays: bool = False
    review_method: str = ReviewMethod.AUTOMATIC.value
    checkpoints: bool = False

    @property
    def asks_homework(self) -> bool:
        return self.review_method != ReviewMethod.NONE.value

    def release_day(self, position: int, start_date: date) -> date | None:
        """The day the lesson at ``position`` (1-based) opens; None: from the start.

        A lesson past the end of the schedule opens with the last lesson listed.
        """
        if self.remove_delays:
            return None
        if position in self.lesson_releases:
            value = self.lesson_releases[position]
            return value if isinstance(value, date) else start_date + timedelta(days=value)
        if self.release_mode == ReleaseMode.DATES.value:
            if not self.release_dates:
                return None
            return self.release_dates[min(position, len(self.release_dates)) - 1]
        if not self.release_delays:
            return None
        return start_date + timedelta(days=self.release_delays[min(position, len(self.release_delays)) - 1])


# A partner's paid enrolment of a course has no offer: every lesson open, homework accepted at once,
# and the course's checkpoints enforced (a lesson marked checkpoint means something).
PARTNER_ENROLMENT_SETTINGS = AccessSettings(checkpoints=True)


# --- rules -----------------------------------------------------------------------


def check_lessons_available(value, longest: int) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise SettingsInvalid(_l("Lessons available: a whole number of 1 or more, or empty for all."),
                              field=Field.LESSONS_AVAILABLE)
    if value > longest:
        raise SettingsInvalid(lazy_ngettext(
            "Only %(num)s lesson exists: %(value)s cannot be available. "
            "Leave it empty to make all lessons available.",
            "Only %(num)s lessons exist: %(value)s cannot be available. "
            "Leave it empty to make all lessons available.",
            longest, value=value),
                              field=Field.LESSONS_AVAILABLE)
    return value


def check_delay(delay, number: int, field: str) -> int:
    """One lesson's delay in days (``number``: the lesson, for the message)."""
    if not isinstance(delay, int) or isinstance(delay, bool):
        raise SettingsInvalid(_l("Lesson %(n)s: a delay is a whole number of days.", n=number), field=field)
    if delay < 0:
        raise SettingsInvalid(_l("Lesson %(n)s: a delay cannot be negative (%(value)s days).",
                                 n=number, value=delay), field=field)
    if delay > MAX_DELAY_DAYS:
        raise SettingsInvalid(_l("Lesson %(n)s: at most %(max)s days.", n=number, max=format_decimal(MAX_DELAY_DAYS)),
                              field=field)
    return delay


def check_delays(values, longest: int) -> list[int]:
    delays = list(values or [])
    if len(delays) > max(longest, 1):
        raise SettingsInvalid(lazy_ngettext(
            "%(count)s delays given, but the course has %(num)s lesson: one per lesson at most.",
            "%(count)s delays given, but the course has %(num)s lessons: one per lesson at most.",
            longest, count=len(delays)), field="release_delays")
    for number, delay in enumerate(delays, start=1):
        check_delay(delay, number, "release_delays")
        if number > 1 and delay < delays[number - 2]:
            raise SettingsInvalid(_l("Lesson %(n)s opens before lesson %(before)s "
                                     "(delay %(value)s < %(prev)s): each lesson opens on or after the one before it.",
                                     n=number, before=number - 1, value=delay, prev=delays[number - 2]),
                                  field="release_delays")
    return delays


def check_date(day, number: int, field: str) -> date:
    """One lesson's release date (``number``: the lesson, for the message)."""
    if not isinstance(day, date):
        raise SettingsInvalid(_l("Lesson %(n)s: not a date.", n=number), field=field)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise SettingsInvalid(_l("Lesson %(n)s: choose a date between %(first)s and %(last)s.",
                                 n=number, first=FIRST_YEAR, last=LAST_YEAR), field=field)
    return day


def check_dates(values, longest: int) -> list[date]:
    dates = list(values or [])
    if len(dates) > max(longest, 1):
        raise SettingsInvalid(lazy_ngettext(
            "%(count)s dates given, but the course has %(num)s lesson: one per lesson at most.",
            "%(count)s dates given, but the course has %(num)s lessons: one per lesson at most.",
            longest, count=len(dates)), field="release_dates")
    for number, day in enumerate(dates, start=1):
        check_date(day, number, "release_dates")
        if number > 1 and day < dates[number - 2]:
            raise SettingsInvalid(_l("The dates are out of order: lesson %(n)s (%(day)s) is before lesson "
                                     "%(before)s (%(prev)s).", n=number, day=day.isoformat(), before=number - 1,
                                     prev=dates[number - 2].isoformat()), field="release_dates")
    return dates


def check_release_mode(value) -> str:
    if value not in {mode.value for mode in ReleaseMode}:
        raise SettingsInvalid(_l("Choose delays after the start date or fixed dates."), field="release_mode")
    return value


def check_review_method(value) -> str:
    if value not in {method.value for method in ReviewMethod}:
        raise SettingsInvalid(_l("Choose how homework is reviewed: automatically, by a teacher, or no homework."),
                              field=Field.REVIEW_METHOD)
    return value


def longest_course(product_id: int) -> int:
    """The number of lessons of the product's longest course (0 without lessons)."""
    counts = sa.select(sa.func.count(Lesson.id).label("n")).join(
        product_courses, product_courses.c.course_id == Lesson.course_id
    ).where(product_courses.c.product_id == product_id).group_by(Lesson.course_id).subquery()
    return db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(counts.c.n), 0)))


# --- resolution ---------------------------------------------------------------------


def offer_settings(offer: Offer) -> AccessSettings:
    """An offer's default access settings."""
    return AccessSettings(
        lessons_available=offer.lessons_available,
        release_mode=offer.release_mode or ReleaseMode.DELAYS.value,
        release_delays=tuple(int(d) for d in (offer.release_delays or [])),
        release_dates=tuple(date.fromisoformat(d) for d in (offer.release_dates or [])),
        review_method=offer.review_method,
        checkpoints=bool(offer.checkpoints_enabled),
    )


def current_overrides(grant: Grant) -> dict[str, GrantOverride]:
    """The latest override row per field (a reset row included)."""
    latest: dict[str, GrantOverride] = {}
    rows = grant.overrides if grant.id is not None else []
    for row in sorted(rows, key=lambda r: r.id or 0):
        latest[row.field] = row
    return latest


def _overridden_values(grant: Grant) -> dict[str, object]:
    """The stored value of every field the grant overrides now (reset fields left out)."""
    return {name: row.value for name, row in current_overrides(grant).items() if not row.inherit}


def overlay(base: AccessSettings, values: Mapping[str, object]) -> AccessSettings:
    """``base`` with each field's value, as an override row stores it, laid over it."""
    settings = base
    releases = {}
    for name, value in values.items():
        if name == Field.LESSONS_AVAILABLE:
            settings = replace(settings, lessons_available=value)
        elif name == Field.RELEASE_SCHEDULE:
            if value["mode"] == ReleaseMode.DATES.value:
                settings = replace(settings, release_mode=value["mode"], release_delays=(),
                                   release_dates=tuple(date.fromisoformat(d) for d in value["values"]))
            else:
                settings = replace(settings, release_mode=value["mode"], release_dates=(),
                                   release_delays=tuple(int(d) for d in value["values"]))
        elif name == Field.REMOVE_DELAYS:
            settings = replace(settings, remove_delays=bool(value))
        elif name == Field.REVIEW_METHOD:
            settings = replace(settings, review_method=value)
        elif name == Field.CHECKPOINTS:
            settings = replace(settings, checkpoints=bool(value))
        elif name.startswith("lesson_release:"):
            position = int(name.split(":", 1)[1])
            releases[position] = date.fromisoformat(value["date"]) if "date" in value else int(value["delay"])
    if releases:
        settings = replace(settings, lesson_releases=releases)
    return settings


def effective_settings(grant: Grant) -> AccessSettings:
    """The grant's offer's defaults overlaid by the latest override of each field."""
    return overlay(offer_settings(grant.offer), _overridden_values(grant))


# --- rules of a change ----------------------------------------------------------------


def clean_reason(reason: str | None, missing=None) -> str:
    """The reason of a change, on one line; refused when empty (``missing``: the words) or too long."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise SettingsInvalid(missing or _l("Say why."), field="reason")
    if len(reason) > REASON_MAX:
        raise SettingsInvalid(_l("At most %(n)s characters.", n=REASON_MAX), field="reason")
    return reason


def check_offer(grant: Grant, offer: Offer | None) -> Offer:
    """An offer the grant may take: one of the grant's own product."""
    if offer is None:
        raise SettingsInvalid(_l("Choose an offer."), field="offer")
    if offer.product_id != grant.product_id:
        raise SettingsInvalid(_l("This offer belongs to another product."), field="offer")
    return offer


def _is_release(name: str) -> bool:
    return name == Field.RELEASE_SCHEDULE or name.startswith("lesson_release:")


def _position(name: str) -> int:
    return int(name.split(":", 1)[1])


def _stored(name: str, value, longest: int):
    """The JSON value an override row stores for ``value``, after the field's rule."""
    if name == Field.LESSONS_AVAILABLE:
        return check_lessons_available(value, longest)
    if name == Field.RELEASE_SCHEDULE:
        mode = check_release_mode((value or {}).get("mode"))
        if mode == ReleaseMode.DATES.value:
            return {"mode": mode, "values": [d.isoformat() for d in check_dates(value.get("values"), longest)]}
        return {"mode": mode, "values": check_delays(value.get("values"), longest)}
    if name in (Field.REMOVE_DELAYS, Field.CHECKPOINTS):
        if not isinstance(value, bool):
            raise SettingsInvalid(_l("Choose yes or no."), field=name)
        return value
    if name == Field.REVIEW_METHOD:
        return check_review_method(value)
    if name.startswith("lesson_release:"):
        position = _position(name)
        if isinstance(value, date):
            return {"date": check_date(value, position, name).isoformat()}
        return {"delay": check_delay(value, position, name)}
    raise SettingsInvalid(_l("Unknown setting."), field=name)


def _checked_name(name: str, longest: int) -> str:
    known = name in (Field.LESSONS_AVAILABLE, Field.RELEASE_SCHEDULE, Field.REMOVE_DELAYS, Field.REVIEW_METHOD,
                     Field.CHECKPOINTS)
    if not known and not name.startswith("lesson_release:"):
        raise SettingsInvalid(_l("Unknown setting."), field=name)
    if name.startswith("lesson_release:"):
        position = name.split(":", 1)[1]
        if not position.isdigit() or not 1 <= int(position) <= longest:
            raise SettingsInvalid(_l("No such lesson."), field=name)
    return name


def _check_schedule(settings: AccessSettings, start: date, changed: Mapping[str, object], longest: int) -> None:
    """A changed release is not before the start, and each lesson still opens on or after the one before."""
    if not any(_is_release(name) for name in changed):
        return
    for name, value in changed.items():
        if name.startswith("lesson_release:") and isinstance(value, dict) and "date" in value:
            if date.fromisoformat(value["date"]) < start:
                raise SettingsInvalid(_l("Lesson %(n)s: %(day)s is before the start date (%(start)s).",
                                         n=_position(name), day=value["date"], start=start.isoformat()), field=name)
    schedule = replace(settings, remove_delays=False)
    previous = None
    for position in range(1, longest + 1):
        day = schedule.release_day(position, start) or start
        if previous is not None and day < previous:
            blamed = position if Field.lesson_release(position) in changed or \
                Field.lesson_release(position - 1) not in changed else position - 1
            raise SettingsInvalid(_l("Lesson %(n)s would open on %(day)s, before lesson %(before)s (%(prev)s): "
                                     "each lesson opens on or after the one before it.",
                                     n=position, day=day.isoformat(), before=position - 1, prev=previous.isoformat()),
                                  field=Field.lesson_release(blamed))
        previous = day


def _after(grant: Grant, changes: Mapping[str, object], offer: Offer) -> tuple[AccessSettings, dict[str, object]]:
    """Check every change; return the settings they give and the values to store (``INHERIT`` for a reset)."""
    longest = longest_course(grant.product_id)
    checked = {}
    for name, value in changes.items():
        _checked_name(name, longest)
        checked[name] = INHERIT if value is INHERIT else _stored(name, value, longest)
    values = _overridden_values(grant)
    for name, value in checked.items():
        if value is INHERIT:
            values.pop(name, None)
        else:
            values[name] = value
    settings = overlay(offer_settings(check_offer(grant, offer)), values)
    _check_schedule(settings, grant.start_date, checked, longest)
    return settings, checked


def settings_after(grant: Grant, changes: Mapping[str, object], *, offer: Offer | None = None) -> AccessSettings:
    """The grant's effective settings were ``changes`` saved (and its offer ``offer``): nothing is written.

    Every value is checked as ``override_settings`` checks it (SettingsInvalid), so a preview
    refuses what saving would refuse, with the same words.
    """
    return _after(grant, changes, offer or grant.offer)[0]


# --- overrides ------------------------------------------------------------------------


def override_settings(actor: User | None, grant: Grant, changes: Mapping[str, object], *, reason: str
                      ) -> list[GrantOverride]:
    """Append one override row per changed field (``INHERIT`` as a value: back to the offer's).

    Every value is checked first, and the schedule they give (a changed release is not
    before the grant's start; each lesson opens on or after the one before): one bad
    value and nothing is written. A revoked grant's settings no longer change.
    """
    reason = clean_reason(reason, _l("Say why the settings change."))
    if not grant.is_active:
        raise SettingsInvalid(_l("This access was removed: its settings no longer change."))
    _settings, checked = _after(grant, changes, grant.offer)
    rows = [
        GrantOverride(grant_id=grant.id, field=name, value=None if value is INHERIT else value,
                      inherit=value is INHERIT, actor_id=actor.id if actor else None, reason=reason)
        for name, value in checked.items()
    ]
    for row in rows:
        db.session.add(row)
    db.session.flush()
    db.session.expire(grant, ["overrides"])
    audit.record(actor, "grant.settings_overridden", grant, user_id=grant.user_id, reason=reason,
                 fields={row.field: ("inherit" if row.inherit else row.value) for row in rows})
    return rows


def reset_to_offer(actor: User | None, grant: Grant, fields, *, reason: str) -> list[GrantOverride]:
    """Back to the offer's value for each of ``fields`` (itself recorded as override rows)."""
    return override_settings(actor, grant, {name: INHERIT for name in fields}, reason=reason)


def override_history(grant: Grant) -> list[GrantOverride]:
    """Every override of the grant, newest first, with its actor."""
    return db.session.execute(
        sa.select(GrantOverride).where(GrantOverride.grant_id == grant.id)
        .options(sa.orm.joinedload(GrantOverride.actor)).order_by(GrantOverride.id.desc())
    ).scalars().all()
