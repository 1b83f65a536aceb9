"""A whitelabel partner's own courses: create, lessons (add/edit/reorder/delete), free enrolment, isolation."""

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Course, Enrolment, Lesson, LessonProgress, Role, WalletEntry
from app.services.catalog import own_courses as svc
from app.services.catalog.pricing import CourseNotShared, catalog_for, price_for
from app.services.enrolment.enrol import enrol_student
from app.services.ledger.wallets import wallet_of
from tests.conftest import csrf_token
from app.services.catalog import pricing

HX = {"HX-Request": "true"}


@pytest.fixture
def wl_partner(factory):
    return factory.partner(name="Own Courses WL", kind="whitelabel", domain="own.example.com")


@pytest.fixture
def admin(login_as, factory, wl_partner):
    return login_as(user=factory.user(Role.PARTNER_ADMIN, partner=wl_partner))


def post(client, path, headers=None, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, "/partner/own-courses"), **data},
                       headers=headers or {})


def lessons_of(db, course):
    db.session.expire_all()
    return db.session.execute(
        sa.select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.position)
    ).scalars().all()


def titles(db, course):
    return [(lesson.position, lesson.title) for lesson in lessons_of(db, course)]


def events(db, action):
    return db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == action)).scalars().all()


@pytest.fixture
def course(db, admin, wl_partner):
    course = svc.create_own_course(admin, wl_partner, "Onboarding", "How we work.")
    for title in ("Welcome", "Tools", "Wrap-up"):
        svc.add_lesson(admin, wl_partner, course, title)
    return course


def base(course):
    return f"/partner/own-courses/{course.id}"


# --- create and edit a course -----------------------------------------------------------


def test_a_whitelabel_admin_creates_a_course(client, db, admin, wl_partner):
    assert "My courses" in client.get("/partner/").get_data(as_text=True)
    response = post(client, "/partner/own-courses/new", title="  First   steps ", description="Basics.")
    assert response.status_code == 302
    course = db.session.execute(sa.select(Course).where(Course.owner_partner_id == wl_partner.id)).scalar_one()
    assert response.headers["Location"] == f"/partner/own-courses/{course.id}"
    assert (course.title, course.description, course.value_per_enrolment, course.assign_to_all_partners) == (
        "First steps", "Basics.", 0, False)
    [event] = events(db, "own_course.created")
    assert (event.partner_id, event.actor_id, event.object_id) == (wl_partner.id, admin.id, course.id)
    listing = client.get("/partner/own-courses").get_data(as_text=True)
    assert "First steps" in listing


def test_create_by_htmx_redirects_on_the_client(client, db, admin):
    response = post(client, "/partner/own-courses/new", headers=HX, title="By htmx", description="")
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith("/partner/own-courses/")


def test_edit_a_course(client, db, admin, course):
    response = post(client, f"{base(course)}/edit", title="Onboarding 2", description="New text.")
    assert response.status_code == 302
    db.session.expire_all()
    assert (course.title, course.description) == ("Onboarding 2", "New text.")
    [event] = events(db, "own_course.updated")
    assert event.details["changed"] == ["description", "title"] and event.partner_id == course.owner_partner_id


@pytest.mark.parametrize("data, message", [
    ({"title": ""}, "This field is required."),
    ({"title": "   "}, "This field is required."),
    ({"title": "x" * 201}, "Field cannot be longer than 200 characters."),
    ({"title": "Fine", "description": "d" * 5001}, "Field cannot be longer than 5000 characters."),
])
def test_bad_course_input_is_refused_with_a_message(client, db, admin, wl_partner, data, message):
    data.setdefault("description", "")
    for headers in (None, HX):
        response = post(client, "/partner/own-courses/new", headers=headers, **data)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert svc.own_courses_of(wl_partner) == []


def test_bad_course_edit_is_refused(client, db, admin, course):
    response = post(client, f"{base(course)}/edit", title="", description="")
    assert response.status_code == 422 and "This field is required." in response.get_data(as_text=True)
    db.session.expire_all()
    assert course.title == "Onboarding"


# --- lessons ------------------------------------------------------------------------------


def test_add_lessons_without_and_with_htmx(client, db, admin, course):
    response = post(client, f"{base(course)}/lessons", title="Homework day", body="Do this.",
                    has_homework="y")
    assert response.status_code == 302 and response.headers["Location"].startswith(base(course) + "#lesson-")
    response = post(client, f"{base(course)}/lessons", headers=HX, title="Checkpoint", is_checkpoint="y")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="lessons"' in html and "Checkpoint" in html
    assert "<html" not in html  # a fragment
    lessons = lessons_of(db, course)
    assert [(lesson.position, lesson.title, lesson.has_homework, lesson.is_checkpoint) for lesson in lessons] == [
        (1, "Welcome", False, False), (2, "Tools", False, False), (3, "Wrap-up", False, False),
        (4, "Homework day", True, False), (5, "Checkpoint", False, True)]
    assert lessons[3].body == "Do this."
    assert {e.details["title"] for e in events(db, "lesson.added")} >= {"Homework day", "Checkpoint"}
    assert all(e.partner_id == course.owner_partner_id for e in events(db, "lesson.added"))


