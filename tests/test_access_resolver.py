"""The one lesson-state resolver and the settings it reads (offer defaults overlaid by overrides)."""

from datetime import date, datetime, timedelta, timezone

import pytest

from app.models import Lesson, LessonProgress, Offer, Role
from app.services import access
from app.services.access import participation
from app.services.access.settings import SettingsInvalid
from app.services.enrolment import enrol as enrol_svc
from app.services.enrolment.progress import LessonNotAvailable, mark_lesson_done

S = access.State
START = date(2026, 3, 2)


@pytest.fixture
def student(factory):
    return factory.student(factory.partner())


def _course(factory, db, n=4, checkpoints=()):
    course = factory.course()
    for position in range(4, n + 1):
        db.session.add(Lesson(course_id=course.id, position=position, title=f"Lesson {position}"))
    for lesson in course.lessons:
        lesson.is_checkpoint = lesson.position in checkpoints
    db.session.flush()
    db.session.expire(course, ["lessons"])
    return course


def _granted(factory, db, student, n=4, checkpoints=(), **offer):
    course = _course(factory, db, n, checkpoints)
    product, offer_row = factory.product(course, **offer)
    grant = factory.grant(student, product, offer_row, start_date=START)
    return grant, grant.enrolments[0]


def _states(enrolment, today):
    return [item.state for item in access.lesson_states(enrolment, today)]


def _done(db, enrolment, *positions):
    for lesson in enrolment.course.lessons:
        if lesson.position in positions:
            db.session.add(LessonProgress(enrolment_id=enrolment.id, lesson_id=lesson.id))
    db.session.flush()


def test_a_delayed_lesson_is_scheduled_the_day_before_and_open_on_the_day(db, factory, student):
    _, enrolment = _granted(factory, db, student, release_delays=[0, 7])
    assert _states(enrolment, START + timedelta(days=6))[:2] == [S.OPEN, S.SCHEDULED]
    assert access.lesson_states(enrolment, START)[1].opens_on == START + timedelta(days=7)
    assert _states(enrolment, START + timedelta(days=7))[:2] == [S.OPEN, S.OPEN]


def test_lessons_past_the_schedule_open_with_the_last_lesson_listed(db, factory, student):
    _, enrolment = _granted(factory, db, student, release_delays=[0, 7])
    assert [i.opens_on for i in access.lesson_states(enrolment, START)][2:] == [START + timedelta(days=7)] * 2


def test_fixed_dates_in_the_past_are_open(db, factory, student):
    _, enrolment = _granted(factory, db, student, release_mode="dates",
                            release_dates=["2026-01-01", "2026-03-01", "2026-04-01"])
    assert _states(enrolment, date(2026, 3, 15)) == [S.OPEN, S.OPEN, S.SCHEDULED, S.SCHEDULED]


def test_remove_all_delays_opens_every_lesson_within_the_lessons_available(db, factory, student):
    grant, enrolment = _granted(factory, db, student, release_delays=[0, 7, 14, 21], lessons_available=3)
    access.override_settings(None, grant, {access.Field.REMOVE_DELAYS: True}, reason="goodwill")
    assert _states(enrolment, START) == [S.OPEN, S.OPEN, S.OPEN, S.BEYOND]


def test_lessons_beyond_the_lessons_available(db, factory, student):
    _, enrolment = _granted(factory, db, student, lessons_available=2)
    assert _states(enrolment, START) == [S.OPEN, S.OPEN, S.BEYOND, S.BEYOND]


def test_a_lesson_done_never_locks_again(db, factory, student):
    grant, enrolment = _granted(factory, db, student)
    _done(db, enrolment, 1, 2, 3)
    access.override_settings(None, grant, {access.Field.LESSONS_AVAILABLE: 1,
                                           access.Field.RELEASE_SCHEDULE: {"mode": "delays", "values": [0, 30]}},
                             reason="plan lowered")
    assert _states(enrolment, START) == [S.DONE, S.DONE, S.DONE, S.BEYOND]


