"""The student's member area: courses and lessons as THE resolver decides, homework, isolation."""

import io
import re
import zipfile
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings, strategies as st

from app.models import HomeworkSubmission, LessonProgress, Role
from app.services import access
from app.services.access import participation
from app.services.enrolment import homework
from tests.conftest import csrf_token, login

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


@pytest.fixture
def student(factory):
    return factory.student(factory.partner())


@pytest.fixture
def today(monkeypatch):
    """Pin the platform's day so delays are predictable."""
    day = date(2026, 3, 2)
    monkeypatch.setattr(participation, "today", lambda now=None: day)
    return day


def _grant(factory, db, student, start, checkpoint=None, homework_at=None, **offer):
    course = factory.course(title="Drip course")
    for lesson in course.lessons:
        lesson.is_checkpoint = lesson.position == checkpoint
        lesson.has_homework = lesson.position == homework_at
    db.session.flush()
    product, offer_row = factory.product(course, **offer)
    return factory.grant(student, product, offer_row, start_date=start).enrolments[0]


def _page_states(client, enrolment):
    html = client.get(f"/member/courses/{enrolment.id}").get_data(as_text=True)
    return re.findall(r'id="lesson-\d+" data-state="(\w+)"', html), html


def test_the_course_page_shows_each_lessons_state_and_date(client, db, factory, student, today):
    enrolment = _grant(factory, db, student, today, checkpoint=1, release_delays=[0, 0, 7],
                       checkpoints_enabled=True, lessons_available=None)
    login(client, student.email)
    states, html = _page_states(client, enrolment)
    assert states == ["open", "locked", "locked"]
    assert "Locked: complete “Lesson 1” first" in html


def test_a_scheduled_lesson_opened_by_url_answers_its_date_not_its_content(client, db, factory, student, today):
    enrolment = _grant(factory, db, student, today, release_delays=[0, 7])
    lesson = enrolment.course.lessons[1]
    lesson.body = "SECRET CONTENT"
    login(client, student.email)
    response = client.get(f"/member/courses/{enrolment.id}/lessons/{lesson.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "This lesson opens on March 9, 2026." in html and "SECRET CONTENT" not in html


def test_an_open_lesson_shows_its_content_and_video(client, db, factory, student, today):
    enrolment = _grant(factory, db, student, today)
    lesson = enrolment.course.lessons[0]
    lesson.body, lesson.video_url = "Read this.", "https://video.example.com/intro"
    login(client, student.email)
    html = client.get(f"/member/courses/{enrolment.id}/lessons/{lesson.id}").get_data(as_text=True)
    assert "Read this." in html and 'href="https://video.example.com/intro"' in html and "Mark as done" in html


def test_marking_a_locked_lesson_is_refused_with_the_reason(client, db, factory, student, today):
    enrolment = _grant(factory, db, student, today, checkpoint=1, checkpoints_enabled=True)
    login(client, student.email)
    token = csrf_token(client, f"/member/courses/{enrolment.id}")
    lesson = enrolment.course.lessons[2]
    response = client.post(f"/member/courses/{enrolment.id}/lessons/{lesson.id}/done", data={"csrf_token": token})
    assert response.status_code == 403 and "Complete the checkpoint" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(LessonProgress.id))) == 0


def test_an_ended_enrolment_is_gone_from_the_member_area(client, db, factory, student, today):
    enrolment = _grant(factory, db, student, today)
    access.revoke_grant(None, access.grants_of(student)[0])
    login(client, student.email)
    assert "Drip course" not in client.get("/member/").get_data(as_text=True)
    assert client.get(f"/member/courses/{enrolment.id}").status_code == 404


def test_another_students_lesson_is_not_found(client, db, factory, student, today):
    enrolment = _grant(factory, db, student, today)
    intruder = factory.student(factory.partner())
    login(client, intruder.email)
    lesson = enrolment.course.lessons[0]
    assert client.get(f"/member/courses/{enrolment.id}/lessons/{lesson.id}").status_code == 404


def test_a_lesson_of_another_course_is_not_found(client, db, factory, student, today):
    enrolment = _grant(factory, db, student, today)
    stray = factory.course().lessons[0]
    login(client, student.email)
    assert client.get(f"/member/courses/{enrolment.id}/lessons/{stray.id}").status_code == 404


# --- homework ---------------------------------------------------------------------------------


def _hand_in(client, enrolment, lesson, **data):
    token = csrf_token(client, f"/member/courses/{enrolment.id}/lessons/{lesson.id}")
    return client.post(f"/member/courses/{enrolment.id}/lessons/{lesson.id}/homework",
                       data={"csrf_token": token, **data}, content_type="multipart/form-data")