@pytest.mark.parametrize("data, message", [
    ({"title": ""}, "This field is required."),
    ({"title": "t" * 201}, "Field cannot be longer than 200 characters."),
    ({"title": "ok", "body": "b" * (svc.BODY_MAX + 1)}, f"Field cannot be longer than {svc.BODY_MAX} characters."),
])
def test_bad_lesson_input_is_refused_with_a_message(client, db, admin, course, data, message):
    for headers in (None, HX):
        response = post(client, f"{base(course)}/lessons", headers=headers, **data)
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and message in html
        assert 'id="lessons"' in html
    assert len(lessons_of(db, course)) == 3


def test_the_course_page_lists_lessons_in_order(client, db, admin, course):
    html = client.get(base(course)).get_data(as_text=True)
    assert html.index("Welcome") < html.index("Tools") < html.index("Wrap-up")
    assert "Add a lesson" in html and "<html" in html
    fragment = client.get(base(course), headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and 'id="lessons"' in fragment


def test_reorder_lessons(client, db, admin, course):
    wrap_up = lessons_of(db, course)[2]
    response = post(client, f"{base(course)}/lessons/{wrap_up.id}/move", direction="up")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#lesson-{wrap_up.id}")
    assert titles(db, course) == [(1, "Welcome"), (2, "Wrap-up"), (3, "Tools")]
    response = post(client, f"{base(course)}/lessons/{wrap_up.id}/move", headers=HX, direction="up")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.index("Wrap-up") < html.index("Welcome") < html.index("Tools")
    assert titles(db, course) == [(1, "Wrap-up"), (2, "Welcome"), (3, "Tools")]
    # Already first: nothing changes, nothing fails.
    assert post(client, f"{base(course)}/lessons/{wrap_up.id}/move", direction="up").status_code == 302
    assert titles(db, course) == [(1, "Wrap-up"), (2, "Welcome"), (3, "Tools")]
    post(client, f"{base(course)}/lessons/{wrap_up.id}/move", direction="down")
    assert titles(db, course) == [(1, "Welcome"), (2, "Wrap-up"), (3, "Tools")]
    moved = events(db, "lesson.moved")
    assert len(moved) == 3 and (moved[0].details["before"], moved[0].details["after"]) == (3, 2)


def test_a_bad_move_direction_is_refused(client, db, admin, course):
    lesson = lessons_of(db, course)[0]
    response = post(client, f"{base(course)}/lessons/{lesson.id}/move", direction="sideways")
    assert response.status_code == 422 and "Move a lesson up or down." in response.get_data(as_text=True)
    assert titles(db, course) == [(1, "Welcome"), (2, "Tools"), (3, "Wrap-up")]


def test_edit_a_lesson_on_its_page_and_inline(client, db, admin, course):
    lesson = lessons_of(db, course)[1]
    url = f"{base(course)}/lessons/{lesson.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert "<html" in page and 'value="Tools"' in page
    inline = client.get(url, headers=HX).get_data(as_text=True)
    assert inline.lstrip().startswith(f'<li class="list-group-item" id="lesson-{lesson.id}">')

    prefix = f"lesson-{lesson.id}-"
    response = post(client, url, **{prefix + "title": "Tools and tricks", prefix + "body": "Use them.",
                                    prefix + "is_checkpoint": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (lesson.title, lesson.body, lesson.has_homework, lesson.is_checkpoint) == (
        "Tools and tricks", "Use them.", False, True)

    response = post(client, url, headers=HX, **{prefix + "title": "Tools", prefix + "has_homework": "y"})
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#lessons" and 'id="lessons"' in response.get_data(as_text=True)
    db.session.expire_all()
    # A field left out of the post keeps its value; an unticked box is off.
    assert (lesson.title, lesson.body, lesson.has_homework, lesson.is_checkpoint) == ("Tools", "Use them.", True, False)
    assert [e.details["changed"] for e in events(db, "lesson.updated")] == [
        ["body", "is_checkpoint", "title"], ["has_homework", "is_checkpoint", "title"]]

    refused = post(client, url, headers=HX, **{prefix + "title": ""})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "This field is required." in html and f'id="lesson-{lesson.id}"' in html


def test_delete_a_lesson_closes_the_gap(client, db, admin, course):
    tools = lessons_of(db, course)[1]
    confirm = client.get(f"{base(course)}/lessons/{tools.id}/delete")
    assert confirm.status_code == 200 and "Delete this lesson?" in confirm.get_data(as_text=True)
    assert titles(db, course) == [(1, "Welcome"), (2, "Tools"), (3, "Wrap-up")]  # GET changes nothing
    response = post(client, f"{base(course)}/lessons/{tools.id}/delete")
    assert response.status_code == 302
    assert titles(db, course) == [(1, "Welcome"), (2, "Wrap-up")]
    [event] = events(db, "lesson.deleted")
    assert event.object_id == tools.id and event.details["title"] == "Tools" and event.partner_id == course.owner_partner_id
    first = lessons_of(db, course)[0]
    response = post(client, f"{base(course)}/lessons/{first.id}/delete", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and f'id="lesson-{first.id}"' not in html and "Lesson Welcome deleted." in html
    assert titles(db, course) == [(1, "Wrap-up")]


def test_a_lesson_with_progress_cannot_be_deleted(client, db, factory, admin, wl_partner, course):
    student = factory.student(wl_partner)
    enrolment = enrol_student(admin, wl_partner, student, course)
    tools = lessons_of(db, course)[1]
    db.session.add(LessonProgress(enrolment_id=enrolment.id, lesson_id=tools.id))
    db.session.flush()
    page = client.get(base(course)).get_data(as_text=True)
    assert "it can be edited, not deleted" in page
    for headers in (None, HX):
        response = post(client, f"{base(course)}/lessons/{tools.id}/delete", headers=headers)
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "cannot be deleted: participants have already completed it" in html
    assert titles(db, course) == [(1, "Welcome"), (2, "Tools"), (3, "Wrap-up")]
    assert events(db, "lesson.deleted") == []
    with pytest.raises(svc.LessonHasProgress):
        svc.delete_lesson(admin, wl_partner, tools)
    # It can still be moved and edited.
    assert svc.move_lesson(admin, wl_partner, tools, "down") is True
    assert titles(db, course) == [(1, "Welcome"), (2, "Wrap-up"), (3, "Tools")]


def test_a_lesson_of_another_course_is_not_found(client, db, admin, wl_partner, course):
    other = svc.create_own_course(admin, wl_partner, "Other course")
    stray = svc.add_lesson(admin, wl_partner, other, "Stray")
    assert client.get(f"{base(course)}/lessons/{stray.id}/edit").status_code == 404
    assert post(client, f"{base(course)}/lessons/{stray.id}/move", direction="up").status_code == 404
    assert post(client, f"{base(course)}/lessons/{stray.id}/delete").status_code == 404
    assert titles(db, other) == [(1, "Stray")]


# --- free enrolment and isolation -------------------------------------------------------------


def test_enrolling_a_student_in_an_own_course_costs_nothing(db, factory, admin, wl_partner, course):
    student = factory.student(wl_partner)
    wallet = wallet_of(wl_partner)
    assert wallet.balance == 0
    enrolment = enrol_student(admin, wl_partner, student, course)
    assert enrolment.status == "active" and enrolment.credits_charged == 0 and enrolment.partner_id == wl_partner.id
    db.session.expire_all()
    assert wallet_of(wl_partner).balance == 0
    entries = db.session.execute(sa.select(WalletEntry).where(WalletEntry.wallet_id == wallet.id)).scalars().all()
    assert entries == []
    assert price_for(course, wl_partner) == 0
    assert (course, 0) in catalog_for(wl_partner)


def test_another_partner_never_sees_nor_opens_the_course(client, db, factory, login_as, admin, wl_partner, course):
    other = factory.partner(name="Rival WL", kind="whitelabel", domain="rival.example.com", credits=50)
    default = factory.partner(name="Plain", credits=50)
    for partner in (other, default):
        assert course not in [c for c, _ in catalog_for(partner)]
        assert price_for(course, partner) is None
        with pytest.raises(CourseNotShared):
            enrol_student(admin, partner, factory.student(partner), course)
    assert db.session.scalar(sa.select(sa.func.count(Enrolment.id)).where(Enrolment.course_id == course.id)) == 0
    assert svc.find_own_course(other, course.id) is None

    rival = login_as(user=factory.user(Role.PARTNER_ADMIN, partner=other))
    lesson = lessons_of(db, course)[0]
    assert client.get(base(course)).status_code == 404
    assert client.get(f"{base(course)}/edit").status_code == 404
    assert post(client, f"{base(course)}/edit", title="Hijacked", description="").status_code == 404
    assert post(client, f"{base(course)}/lessons", title="Injected").status_code == 404
    assert client.get(f"{base(course)}/lessons/{lesson.id}/edit").status_code == 404
    assert post(client, f"{base(course)}/lessons/{lesson.id}/move", direction="down").status_code == 404
    assert post(client, f"{base(course)}/lessons/{lesson.id}/delete").status_code == 404
    assert "Onboarding" not in client.get("/partner/own-courses").get_data(as_text=True)
    assert "Onboarding" not in client.get("/partner/catalog").get_data(as_text=True)
    db.session.expire_all()
    assert course.title == "Onboarding" and len(lessons_of(db, course)) == 3
    with pytest.raises(svc.NotYourCourse):
        svc.update_own_course(rival, other, course, "Hijacked")


def test_a_platform_course_is_not_an_own_course(client, db, factory, admin):
    platform_course = factory.course(title="Platform course")
    assert client.get(f"/partner/own-courses/{platform_course.id}").status_code == 404
    assert post(client, f"/partner/own-courses/{platform_course.id}/edit", title="Mine now",
                description="").status_code == 404


def test_a_default_partner_gets_403_and_no_nav_link(client, db, factory, login_as, wl_partner):
    default_admin = login_as(Role.PARTNER_ADMIN)
    assert not default_admin.partner.is_whitelabel
    assert "My courses" not in client.get("/partner/").get_data(as_text=True)
    course = svc.create_own_course(factory.platform_admin(), wl_partner, "Theirs")
    lesson = svc.add_lesson(factory.platform_admin(), wl_partner, course, "L1")
    for path in ("/partner/own-courses", "/partner/own-courses/new", base(course), f"{base(course)}/edit",
                 f"{base(course)}/lessons/{lesson.id}/edit", f"{base(course)}/lessons/{lesson.id}/delete"):
        assert client.get(path).status_code == 403, path
    token = csrf_token(client, "/partner/")
    for path in ("/partner/own-courses/new", f"{base(course)}/lessons", f"{base(course)}/lessons/{lesson.id}/move"):
        assert client.post(path, data={"csrf_token": token, "title": "x", "direction": "up"}).status_code == 403, path
    with pytest.raises(svc.NotWhitelabel):
        svc.create_own_course(default_admin, default_admin.partner, "Not allowed")


@pytest.mark.parametrize("role", [Role.STUDENT, Role.PLATFORM_ADMIN, Role.RESELLER, Role.CUSTOMER])
def test_other_roles_get_403(client, login_as, role):
    login_as(role)
    assert client.get("/partner/own-courses").status_code == 403
    assert client.get("/partner/own-courses/new").status_code == 403


def test_anonymous_users_go_to_the_login_page(client, db):
    response = client.get("/partner/own-courses")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


# --- services ------------------------------------------------------------------------------------


def test_service_validates_titles(db, factory, wl_partner):
    actor = factory.platform_admin()
    with pytest.raises(svc.OwnCourseInvalid) as refused:
        svc.create_own_course(actor, wl_partner, "  \n ")
    assert refused.value.field == "title"
    with pytest.raises(svc.OwnCourseInvalid):
        svc.create_own_course(actor, wl_partner, "x" * 201)
    course = svc.create_own_course(actor, wl_partner, "Fine")
    with pytest.raises(svc.OwnCourseInvalid) as refused:
        svc.add_lesson(actor, wl_partner, course, "ok", body="b" * (svc.BODY_MAX + 1))
    assert refused.value.field == "body"
    with pytest.raises(svc.OwnCourseInvalid):
        svc.move_lesson(actor, wl_partner, svc.add_lesson(actor, wl_partner, course, "One"), "left")


def test_moving_at_the_ends_changes_nothing(db, factory, wl_partner):
    actor = factory.platform_admin()
    course = svc.create_own_course(actor, wl_partner, "Ends")
    first = svc.add_lesson(actor, wl_partner, course, "First")
    last = svc.add_lesson(actor, wl_partner, course, "Last")
    assert svc.move_lesson(actor, wl_partner, first, "up") is False
    assert svc.move_lesson(actor, wl_partner, last, "down") is False
    assert titles(db, course) == [(1, "First"), (2, "Last")]
    assert events(db, "lesson.moved") == []


def test_a_gap_in_positions_is_healed_on_the_next_change(db, factory, wl_partner):
    actor = factory.platform_admin()
    course = svc.create_own_course(actor, wl_partner, "Gappy")
    db.session.add_all([Lesson(course_id=course.id, position=2, title="A"),
                        Lesson(course_id=course.id, position=5, title="B")])
    db.session.flush()
    svc.add_lesson(actor, wl_partner, course, "C")
    assert titles(db, course) == [(1, "A"), (2, "B"), (3, "C")]


def test_a_partner_switched_to_default_loses_its_free_own_courses(db, factory):
    partner = factory.partner(kind="whitelabel", domain="own.example.com")
    course = factory.course(value=0, assign_to_all=False, owner_partner_id=partner.id)
    assert pricing.price_for(course, partner) == 0
    partner.kind = "default"
    partner.domain = None
    assert pricing.price_for(course, partner) is None
    assert course.id not in [c.id for c, _ in pricing.catalog_for(partner)]
