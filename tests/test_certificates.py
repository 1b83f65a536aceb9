"""Progress, completion, the PDF certificate and its public verification."""

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Certificate, Enrolment, Role
from app.services.enrolment import enrol as enrol_svc
from app.services.enrolment.progress import LessonNotAvailable, find_certificate, mark_lesson_done, normalise_code
from tests.pdf import pdf_text
from tests.conftest import csrf_token, login


@pytest.fixture
def setup(factory):
    partner = factory.partner(credits=50, name="Formazione Rossi")
    admin = factory.user(Role.PARTNER_ADMIN, partner=partner)
    student = factory.student(partner, email="giulia@example.com")
    student.name = "Giulia Àlvarez Ñúñez"
    course = factory.course(title="Sicurezza sul lavoro", value=10)
    enrolment = enrol_svc.enrol_student(admin, partner, student, course)
    return partner, admin, student, course, enrolment


def test_the_last_lesson_completes_the_course_and_issues_one_certificate(db, setup):
    partner, _, student, course, enrolment = setup
    lessons = course.lessons
    assert mark_lesson_done(student, enrolment, lessons[0]) is False
    assert mark_lesson_done(student, enrolment, lessons[0]) is False  # twice: nothing more
    assert mark_lesson_done(student, enrolment, lessons[1]) is False
    assert enrolment.status == "active" and enrolment.certificate is None
    assert mark_lesson_done(student, enrolment, lessons[2]) is True
    assert enrolment.status == "completed" and enrolment.completed_at is not None
    cert = enrolment.certificate
    assert (cert.student_name, cert.course_title, cert.issuer_name) == (
        "Giulia Àlvarez Ñúñez", "Sicurezza sul lavoro", "Formazione Rossi")
    assert find_certificate(cert.code.lower().replace("-", " ")) == cert
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "enrolment.completed")) == 1


def test_a_completed_course_is_not_charged_again(db, setup):
    partner, admin, student, course, enrolment = setup
    for lesson in course.lessons:
        mark_lesson_done(student, enrolment, lesson)
    with pytest.raises(enrol_svc.AlreadyEnrolled):
        enrol_svc.enrol_student(admin, partner, student, course)
    assert partner.wallet.balance == 40


def test_someone_elses_enrolment_or_lesson_is_refused(db, factory, setup):
    partner, _, student, course, enrolment = setup
    other = factory.student(partner)
    with pytest.raises(LessonNotAvailable):
        mark_lesson_done(other, enrolment, course.lessons[0])
    with pytest.raises(LessonNotAvailable):
        mark_lesson_done(student, enrolment, factory.course().lessons[0])


def test_code_normalisation():
    assert normalise_code("abcd efgh jkmn") == "ABCD-EFGH-JKMN"
    assert normalise_code("ABC") == ""
    assert normalise_code("") == ""


def test_student_marks_lessons_done_in_the_member_area_and_downloads_the_certificate(db, client, setup):
    _, _, student, course, enrolment = setup
    login(client, student.email)
    home = client.get("/member/").get_data(as_text=True)
    assert "Sicurezza sul lavoro" in home and "0 of 3 lessons done" in home
    token = csrf_token(client, f"/member/courses/{enrolment.id}")
    for i, lesson in enumerate(course.lessons, start=1):
        response = client.post(f"/member/courses/{enrolment.id}/lessons/{lesson.id}/done",
                               data={"csrf_token": token}, headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert f"{i} of 3 lessons done" in response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    assert "Download certificate" in html and "Course completed" in html
    pdf = client.get(f"/member/certificates/{enrolment.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert "attachment" in pdf.headers["Content-Disposition"]


def test_certificate_pdf_carries_the_names_and_the_code(db, client, setup):
    """Read the text back out of the PDF the student downloads."""
    _, _, student, course, enrolment = setup
    for lesson in course.lessons:
        mark_lesson_done(student, enrolment, lesson)
    login(client, student.email)
    text = pdf_text(client.get(f"/member/certificates/{enrolment.id}.pdf").data)
    assert enrolment.certificate.code in text
    assert "Giulia Àlvarez Ñúñez" in text.splitlines()
    assert "Formazione Rossi" in text


def test_no_certificate_before_completion_and_not_for_others(db, client, factory, setup):
    partner, _, student, course, enrolment = setup
    login(client, student.email)
    assert client.get(f"/member/certificates/{enrolment.id}.pdf").status_code == 404
    intruder = factory.student(partner)
    other = client.application.test_client()
    login(other, intruder.email)
    assert other.get(f"/member/courses/{enrolment.id}").status_code == 404
    token = csrf_token(other, "/member/")
    lesson = course.lessons[0]
    assert other.post(f"/member/courses/{enrolment.id}/lessons/{lesson.id}/done",
                      data={"csrf_token": token}).status_code == 404


def test_partner_sees_participants_with_progress_and_downloads_certificates(db, client, factory, setup):
    partner, admin, student, course, enrolment = setup
    mark_lesson_done(student, enrolment, course.lessons[0])
    login(client, admin.email)
    html = client.get("/partner/participants").get_data(as_text=True)
    assert "giulia@example.com" in html and "1 / 3" in html
    by_course = client.get(f"/partner/participants?course_id={course.id}").get_data(as_text=True)
    assert "giulia@example.com" in by_course
    fragment = client.get(f"/partner/participants?course_id={course.id}&status=completed",
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "No participants match." in fragment
    for lesson in course.lessons[1:]:
        mark_lesson_done(student, enrolment, lesson)
    html = client.get(f"/partner/participants?student_id={student.id}").get_data(as_text=True)
    assert enrolment.certificate.code in html
    pdf = client.get(f"/partner/certificates/{enrolment.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_another_partner_gets_404_for_participants_and_certificates(db, client, factory, setup):
    _, _, student, course, enrolment = setup
    for lesson in course.lessons:
        mark_lesson_done(student, enrolment, lesson)
    stranger = factory.user(Role.PARTNER_ADMIN)
    login(client, stranger.email)
    assert client.get(f"/partner/certificates/{enrolment.id}.pdf").status_code == 404
    assert client.get(f"/partner/participants?student_id={student.id}").status_code == 404
    assert "giulia@example.com" not in client.get("/partner/participants").get_data(as_text=True)


def test_public_verification_page(db, client, setup):
    _, _, student, course, enrolment = setup
    for lesson in course.lessons:
        mark_lesson_done(student, enrolment, lesson)
    code = enrolment.certificate.code
    genuine = client.get(f"/verify/{code}").get_data(as_text=True)
    assert "Genuine certificate." in genuine and "Giulia Àlvarez Ñúñez" in genuine
    assert "Genuine certificate." in client.get(f"/verify?code={code.lower()}").get_data(as_text=True)
    fake = client.get("/verify?code=AAAA-BBBB-CCCC").get_data(as_text=True)
    assert "No certificate has this code." in fake
    assert client.get("/verify?code=%3Cscript%3E").status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Certificate.id))) == 1
    _ = Enrolment
