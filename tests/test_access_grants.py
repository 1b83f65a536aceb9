"""Grants: one per source, one enrolment per course, revoking ends only what nothing else holds."""

from datetime import date

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Enrolment, Grant, LessonProgress, Role
from app.services import access
from app.services.access import grants as grants_svc
from app.services.access.sources import SourceInvalid
from app.services.enrolment import enrol as enrol_svc
from app.services.enrolment.progress import mark_lesson_done


@pytest.fixture
def student(factory):
    return factory.student(factory.partner())


def _enrolments(db, user):
    return db.session.execute(
        sa.select(Enrolment).where(Enrolment.user_id == user.id).order_by(Enrolment.id)).scalars().all()


def test_a_grant_makes_the_user_a_participant_of_every_course_of_the_product(db, factory, student):
    first, second = factory.course(), factory.course()
    product, offer = factory.product(first, second)
    grant = factory.grant(student, product, offer, start_date=date(2026, 3, 1))
    assert sorted(e.course_id for e in grant.enrolments) == sorted([first.id, second.id])
    assert all(e.status == "active" and e.start_date == date(2026, 3, 1) for e in grant.enrolments)


def test_the_same_source_twice_returns_the_first_grant_and_enrols_once(db, factory, student):
    product, offer = factory.product()
    first = factory.grant(student, product, offer, key="crm-1")
    again = factory.grant(student, product, offer, key="crm-1")
    assert again.id == first.id
    assert db.session.scalar(sa.select(sa.func.count(Grant.id))) == 1
    assert len(_enrolments(db, student)) == 1


def test_the_same_source_for_another_user_is_refused(db, factory, student):
    product, offer = factory.product()
    factory.grant(student, product, offer, key="crm-2")
    with pytest.raises(access.SourceAlreadyUsed) as refused:
        factory.grant(factory.student(factory.partner()), product, offer, key="crm-2")
    # Said in words (what was given, to whom), never the source's internal key.
    assert product.name in str(refused.value.message) and "crm-2" not in str(refused.value.message)


def test_a_source_lost_in_a_race_returns_the_winners_grant(db, factory, student, monkeypatch):
    """The other transaction inserted the same source between our look-up and our insert."""
    product, offer = factory.product()
    winner = factory.grant(student, product, offer, key="race")
    looked_up = []

    def looked_too_early(sources):
        looked_up.append(sources)
        return {}  # our look-up ran before the other transaction's commit

    monkeypatch.setattr(grants_svc, "_grants_by_source", looked_too_early)
    again = factory.grant(student, product, offer, key="race")
    assert again.id == winner.id and len(looked_up) == 1
    assert db.session.scalar(sa.select(sa.func.count(Grant.id))) == 1
    assert len(_enrolments(db, student)) == 1


def _asked(user, product, offer, key):
    return access.GrantAsked(user, product, offer, access.GrantSource.manual(key))


def _grant_events(db):
    return db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "grant.created")
                              .order_by(AuditEvent.id)).scalars().all()


def test_a_batch_of_grants_gives_each_user_each_course_once_in_the_order_asked(db, factory):
    shared, own_a, own_b = factory.course(), factory.course(), factory.course()
    product_a, offer_a = factory.product(own_a, shared)
    product_b, offer_b = factory.product(shared, own_b)
    ann, bob = factory.student(factory.partner()), factory.student(factory.partner())
    grants = access.grant_products(factory.platform_admin(), [
        _asked(ann, product_a, offer_a, "batch-1"), _asked(bob, product_a, offer_a, "batch-2"),
        _asked(ann, product_b, offer_b, "batch-3"),
    ], start_date=date(2026, 5, 4))
    assert [(g.user_id, g.product_id, g.source_id) for g in grants] == [
        (ann.id, product_a.id, "batch-1"), (bob.id, product_a.id, "batch-2"), (ann.id, product_b.id, "batch-3")]
    # Ann holds the shared course through both grants: one enrolment, linked to each.
    assert sorted(e.course_id for e in _enrolments(db, ann)) == sorted([own_a.id, shared.id, own_b.id])
    assert sorted(e.course_id for e in _enrolments(db, bob)) == sorted([own_a.id, shared.id])
    ann_shared = next(e for e in _enrolments(db, ann) if e.course_id == shared.id)
    assert ann_shared in grants[0].enrolments and ann_shared in grants[2].enrolments
    assert all(e.start_date == date(2026, 5, 4) for e in _enrolments(db, ann) + _enrolments(db, bob))
    # One event per grant, in order, listing its enrolments in the order of its product's courses.
    by_course = {(e.user_id, e.course_id): e.id for e in _enrolments(db, ann) + _enrolments(db, bob)}
    assert [(e.object_id, e.details["source"], e.details["enrolments"]) for e in _grant_events(db)] == [
        (g.id, f"manual:{g.source_id}", [by_course[(g.user_id, c.id)] for c in g.product.courses]) for g in grants]