def test_automatic_review_accepts_homework_at_once(client, db, factory, student, today):
    enrolment = _grant(factory, db, student, today, homework_at=1, review_method="automatic")
    lesson = enrolment.course.lessons[0]
    login(client, student.email)
    assert _hand_in(client, enrolment, lesson, text="My answer").status_code == 302
    assert access.lesson_states(enrolment)[0].state == access.State.DONE


def test_teacher_review_queues_it_and_the_admin_sends_it_back_with_a_comment(client, db, factory, student, today):
    enrolment = _grant(factory, db, student, today, homework_at=1, review_method="teacher")
    lesson = enrolment.course.lessons[0]
    login(client, student.email)
    _hand_in(client, enrolment, lesson, file=(io.BytesIO(PDF), "essay.pdf"))
    submission = db.session.execute(sa.select(HomeworkSubmission)).scalar_one()
    assert submission.status == "pending" and submission.content_type == "application/pdf"
    admin = factory.platform_admin()
    admin_client = client.application.test_client()
    login(admin_client, admin.email)
    assert "essay.pdf" in admin_client.get("/platform/reviews").get_data(as_text=True)
    token = csrf_token(admin_client, "/platform/reviews")
    response = admin_client.post(f"/platform/reviews/{submission.id}/return",
                                 data={"csrf_token": token, f"s{submission.id}-comment": "Add a conclusion."})
    assert response.status_code == 302
    html = client.get(f"/member/courses/{enrolment.id}/lessons/{lesson.id}").get_data(as_text=True)
    assert "Add a conclusion." in html and 'id="homework-form"' in html


def test_a_checkpoint_with_homework_opens_the_next_lesson_only_once_accepted(client, db, factory, student, today):
    enrolment = _grant(factory, db, student, today, checkpoint=1, homework_at=1, review_method="teacher",
                       checkpoints_enabled=True)
    lesson = enrolment.course.lessons[0]
    login(client, student.email)
    _hand_in(client, enrolment, lesson, text="Done it")
    assert _page_states(client, enrolment)[0] == ["open", "locked", "locked"]
    submission = db.session.execute(sa.select(HomeworkSubmission)).scalar_one()
    homework.accept_homework(factory.platform_admin(), submission)
    assert _page_states(client, enrolment)[0] == ["done", "open", "open"]


def test_no_review_method_asks_no_homework(client, db, factory, student, today):
    enrolment = _grant(factory, db, student, today, homework_at=1, review_method="none")
    lesson = enrolment.course.lessons[0]
    login(client, student.email)
    html = client.get(f"/member/courses/{enrolment.id}/lessons/{lesson.id}").get_data(as_text=True)
    assert 'id="homework-form"' not in html and "Mark as done" in html
    assert _hand_in(client, enrolment, lesson, text="x").status_code == 422


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize("name, data, ok", [
    ("a.pdf", PDF, True),
    ("a.png", PNG, True),
    ("a.docx", _docx(), True),
    ("a.pdf", b"<html><script>alert(1)</script></html>", False),  # HTML named .pdf
    ("a.docx", b"PK\x03\x04not a zip", False),
    ("a.exe", b"MZ\x90\x00", False),
    ("a.xlsx", _docx(), False),  # a Word file named as a spreadsheet
])
def test_homework_files_are_recognised_by_their_bytes(name, data, ok):
    assert (homework.file_kind(name, data) is not None) is ok


def test_a_file_of_the_wrong_type_or_too_large_is_refused_in_place(client, db, factory, student, today, app,
                                                                    monkeypatch):
    enrolment = _grant(factory, db, student, today, homework_at=1, review_method="teacher")
    lesson = enrolment.course.lessons[0]
    login(client, student.email)
    response = _hand_in(client, enrolment, lesson, file=(io.BytesIO(b"<html>"), "x.pdf"))
    assert response.status_code == 422 and "Send a PDF, an image" in response.get_data(as_text=True)
    monkeypatch.setitem(app.config, "HOMEWORK_MAX_BYTES", 1024 * 1024)
    response = _hand_in(client, enrolment, lesson, file=(io.BytesIO(PDF + b"0" * 1024 * 1024), "big.pdf"))
    assert response.status_code == 422 and "larger than 1 MB" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(HomeworkSubmission.id))) == 0