def test_a_checkpoint_locks_the_lessons_after_it_until_done(db, factory, student):
    _, enrolment = _granted(factory, db, student, checkpoints=(2,), checkpoints_enabled=True)
    items = access.lesson_states(enrolment, START)
    assert [i.state for i in items] == [S.OPEN, S.OPEN, S.LOCKED, S.LOCKED]
    assert items[2].locked_by.position == 2
    _done(db, enrolment, 2)
    assert _states(enrolment, START) == [S.OPEN, S.DONE, S.OPEN, S.OPEN]


def test_checkpoints_off_lock_nothing(db, factory, student):
    _, enrolment = _granted(factory, db, student, checkpoints=(2,), checkpoints_enabled=False)
    assert _states(enrolment, START) == [S.OPEN] * 4


def test_a_checkpoint_with_homework_not_yet_accepted_keeps_the_next_locked(db, factory, student):
    from app.services.enrolment import homework

    _, enrolment = _granted(factory, db, student, checkpoints=(1,), checkpoints_enabled=True,
                            review_method="teacher")
    checkpoint = enrolment.course.lessons[0]
    checkpoint.has_homework = True
    db.session.flush()
    submission = homework.submit_homework(student, enrolment, checkpoint, text="my answer")
    assert submission.status == "pending"
    assert _states(enrolment, START)[:2] == [S.OPEN, S.LOCKED]
    homework.accept_homework(factory.platform_admin(), submission)
    assert _states(enrolment, START)[:2] == [S.DONE, S.OPEN]


def test_marking_a_lesson_that_is_not_open_is_refused(db, factory, student):
    _, enrolment = _granted(factory, db, student, release_delays=[0, 7])
    with pytest.raises(LessonNotAvailable, match="opens on"):
        mark_lesson_done(student, enrolment, enrolment.course.lessons[1], today=START)


def test_checkpoints_of_a_partners_own_course_are_enforced(db, factory):
    """Issue 8 item 9: a lesson after a checkpoint could be marked done before it."""
    partner = factory.partner(kind="whitelabel", domain="own.example.com")
    admin = factory.user(Role.PARTNER_ADMIN, partner=partner)
    student = factory.student(partner)
    course = factory.course(owner_partner_id=partner.id, assign_to_all=False, value=0)
    course.lessons[1].is_checkpoint = True
    db.session.flush()
    enrolment = enrol_svc.enrol_student(admin, partner, student, course)
    with pytest.raises(LessonNotAvailable, match="checkpoint"):
        mark_lesson_done(student, enrolment, course.lessons[2])
    mark_lesson_done(student, enrolment, course.lessons[1])
    mark_lesson_done(student, enrolment, course.lessons[2])


# --- time ---------------------------------------------------------------------------------


@pytest.mark.parametrize("zone, before, after, day", [
    # Europe/Rome springs forward at 02:00 on 29 March 2026: local midnight is 23:00 UTC the day before.
    ("Europe/Rome", "2026-03-28T22:59:59", "2026-03-28T23:00:00", date(2026, 3, 29)),
    # ... and falls back at 03:00 on 25 October 2026: midnight is still 22:00 UTC (CEST) the day before.
    ("Europe/Rome", "2026-10-24T21:59:59", "2026-10-24T22:00:00", date(2026, 10, 25)),
    # São Paulo sprang forward at midnight on 4 November 2018: 00:00 never happened, the day began at 01:00.
    ("America/Sao_Paulo", "2018-11-04T02:59:59", "2018-11-04T03:00:00", date(2018, 11, 4)),
    # ... and fell back at midnight on 17 February 2019: 23:00-23:59 of the 16th happened twice.
    ("America/Sao_Paulo", "2019-02-17T02:59:59", "2019-02-17T03:00:00", date(2019, 2, 17)),
])
def test_a_lesson_opens_at_the_start_of_its_day_in_the_platform_time_zone_on_dst_days(
        app, db, factory, student, monkeypatch, zone, before, after, day):
    monkeypatch.setitem(app.config, "AULA_TIMEZONE", zone)
    course = _course(factory, db, 2)
    product, offer = factory.product(course, release_mode="dates", release_dates=["2000-01-01", day.isoformat()])
    enrolment = factory.grant(student, product, offer, start_date=date(2000, 1, 1)).enrolments[0]

    def state_at(instant):
        now = datetime.fromisoformat(instant).replace(tzinfo=timezone.utc)
        return access.lesson_states(enrolment, participation.today(now))[1].state

    assert state_at(before) == S.SCHEDULED
    assert state_at(after) == S.OPEN