def test_a_batch_starts_today_links_a_current_enrolment_and_reactivates_ended_ones(db, factory):
    course = factory.course(value=10)
    product, offer = factory.product(course)
    partner = factory.partner(credits=50)
    paid, returning, also_returning = (factory.student(partner) for _ in range(3))
    enrol_svc.enrol_student(factory.user(Role.PARTNER_ADMIN, partner=partner), partner, paid, course)
    for user in (returning, also_returning):
        access.revoke_grant(None, factory.grant(user, product, offer))
    ended = {e.user_id: e.id for e in _enrolments(db, returning) + _enrolments(db, also_returning)}
    assert all(e.status == "ended" for e in _enrolments(db, returning) + _enrolments(db, also_returning))
    access.grant_products(None, [_asked(user, product, offer, f"again-{user.id}")
                                 for user in (paid, returning, also_returning)])
    assert [(e.status, e.partner_id) for e in _enrolments(db, paid)] == [("active", paid.partner_id)]
    for user in (returning, also_returning):
        (enrolment,) = _enrolments(db, user)
        assert (enrolment.id, enrolment.status, enrolment.start_date) == (ended[user.id], "active", access.today())


def test_a_batch_asking_a_source_twice_gives_its_first_grant(db, factory, student):
    product, offer = factory.product()
    first, again = access.grant_products(factory.platform_admin(), [
        _asked(student, product, offer, "twice"), _asked(student, product, offer, "twice")])
    assert first.id == again.id
    assert db.session.scalar(sa.select(sa.func.count(Grant.id))) == 1


def test_a_batch_asking_a_source_for_two_users_is_refused_before_anything_is_written(db, factory):
    product, offer = factory.product()
    ann, bob = factory.student(factory.partner()), factory.student(factory.partner())
    with pytest.raises(access.SourceAlreadyUsed):
        access.grant_products(factory.platform_admin(), [
            _asked(ann, product, offer, "one"), _asked(bob, product, offer, "one")])
    assert db.session.scalar(sa.select(sa.func.count(Grant.id))) == 0
    assert _enrolments(db, ann) == [] and _grant_events(db) == []


def test_a_batch_whose_source_was_taken_meanwhile_grants_the_others_and_returns_the_winner(
        db, factory, monkeypatch):
    product, offer = factory.product()
    ann, bob, cy = (factory.student(factory.partner()) for _ in range(3))
    winner = factory.grant(bob, product, offer, key="taken")
    monkeypatch.setattr(grants_svc, "_grants_by_source", lambda sources: {})  # looked up before its commit
    grants = access.grant_products(factory.platform_admin(), [
        _asked(ann, product, offer, "free-1"), _asked(bob, product, offer, "taken"),
        _asked(cy, product, offer, "free-2")])
    assert grants[1].id == winner.id
    assert {g.source_id for g in (grants[0], grants[2])} == {"free-1", "free-2"}
    assert db.session.scalar(sa.select(sa.func.count(Grant.id))) == 3
    assert [len(_enrolments(db, user)) for user in (ann, bob, cy)] == [1, 1, 1]
    assert sorted(e.object_id for e in _grant_events(db)) == sorted(g.id for g in grants)


def test_a_batch_whose_source_was_taken_meanwhile_for_someone_else_keeps_nothing(db, factory, monkeypatch):
    product, offer = factory.product()
    ann, bob, cy = (factory.student(factory.partner()) for _ in range(3))
    factory.grant(bob, product, offer, key="bob's")
    monkeypatch.setattr(grants_svc, "_grants_by_source", lambda sources: {})  # looked up before its commit
    with pytest.raises(access.SourceAlreadyUsed):
        access.grant_products(factory.platform_admin(), [
            _asked(ann, product, offer, "free"), _asked(cy, product, offer, "bob's")])
    assert db.session.scalar(sa.select(sa.func.count(Grant.id))) == 1
    assert _enrolments(db, ann) == [] and _enrolments(db, cy) == [] and len(_grant_events(db)) == 1