def test_a_homework_file_is_served_to_its_owner_and_admins_as_an_attachment_only(client, db, factory, student,
                                                                                  today):
    enrolment = _grant(factory, db, student, today, homework_at=1, review_method="teacher")
    login(client, student.email)
    _hand_in(client, enrolment, enrolment.course.lessons[0], file=(io.BytesIO(PNG), "../../etc/photo.png"))
    submission = db.session.execute(sa.select(HomeworkSubmission)).scalar_one()
    own = client.get(f"/member/homework/{submission.id}/file")
    assert own.status_code == 200 and own.mimetype == "image/png" and own.data == PNG
    assert own.headers["Content-Disposition"].startswith("attachment") and "photo.png" in own.headers[
        "Content-Disposition"] and ".." not in own.headers["Content-Disposition"]
    assert own.headers["X-Content-Type-Options"] == "nosniff"
    assert homework.stored_path(submission).parent.name == "homework"
    other = client.application.test_client()
    login(other, factory.student(factory.partner()).email)
    assert other.get(f"/member/homework/{submission.id}/file").status_code == 404
    admin = client.application.test_client()
    login(admin, factory.platform_admin().email)
    assert admin.get(f"/platform/homework/{submission.id}/file").status_code == 200


def test_completing_every_lesson_issues_the_certificate(client, db, factory, student, today):
    enrolment = _grant(factory, db, student, today, homework_at=3, review_method="automatic")
    login(client, student.email)
    token = csrf_token(client, f"/member/courses/{enrolment.id}")
    for lesson in enrolment.course.lessons[:2]:
        client.post(f"/member/courses/{enrolment.id}/lessons/{lesson.id}/done", data={"csrf_token": token})
    _hand_in(client, enrolment, enrolment.course.lessons[2], text="Final answer")
    assert enrolment.status == "completed" and enrolment.certificate is not None
    assert client.get(f"/member/certificates/{enrolment.id}.pdf").status_code == 200


def test_my_courses_are_paginated_with_constant_queries(client, db, factory, student, app):
    from tests.querycount import count_queries

    for _ in range(25):
        product, offer = factory.product(factory.course())
        factory.grant(student, product, offer)
    login(client, student.email)
    counts = []
    for page in (1, 2):
        with count_queries(app) as queries:
            assert client.get(f"/member/?page={page}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- the page, the URL guard and the resolver always agree ------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    delays=st.lists(st.integers(0, 20), max_size=4).map(sorted),
    available=st.one_of(st.none(), st.integers(1, 4)),
    checkpoints=st.sets(st.integers(1, 4), max_size=2),
    checkpoints_on=st.booleans(),
    done=st.sets(st.integers(1, 4), max_size=4),
    remove_delays=st.booleans(),
    day=st.integers(-1, 25),
)
def test_the_page_the_url_guard_and_the_resolver_always_agree(
        client, db, factory, delays, available, checkpoints, checkpoints_on, done, remove_delays, day):
    from app.models import Lesson

    student = factory.student(factory.partner())
    course = factory.course()
    db.session.add(Lesson(course_id=course.id, position=4, title="Lesson 4"))
    db.session.flush()
    db.session.expire(course, ["lessons"])
    for lesson in course.lessons:
        lesson.is_checkpoint = lesson.position in checkpoints
    product, offer = factory.product(course, release_delays=delays, lessons_available=available,
                                     checkpoints_enabled=checkpoints_on)
    start = participation.today() - timedelta(days=day)
    grant = factory.grant(student, product, offer, start_date=start)
    if remove_delays:
        access.override_settings(None, grant, {access.Field.REMOVE_DELAYS: True}, reason="property")
    enrolment = grant.enrolments[0]
    for lesson in course.lessons:
        if lesson.position in done:
            db.session.add(LessonProgress(enrolment_id=enrolment.id, lesson_id=lesson.id))
    db.session.flush()

    resolved = access.lesson_states(enrolment)
    login(client, student.email)
    page, _html = _page_states(client, enrolment)
    assert page == [item.state.value for item in resolved]
    for item in resolved:
        response = client.get(f"/member/courses/{enrolment.id}/lessons/{item.lesson.id}")
        assert (response.status_code == 200) is item.may_open
        body = response.get_data(as_text=True)
        assert ('id="lesson-content"' in body) is item.may_open
        assert ('id="lesson-not-open"' in body) is (not item.may_open)


def test_a_request_larger_than_any_upload_is_refused_with_a_page_not_a_crash(client, db, factory, student, today,
                                                                           app):
    enrolment = _grant(factory, db, student, today, homework_at=1, review_method="teacher")
    login(client, student.email)
    big = b"%PDF-" + b"0" * (app.config["MAX_CONTENT_LENGTH"] + 10)
    response = _hand_in(client, enrolment, enrolment.course.lessons[0], file=(io.BytesIO(big), "big.pdf"))
    assert response.status_code == 413 and "too large" in response.get_data(as_text=True)