def test_delays_count_whole_days_across_a_dst_change(app, db, factory, student, monkeypatch):
    monkeypatch.setitem(app.config, "AULA_TIMEZONE", "Europe/Rome")
    course = _course(factory, db, 2)
    product, offer = factory.product(course, release_delays=[0, 1])
    enrolment = factory.grant(student, product, offer, start_date=date(2026, 3, 28)).enrolments[0]
    # 00:30 on 29 March in Rome (CET, +1) is 23:30 UTC on the 28th.
    now = datetime(2026, 3, 28, 23, 30, tzinfo=timezone.utc)
    assert access.lesson_states(enrolment, participation.today(now))[1].state == S.OPEN


# --- settings and overrides ---------------------------------------------------------------


def test_the_latest_override_of_a_field_wins(db, factory, student):
    grant, _ = _granted(factory, db, student, lessons_available=2)
    access.override_settings(None, grant, {access.Field.LESSONS_AVAILABLE: 3}, reason="first")
    access.override_settings(None, grant, {access.Field.LESSONS_AVAILABLE: 4}, reason="second")
    assert access.effective_settings(grant).lessons_available == 4
    assert [row.reason for row in access.override_history(grant)] == ["second", "first"]


def test_a_reset_goes_back_to_the_offer_and_is_itself_recorded(db, factory, student):
    grant, _ = _granted(factory, db, student, lessons_available=2)
    admin = factory.platform_admin()
    access.override_settings(admin, grant, {access.Field.LESSONS_AVAILABLE: 4}, reason="trial")
    access.reset_to_offer(admin, grant, [access.Field.LESSONS_AVAILABLE], reason="trial over")
    assert access.effective_settings(grant).lessons_available == 2
    latest = access.override_history(grant)[0]
    assert latest.inherit and latest.actor_id == admin.id and latest.created_at is not None


def test_a_later_change_to_the_offer_reaches_every_field_not_overridden(db, factory, student):
    grant, _ = _granted(factory, db, student, lessons_available=2, review_method="automatic")
    access.override_settings(None, grant, {access.Field.LESSONS_AVAILABLE: 3}, reason="vip")
    grant.offer.lessons_available = 1
    grant.offer.review_method = "teacher"
    settings = access.effective_settings(grant)
    assert (settings.lessons_available, settings.review_method) == (3, "teacher")


def test_one_lessons_release_can_be_overridden(db, factory, student):
    grant, enrolment = _granted(factory, db, student, release_delays=[0, 7, 14, 21])
    access.override_settings(None, grant, {access.Field.lesson_release(2): 0}, reason="early access")
    assert _states(enrolment, START) == [S.OPEN, S.OPEN, S.SCHEDULED, S.SCHEDULED]


def test_a_lesson_cannot_be_released_before_the_one_before_it(db, factory, student):
    grant, _ = _granted(factory, db, student, release_delays=[0, 7, 14, 21])
    with pytest.raises(SettingsInvalid, match="each lesson opens on or after the one before") as refused:
        access.override_settings(None, grant, {access.Field.lesson_release(3): 0}, reason="early access")
    assert refused.value.field == "lesson_release:3"
    assert access.override_history(grant) == []


def test_moving_a_lesson_later_than_the_next_blames_the_lesson_moved(db, factory, student):
    grant, _ = _granted(factory, db, student, release_delays=[0, 7, 14, 21])
    with pytest.raises(SettingsInvalid) as refused:
        access.override_settings(None, grant, {access.Field.lesson_release(2): 20}, reason="later")
    assert refused.value.field == "lesson_release:2"


