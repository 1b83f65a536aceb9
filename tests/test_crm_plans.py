"""Plan change: "+ Product" with the start date kept or today, then the old access removed, progress kept."""

from datetime import date

import pytest

from app.models import LessonProgress
from app.services import DomainError, access
from app.services.crm import plans
from app.services.crm.card import accesses_of

S = access.State
START = date(2026, 3, 2)


@pytest.fixture
def student(factory):
    return factory.student(factory.partner())


@pytest.fixture
def plan(factory):
    """One course sold as a product with a weekly offer and an everything-open one."""
    from app.models import Offer

    course = factory.course()
    product, weekly = factory.product(course, release_delays=[0, 7, 14])
    everything = Offer(product_id=product.id, name="Everything", price_cents=0)
    factory.db.session.add(everything)
    factory.db.session.flush()
    return course, product, weekly, everything


def _add(factory, student, product, offer, start=plans.StartChoice.KEEP, key="k1", reason="upgrade"):
    return plans.add_product(factory.platform_admin(), student, product_id=product.id, offer_id=offer.id,
                             start=start, key=key, reason=reason)


def test_a_plan_change_keeps_the_lessons_done(db, factory, student, plan):
    course, product, weekly, everything = plan
    old = factory.grant(student, product, weekly, start_date=START)
    enrolment = old.enrolments[0]
    db.session.add(LessonProgress(enrolment_id=enrolment.id, lesson_id=course.lessons[0].id))
    db.session.flush()
    new = _add(factory, student, product, everything)
    plans.remove_access(factory.platform_admin(), old, reason="moved to everything")
    assert new.enrolments == [enrolment] and enrolment.status == "active"
    assert [i.state for i in access.lesson_states(enrolment, START)] == [S.DONE, S.OPEN, S.OPEN]


def test_keeping_the_start_date_keeps_the_day_delays_count_from(db, factory, student, plan):
    _course, product, weekly, _everything = plan
    factory.grant(student, product, weekly, start_date=START)
    assert plans.start_options(student, product).current == START
    assert _add(factory, student, product, weekly, key="same").start_date == START


def test_starting_today_counts_delays_from_today(db, factory, student, plan):
    _course, product, weekly, _everything = plan
    factory.grant(student, product, weekly, start_date=START)
    new = _add(factory, student, product, weekly, start=plans.StartChoice.TODAY, key="today")
    assert new.start_date == access.today()


def test_keeping_the_start_date_without_a_current_access_starts_today(db, factory, student, plan):
    _course, product, weekly, _everything = plan
    options = plans.start_options(student, product)
    assert options.current is None and options.date_for(plans.StartChoice.KEEP) == access.today()
    assert _add(factory, student, product, weekly).start_date == access.today()


def test_the_same_dialog_sent_twice_grants_once(db, factory, student, plan):
    _course, product, weekly, _everything = plan
    first = _add(factory, student, product, weekly, key="double")
    assert _add(factory, student, product, weekly, key="double").id == first.id
    assert len(accesses_of(student).grants) == 1


@pytest.mark.parametrize("problem, field", [("no product", "product"), ("foreign offer", "offer"),
                                            ("no reason", "reason")])
def test_a_bad_plan_change_is_refused_with_its_field(db, factory, student, plan, problem, field):
    _course, product, weekly, _everything = plan
    _, foreign = factory.product()
    kwargs = dict(product_id=product.id, offer_id=weekly.id, start=plans.StartChoice.TODAY, key="bad",
                  reason="why")
    if problem == "no product":
        kwargs["product_id"] = None
    elif problem == "foreign offer":
        kwargs["offer_id"] = foreign.id
    else:
        kwargs["reason"] = "  "
    with pytest.raises(DomainError) as refused:
        plans.add_product(factory.platform_admin(), student, **kwargs)
    assert refused.value.field == field
    assert accesses_of(student).grants == []


def test_removing_says_which_courses_end_and_ends_only_those(db, factory, student, plan):
    course, product, weekly, everything = plan
    old = factory.grant(student, product, weekly, start_date=START)
    assert [e.course_id for e in plans.removal_effects(old)] == [course.id]
    _add(factory, student, product, everything)
    assert plans.removal_effects(old) == []
    assert plans.remove_access(factory.platform_admin(), old, reason="plan change") == []


def test_an_access_removed_twice_is_refused_the_second_time(db, factory, student, plan):
    _course, product, weekly, _everything = plan
    old = factory.grant(student, product, weekly, start_date=START)
    plans.remove_access(factory.platform_admin(), old, reason="refund")
    with pytest.raises(DomainError, match="already removed"):
        plans.remove_access(factory.platform_admin(), old, reason="refund")


def test_the_newest_access_applies_and_the_card_says_so(db, factory, student, plan):
    _course, product, weekly, everything = plan
    old = factory.grant(student, product, weekly, start_date=START)
    new = _add(factory, student, product, everything)
    rows = {row.grant.id: row for row in accesses_of(student).grants}
    assert rows[new.id].applies and not rows[old.id].applies
    plans.remove_access(factory.platform_admin(), new, reason="back")
    rows = {row.grant.id: row for row in accesses_of(student).grants}
    assert rows[old.id].applies and not rows[new.id].applies


def test_the_card_counts_progress_over_the_grants_courses(db, factory, student):
    first, second = factory.course(), factory.course()
    product, offer = factory.product(first, second)
    grant = factory.grant(student, product, offer)
    enrolment = next(e for e in grant.enrolments if e.course_id == first.id)
    db.session.add(LessonProgress(enrolment_id=enrolment.id, lesson_id=first.lessons[0].id))
    db.session.flush()
    [row] = accesses_of(student).grants
    assert (row.progress.done, row.progress.total, row.progress.percent) == (1, 6, 16)


def test_a_partners_paid_enrolment_without_a_grant_is_on_the_card(db, factory):
    from app.services.enrolment import enrol as enrol_svc

    partner = factory.partner(credits=100)
    student = factory.student(partner)
    course = factory.course()
    enrol_svc.enrol_student(factory.platform_admin(), partner, student, course)
    accesses = accesses_of(student)
    assert accesses.grants == [] and [row.enrolment.course_id for row in accesses.paid] == [course.id]
