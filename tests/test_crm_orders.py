"""Edit order: one participant's settings layered on their offer, saved sparse, previewed by the one resolver."""

from datetime import date, timedelta

import pytest

from app.models import GrantOverride, Lesson, LessonProgress, Offer
from app.services import DomainError, access
from app.services.crm import orders

S = access.State
START = date(2026, 3, 2)
F = access.Field


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


def _grant(factory, db, student, **offer):
    product, offer_row = factory.product(_course(factory, db), **offer)
    return factory.grant(student, product, offer_row, start_date=START)


def _values(grant, **changes):
    values = orders.current_values(orders.order_sheet(grant))
    for name, value in changes.items():
        setattr(values, name, value)
    return values


def _rows(db, grant):
    return db.session.execute(db.select(GrantOverride).where(GrantOverride.grant_id == grant.id)).scalars().all()


def test_the_sheet_shows_each_setting_inherited_until_overridden(db, factory, student):
    grant = _grant(factory, db, student, release_delays=[0, 7, 14], lessons_available=3)
    access.override_settings(None, grant, {F.LESSONS_AVAILABLE: 4}, reason="vip")
    sheet = orders.order_sheet(grant)
    assert sheet.override(F.LESSONS_AVAILABLE).reason == "vip"
    assert sheet.override(F.REVIEW_METHOD) is None
    assert [(line.position, line.offer_value, line.override) for line in sheet.lessons] == [
        (1, 0, None), (2, 7, None), (3, 14, None), (4, 14, None)]
    assert orders.current_values(sheet).lessons_available == 4


def test_saving_writes_only_the_fields_that_differ(db, factory, student):
    grant = _grant(factory, db, student, release_delays=[0, 7, 14])
    admin = factory.platform_admin()
    saved = orders.edit_order(admin, grant, _values(grant, remove_delays=True), reason="binge watcher")
    assert saved.fields == [F.REMOVE_DELAYS]
    [row] = _rows(db, grant)
    assert (row.field, row.value, row.actor_id, row.reason) == (F.REMOVE_DELAYS, True, admin.id, "binge watcher")
    assert row.created_at is not None


def test_a_lesson_moved_by_days_is_one_override_of_that_lesson(db, factory, student):
    grant = _grant(factory, db, student, release_delays=[0, 7, 14, 21])
    values = _values(grant)
    values.releases[2] = 3
    orders.edit_order(None, grant, values, reason="sooner")
    assert [(r.field, r.value) for r in _rows(db, grant)] == [("lesson_release:2", {"delay": 3})]
    assert access.lesson_states(grant.enrolments[0], START + timedelta(days=3))[1].state == S.OPEN


def test_nothing_to_save_is_refused(db, factory, student):
    grant = _grant(factory, db, student, release_delays=[0, 7])
    with pytest.raises(orders.OrderUnchanged):
        orders.edit_order(None, grant, _values(grant), reason="no change")
    assert _rows(db, grant) == []


def test_reset_to_offer_writes_an_inherit_row_and_the_offer_applies_again(db, factory, student):
    grant = _grant(factory, db, student, lessons_available=2)
    access.override_settings(None, grant, {F.LESSONS_AVAILABLE: 4}, reason="trial")
    orders.edit_order(None, grant, _values(grant, resets=frozenset({F.LESSONS_AVAILABLE})), reason="trial over")
    assert access.effective_settings(grant).lessons_available == 2
    assert access.override_history(grant)[0].inherit
    assert orders.order_sheet(grant).override(F.LESSONS_AVAILABLE) is None


def test_resetting_an_inherited_field_changes_nothing(db, factory, student):
    grant = _grant(factory, db, student, lessons_available=2)
    with pytest.raises(orders.OrderUnchanged):
        orders.edit_order(None, grant, _values(grant, resets=frozenset({F.REVIEW_METHOD})), reason="no-op")


@pytest.mark.parametrize("change, field, words", [
    ({"lessons_available": 9}, "lessons_available", "Only 4 lessons exist"),
    ({"releases": {1: 0, 2: -3, 3: 14, 4: 21}}, "lesson_release:2", "cannot be negative"),
    ({"releases": {1: 0, 2: 7, 3: 5, 4: 21}}, "lesson_release:3", "on or after the one before"),
])
def test_bad_input_is_refused_with_its_field_and_nothing_is_written(db, factory, student, change, field, words):
    grant = _grant(factory, db, student, release_delays=[0, 7, 14, 21])
    with pytest.raises(DomainError, match=words) as refused:
        orders.edit_order(None, grant, _values(grant, **change), reason="typo")
    assert refused.value.field == field
    assert _rows(db, grant) == []