def test_a_batch_with_a_source_used_for_someone_else_is_refused_before_anything_is_written(db, factory):
    product, offer = factory.product()
    ann, bob = factory.student(factory.partner()), factory.student(factory.partner())
    factory.grant(bob, product, offer, key="bob's")
    with pytest.raises(access.SourceAlreadyUsed):
        access.grant_products(factory.platform_admin(), [
            _asked(ann, product, offer, "ann's"), _asked(ann, product, offer, "bob's")])
    assert db.session.scalar(sa.select(sa.func.count(Grant.id))) == 1
    assert _enrolments(db, ann) == [] and len(_grant_events(db)) == 1


def test_the_database_refuses_two_grants_of_one_source(db, factory, student):
    product, offer = factory.product()
    factory.grant(student, product, offer, key="dup")
    with pytest.raises(sa.exc.IntegrityError):
        with db.session.begin_nested():
            db.session.add(Grant(user_id=student.id, product_id=product.id, offer_id=offer.id,
                                 source_kind="manual", source_id="dup", start_date=date(2026, 1, 1)))
            db.session.flush()


def test_a_source_needs_a_known_kind_and_an_id():
    with pytest.raises(SourceInvalid):
        access.GrantSource("gift", "1")
    with pytest.raises(SourceInvalid):
        access.GrantSource.manual("  ")
    assert str(access.GrantSource.order_line(7)) == "order_line:7"


def test_a_second_way_in_links_to_the_existing_enrolment(db, factory, student):
    course = factory.course()
    product_a, offer_a = factory.product(course)
    product_b, offer_b = factory.product(course, factory.course())
    a = factory.grant(student, product_a, offer_a)
    b = factory.grant(student, product_b, offer_b)
    shared = [e for e in b.enrolments if e.course_id == course.id][0]
    assert shared.id == a.enrolments[0].id
    assert len(_enrolments(db, student)) == 2


def test_revoking_ends_the_enrolments_and_keeps_their_progress(db, factory, student):
    product, offer = factory.product()
    grant = factory.grant(student, product, offer)
    enrolment = grant.enrolments[0]
    mark_lesson_done(student, enrolment, enrolment.course.lessons[0])
    ended = access.revoke_grant(factory.platform_admin(), grant)
    assert ended == [enrolment] and enrolment.status == "ended" and grant.status == "revoked"
    assert db.session.scalar(sa.select(sa.func.count()).where(LessonProgress.enrolment_id == enrolment.id)) == 1


def test_a_later_grant_finds_the_ended_enrolment_and_its_progress_again(db, factory, student):
    product, offer = factory.product()
    grant = factory.grant(student, product, offer)
    enrolment = grant.enrolments[0]
    mark_lesson_done(student, enrolment, enrolment.course.lessons[0])
    access.revoke_grant(None, grant)
    again = factory.grant(student, product, offer)
    assert again.enrolments == [enrolment] and enrolment.status == "active"
    assert access.lesson_states(enrolment)[0].state == access.State.DONE


def test_revoking_keeps_an_enrolment_another_grant_holds(db, factory, student):
    course = factory.course()
    product_a, offer_a = factory.product(course)
    product_b, offer_b = factory.product(course)
    a = factory.grant(student, product_a, offer_a)
    factory.grant(student, product_b, offer_b)
    assert access.revoke_grant(None, a) == []
    assert a.enrolments[0].status == "active"


def test_revoking_keeps_an_enrolment_a_partner_paid_for(db, factory):
    partner = factory.partner(credits=50)
    admin = factory.user(Role.PARTNER_ADMIN, partner=partner)
    student = factory.student(partner)
    course = factory.course(value=10)
    paid = enrol_svc.enrol_student(admin, partner, student, course)
    product, offer = factory.product(course)
    grant = factory.grant(student, product, offer)
    assert grant.enrolments == [paid]
    assert access.revoke_grant(None, grant) == []
    assert paid.status == "active"