def test_a_fixed_date_before_the_grants_start_is_refused(db, factory, student):
    grant, _ = _granted(factory, db, student, release_mode="dates",
                        release_dates=["2026-03-02", "2026-03-09", "2026-03-16"])
    with pytest.raises(SettingsInvalid, match="before the start date") as refused:
        access.override_settings(None, grant, {access.Field.lesson_release(1): START - timedelta(days=1)},
                                 reason="earlier")
    assert refused.value.field == "lesson_release:1"


def test_fixed_dates_may_move_earlier_or_later_in_order(db, factory, student):
    grant, enrolment = _granted(factory, db, student, release_mode="dates",
                                release_dates=["2026-03-02", "2026-03-09", "2026-03-16"])
    access.override_settings(None, grant, {access.Field.lesson_release(1): date(2026, 3, 5),
                                           access.Field.lesson_release(2): date(2026, 3, 5)}, reason="moved")
    assert [i.opens_on for i in access.lesson_states(enrolment, START)] == [
        date(2026, 3, 5), date(2026, 3, 5), date(2026, 3, 16), date(2026, 3, 16)]


def test_a_negative_delay_for_one_lesson_names_that_lesson(db, factory, student):
    grant, _ = _granted(factory, db, student, release_delays=[0, 7, 14, 21])
    with pytest.raises(SettingsInvalid, match="Lesson 3: a delay cannot be negative") as refused:
        access.override_settings(None, grant, {access.Field.lesson_release(3): -2}, reason="typo")
    assert refused.value.field == "lesson_release:3"


def test_a_revoked_grants_settings_no_longer_change(db, factory, student):
    grant, _ = _granted(factory, db, student)
    access.revoke_grant(None, grant)
    with pytest.raises(SettingsInvalid, match="removed"):
        access.override_settings(None, grant, {access.Field.REMOVE_DELAYS: True}, reason="too late")


def test_settings_after_unsaved_changes_write_nothing(db, factory, student):
    grant, _ = _granted(factory, db, student, lessons_available=2, release_delays=[0, 7])
    access.override_settings(None, grant, {access.Field.LESSONS_AVAILABLE: 3}, reason="vip")
    after = access.settings_after(grant, {access.Field.REMOVE_DELAYS: True,
                                          access.Field.LESSONS_AVAILABLE: access.INHERIT})
    assert (after.remove_delays, after.lessons_available) == (True, 2)
    assert len(access.override_history(grant)) == 1
    assert access.effective_settings(grant).lessons_available == 3


def test_settings_after_refuse_what_saving_would_refuse(db, factory, student):
    grant, _ = _granted(factory, db, student)
    with pytest.raises(SettingsInvalid) as refused:
        access.settings_after(grant, {access.Field.LESSONS_AVAILABLE: 99})
    assert refused.value.field == "lessons_available"


def test_settings_after_on_an_offer_of_another_product_are_refused(db, factory, student):
    grant, _ = _granted(factory, db, student)
    _, foreign = factory.product()
    with pytest.raises(SettingsInvalid, match="another product") as refused:
        access.settings_after(grant, {}, offer=foreign)
    assert refused.value.field == "offer"


def test_the_preview_runs_the_resolver_on_unsaved_settings(db, factory, student):
    grant, enrolment = _granted(factory, db, student, release_delays=[0, 7, 14, 21])
    _done(db, enrolment, 1)
    settings = access.settings_after(grant, {access.Field.REMOVE_DELAYS: True})
    assert [i.state for i in access.preview_states(enrolment, grant, settings, START)] == [S.DONE] + [S.OPEN] * 3
    assert _states(enrolment, START) == [S.DONE, S.SCHEDULED, S.SCHEDULED, S.SCHEDULED]


def test_a_preview_of_a_grant_that_does_not_govern_changes_nothing(db, factory, student):
    course = _course(factory, db, 4)
    old_product, drip = factory.product(course, release_delays=[0, 7, 14, 21])
    new_product, also_drip = factory.product(course, release_delays=[0, 7, 14, 21])
    older = factory.grant(student, old_product, drip, start_date=START)
    factory.grant(student, new_product, also_drip, start_date=START)
    settings = access.settings_after(older, {access.Field.REMOVE_DELAYS: True})
    states = access.preview_states(older.enrolments[0], older, settings, START)
    assert [i.state for i in states] == [S.OPEN, S.SCHEDULED, S.SCHEDULED, S.SCHEDULED]