def test_fixed_dates_out_of_order_or_before_the_start_are_refused(db, factory, student):
    grant = _grant(factory, db, student, release_mode="dates",
                   release_dates=["2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23"])
    values = _values(grant)
    assert values.releases[2] == date(2026, 3, 9)
    values.releases[3] = date(2026, 3, 5)
    with pytest.raises(DomainError, match="before lesson 2") as refused:
        orders.edit_order(None, grant, values, reason="moved")
    assert refused.value.field == "lesson_release:3"
    values = _values(grant)
    values.releases[1] = date(2026, 3, 1)
    with pytest.raises(DomainError, match="before the start date"):
        orders.edit_order(None, grant, values, reason="moved")


def test_an_offer_of_another_product_is_refused(db, factory, student):
    grant = _grant(factory, db, student)
    _, foreign = factory.product()
    with pytest.raises(DomainError, match="another product") as refused:
        orders.edit_order(None, grant, _values(grant, offer_id=foreign.id), reason="wrong")
    assert refused.value.field == "offer"
    assert grant.offer_id != foreign.id


def test_moving_to_another_offer_keeps_the_overrides(db, factory, student):
    grant = _grant(factory, db, student, release_delays=[0, 7, 14, 21], lessons_available=2)
    access.override_settings(None, grant, {F.LESSONS_AVAILABLE: 3}, reason="vip")
    other = Offer(product_id=grant.product_id, name="Open", price_cents=0, lessons_available=1)
    db.session.add(other)
    db.session.flush()
    saved = orders.edit_order(None, grant, _values(grant, offer_id=other.id), reason="plan moved")
    assert saved.offer_changed and saved.fields == []
    assert [i.state for i in access.lesson_states(grant.enrolments[0], START)] == [S.OPEN] * 3 + [S.BEYOND]


def test_the_preview_shows_the_states_after_saving_and_writes_nothing(db, factory, student):
    grant = _grant(factory, db, student, release_delays=[0, 7, 14, 21])
    enrolment = grant.enrolments[0]
    db.session.add(LessonProgress(enrolment_id=enrolment.id, lesson_id=enrolment.course.lessons[0].id))
    db.session.flush()
    shown = orders.preview(grant, _values(grant, remove_delays=True), START)
    [course] = shown.courses
    assert [now.state for now, _after in course.lines] == [S.DONE, S.SCHEDULED, S.SCHEDULED, S.SCHEDULED]
    assert [after.state for _now, after in course.lines] == [S.DONE, S.OPEN, S.OPEN, S.OPEN]
    assert shown.changes == {F.REMOVE_DELAYS: True}
    assert _rows(db, grant) == [] and not access.effective_settings(grant).remove_delays


def test_the_preview_refuses_what_saving_would_refuse(db, factory, student):
    grant = _grant(factory, db, student)
    with pytest.raises(DomainError) as refused:
        orders.preview(grant, _values(grant, lessons_available=0))
    assert refused.value.field == "lessons_available"


def test_remove_all_delays_opens_everything_within_the_lessons_available(db, factory, student):
    grant = _grant(factory, db, student, release_delays=[0, 7, 14, 21], lessons_available=3)
    orders.edit_order(None, grant, _values(grant, remove_delays=True), reason="binge")
    assert [i.state for i in access.lesson_states(grant.enrolments[0], START)] == [S.OPEN] * 3 + [S.BEYOND]


def test_an_edit_is_in_the_audit_trail_with_actor_and_reason(db, factory, student):
    from app.models import AuditEvent

    grant = _grant(factory, db, student, release_delays=[0, 7])
    admin = factory.platform_admin()
    orders.edit_order(admin, grant, _values(grant, checkpoints=True), reason="exam prep")
    event = db.session.execute(db.select(AuditEvent).where(AuditEvent.action == "grant.settings_overridden",
                                                           AuditEvent.object_id == grant.id)).scalar_one()
    assert (event.actor_id, event.details["reason"], event.details["fields"]) == (
        admin.id, "exam prep", {"checkpoints": True})


def test_a_later_change_to_the_offer_moves_every_participant_except_in_what_they_override(db, factory):
    from app.services.catalog import products

    course = _course(factory, db)
    product, offer = factory.product(course, release_delays=[0, 7, 14, 21], lessons_available=4)
    first, second = factory.student(factory.partner()), factory.student(factory.partner())
    plain = factory.grant(first, product, offer, start_date=START)
    edited = factory.grant(second, product, offer, start_date=START)
    orders.edit_order(None, edited, _values(edited, lessons_available=2), reason="short plan")

    values = products.offer_values(offer)
    values.release_delays, values.lessons_available = [0, 1, 2, 3], 3
    products.update_offer(factory.platform_admin(), offer, values)

    day = START + timedelta(days=2)
    assert [i.state for i in access.lesson_states(plain.enrolments[0], day)] == [S.OPEN] * 3 + [S.BEYOND]
    assert [i.state for i in access.lesson_states(edited.enrolments[0], day)] == [S.OPEN] * 2 + [S.BEYOND] * 2
