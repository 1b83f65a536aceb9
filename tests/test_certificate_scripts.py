"""The certificate prints any name as written: the PDF's text layer (what a reader copies and
searches) holds the exact name, in Latin with diacritics, Greek, Cyrillic, Chinese, Japanese,
Korean and Arabic, with the fonts embedded from pip packages."""

import pytest
from pypdf import PdfReader

from app.models import Role
from app.services.enrolment import enrol as enrol_svc
from app.services.enrolment.certificate_pdf import certificate_pdf
from app.services.enrolment.progress import mark_lesson_done
from tests.pdf import pdf_text


@pytest.fixture
def complete(factory):
    """Complete a course for a student called ``name`` and return the certificate."""

    def _complete(name: str, course_title: str = "Sicurezza sul lavoro", locale: str | None = None):
        partner = factory.partner(credits=50, name=f"Formazione {factory.n()}")
        admin = factory.user(Role.PARTNER_ADMIN, partner=partner)
        student = factory.student(partner)
        student.name, student.locale = name, locale
        course = factory.course(title=course_title, value=10)
        enrolment = enrol_svc.enrol_student(admin, partner, student, course)
        for lesson in course.lessons:
            mark_lesson_done(student, enrolment, lesson)
        return enrolment.certificate

    return _complete


def lines(data: bytes) -> list[str]:
    return [line.strip() for line in pdf_text(data).splitlines()]


@pytest.mark.parametrize("name", [
    "Zoë Ñandú 李小龍",
    "Αλέξανδρος Παπαδόπουλος",
    "Фёдор Михайлович Достоевский",
    "Nguyễn Thị Minh Khai",
    "山田 太郎",
    "김민준",
    "Łukasz Żółć-Grzęślewicz",
])
def test_the_certificate_carries_the_exact_name(app, db, complete, name):
    certificate = complete(name)
    with app.test_request_context():
        data = certificate_pdf(certificate)
    assert name in lines(data)


def test_an_arabic_name_is_joined_and_kept_letter_for_letter(app, db, complete):
    """Right-to-left text is laid out by HarfBuzz; the text layer holds each word exactly,
    in the visual order PDF readers store (words right to left)."""
    name = "محمد بن سلمان"
    certificate = complete(name)
    with app.test_request_context():
        data = certificate_pdf(certificate)
    assert " ".join(reversed(name.split())) in lines(data)


def test_a_course_title_in_another_script_prints_too(app, db, complete):
    certificate = complete("Anna Rossi", course_title="Охрана труда — 劳动安全")
    with app.test_request_context():
        data = certificate_pdf(certificate)
    assert "Охрана труда — 劳动安全" in lines(data)


def test_fonts_are_embedded_and_only_the_needed_fallbacks(app, db, complete):
    with app.test_request_context():
        latin = embedded_fonts(certificate_pdf(complete("Anna Rossi")))
        chinese = embedded_fonts(certificate_pdf(complete("李小龍")))
    assert latin == {"FiraSans", "FiraSansBold"}
    assert chinese == {"FiraSans", "FiraSansBold", "WenQuanYiMicroHei"}


def embedded_fonts(data: bytes) -> set[str]:
    import io

    reader = PdfReader(io.BytesIO(data))
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            assert "/FontFile2" in descendant["/FontDescriptor"].get_object(), "font not embedded"
            names.add(str(font["/BaseFont"]).split("+", 1)[-1])
    return names


def test_a_character_no_font_has_does_not_stop_the_certificate(app, db, complete):
    certificate = complete("Anna \U0001D11E Rossi")  # a musical symbol
    with app.test_request_context():
        data = certificate_pdf(certificate)
    assert data.startswith(b"%PDF")