def test_revoking_twice_changes_nothing(db, factory, student):
    product, offer = factory.product()
    grant = factory.grant(student, product, offer)
    access.revoke_grant(None, grant)
    assert access.revoke_grant(None, grant) == []


def test_a_partner_cannot_charge_for_a_course_a_grant_already_gives(db, factory):
    partner = factory.partner(credits=50)
    admin = factory.user(Role.PARTNER_ADMIN, partner=partner)
    student = factory.student(partner)
    course = factory.course(value=10)
    product, offer = factory.product(course)
    factory.grant(student, product, offer)
    with pytest.raises(enrol_svc.AlreadyEnrolled):
        enrol_svc.enrol_student(admin, partner, student, course)
    assert partner.wallet.balance == 50


def test_a_partner_cancelling_an_enrolment_a_grant_also_holds_keeps_the_participation(db, factory):
    partner = factory.partner(credits=50)
    admin = factory.user(Role.PARTNER_ADMIN, partner=partner)
    student = factory.student(partner)
    course = factory.course(value=10)
    paid = enrol_svc.enrol_student(admin, partner, student, course)
    product, offer = factory.product(course)
    factory.grant(student, product, offer)
    enrol_svc.cancel_enrolment(admin, partner, paid)
    assert paid.status == "active" and paid.partner_id is None
    assert partner.wallet.balance == 50  # refunded


def test_the_partner_enrolment_goes_through_the_participation_function(db, factory, monkeypatch):
    from app.services.access import participation

    partner = factory.partner(credits=50)
    admin = factory.user(Role.PARTNER_ADMIN, partner=partner)
    student = factory.student(partner)
    calls = []
    real = participation.join_course
    monkeypatch.setattr(participation, "join_course", lambda *a, **k: calls.append(k) or real(*a, **k))
    enrolment = enrol_svc.enrol_student(admin, partner, student, factory.course(value=10))
    assert calls and calls[0]["partner"] is partner and calls[0]["credits"] == 10
    assert enrolment.partner_id == partner.id and enrolment.credits_charged == 10


@pytest.mark.parametrize("problem", ["no_course", "other_offer", "one_off"])
def test_a_grant_that_cannot_give_courses_is_refused(db, factory, student, problem):
    product, offer = factory.product()
    if problem == "no_course":
        product.courses = []
    elif problem == "other_offer":
        offer = factory.product()[1]
    else:
        product.kind = "one_off"
    db.session.flush()
    with pytest.raises(access.GrantRefused):
        factory.grant(student, product, offer)
    assert db.session.scalar(sa.select(sa.func.count(Grant.id))) == 0


def test_a_grant_starts_today_in_the_platform_time_zone_by_default(db, factory, student, monkeypatch):
    from app.services.access import participation

    monkeypatch.setattr(participation, "today", lambda now=None: date(2026, 7, 4))
    product, offer = factory.product()
    assert factory.grant(student, product, offer).start_date == date(2026, 7, 4)


def test_revoking_says_first_which_enrolments_it_would_end(db, factory, student):
    shared, own = factory.course(), factory.course()
    product, offer = factory.product(shared, own)
    other_product, other_offer = factory.product(shared)
    grant = factory.grant(student, product, offer)
    factory.grant(student, other_product, other_offer)
    ending = access.enrolments_ending_with(grant)
    assert [e.course_id for e in ending] == [own.id]
    assert [e.course_id for e in access.revoke_grant(None, grant)] == [own.id]
    assert access.enrolments_ending_with(grant) == []


def test_a_revocation_and_a_manual_grant_keep_their_reason_in_the_audit_trail(db, factory, student):
    from app.models import AuditEvent

    product, offer = factory.product()
    grant = access.grant_product(None, student, product, offer, source=access.GrantSource.manual("why-1"),
                                 reason="upgrade asked by phone")
    access.revoke_grant(None, grant, reason="refunded")
    events = db.session.execute(sa.select(AuditEvent).where(AuditEvent.object_type == "Grant",
                                                            AuditEvent.object_id == grant.id)
                                .order_by(AuditEvent.id)).scalars().all()
    assert [(e.action, e.details["reason"]) for e in events] == [
        ("grant.created", "upgrade asked by phone"), ("grant.revoked", "refunded")]