def test_the_current_start_date_is_the_governing_grants(db, factory, student):
    grant, enrolment = _granted(factory, db, student)
    assert access.current_start_date(student, [enrolment.course]) == START
    assert access.current_start_date(student, [factory.course()]) is None


def test_changing_the_offer_keeps_the_overrides_and_follows_the_new_offer_elsewhere(db, factory, student):
    course = _course(factory, db, 4)
    product, drip = factory.product(course, release_delays=[0, 7, 14, 21], lessons_available=2)
    grant = factory.grant(student, product, drip, start_date=START)
    access.override_settings(None, grant, {access.Field.LESSONS_AVAILABLE: 3}, reason="vip")
    everything = Offer(product_id=product.id, name="All", price_cents=0, lessons_available=1)
    db.session.add(everything)
    db.session.flush()
    access.change_offer(factory.platform_admin(), grant, everything, reason="upgrade")
    assert _states(grant.enrolments[0], START) == [S.OPEN, S.OPEN, S.OPEN, S.BEYOND]


def test_an_offer_of_another_product_cannot_be_laid_under_a_grant(db, factory, student):
    grant, _ = _granted(factory, db, student)
    _, foreign = factory.product()
    with pytest.raises(SettingsInvalid, match="another product"):
        access.change_offer(None, grant, foreign, reason="mistake")
    assert grant.offer_id != foreign.id


@pytest.mark.parametrize("changes, field", [
    ({"lessons_available": 9}, "lessons_available"),
    ({"lessons_available": 0}, "lessons_available"),
    ({"release_schedule": {"mode": "delays", "values": [0, -1]}}, "release_delays"),
    ({"release_schedule": {"mode": "dates", "values": [date(2026, 5, 1), date(2026, 4, 1)]}}, "release_dates"),
    ({"review_method": "peer"}, "review_method"),
    ({"checkpoints": "yes"}, "checkpoints"),
    ({"lesson_release:9": 3}, "lesson_release:9"),
    ({"colour": "red"}, "colour"),
])
def test_a_bad_override_is_refused_and_nothing_is_written(db, factory, student, changes, field):
    grant, _ = _granted(factory, db, student)
    with pytest.raises(SettingsInvalid) as refused:
        access.override_settings(None, grant, {access.Field.REMOVE_DELAYS: True, **changes}, reason="why")
    assert refused.value.field == field
    assert access.override_history(grant) == []


def test_an_override_needs_a_reason(db, factory, student):
    grant, _ = _granted(factory, db, student)
    with pytest.raises(SettingsInvalid, match="why"):
        access.override_settings(None, grant, {access.Field.REMOVE_DELAYS: True}, reason="  ")


def test_the_newest_active_grant_decides_the_settings(db, factory, student):
    course = _course(factory, db, 4)
    drip_product, drip = factory.product(course, release_delays=[0, 7, 14, 21])
    open_product, everything = factory.product(course)
    factory.grant(student, drip_product, drip, start_date=START)
    newer = factory.grant(student, open_product, everything, start_date=START)
    enrolment = newer.enrolments[0]
    assert _states(enrolment, START) == [S.OPEN] * 4
    access.revoke_grant(None, newer)
    assert _states(enrolment, START) == [S.OPEN, S.SCHEDULED, S.SCHEDULED, S.SCHEDULED]


def test_a_preview_uses_an_unsaved_grant_through_the_same_resolver(db, factory):
    from app.models import Enrolment, Grant

    course = _course(factory, db, 3)
    _, offer = factory.product(course, release_delays=[0, 3, 10])
    preview = access.lesson_states(Enrolment(course=course, start_date=START), START,
                                   grant=Grant(offer=offer, start_date=START))
    assert [i.opens_on for i in preview] == [START, START + timedelta(days=3), START + timedelta(days=10)]
