"""A whitelabel partner admin edits its own look: name, colour (a colour picker) and a logo upload,
checked by its bytes, kept in the database and served with its own type; and the platform admin's
colour picker."""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest

from app.models import PartnerLogo, Role
from app.services.enrolment.enrol import enrol_student
from app.services.enrolment.progress import mark_lesson_done
from app.services.enrolment.certificate_pdf import certificate_pdf
from app.services.tenancy.look import LOGO_MAX_BYTES, logo_content_type
from tests.conftest import csrf_token

HOST = "look.example.com"
PATH = "/partner/look"


def png(width=8, height=2) -> bytes:
    raw = b"".join(b"\x00" + b"\xff\x80\x00" * width for _ in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture
def academy(factory):
    return factory.partner(name="Look Academy", kind="whitelabel", domain=HOST, brand_color="#6f42c1")


@pytest.fixture
def wl_admin(login_as, academy):
    return login_as(Role.PARTNER_ADMIN, partner=academy)


def post_look(client, name="Look Academy", colour="#6f42c1", no_colour=False, logo=None, filename="logo.png",
              remove=False):
    data = {"csrf_token": csrf_token(client, PATH), "name": name, "brand_color": colour}
    if no_colour:
        data["no_brand_color"] = "y"
    if remove:
        data["remove_logo"] = "y"
    if logo is not None:
        data["logo"] = (io.BytesIO(logo), filename)
    return client.post(PATH, data=data, content_type="multipart/form-data")


@pytest.mark.parametrize("data, expected", [(png(), "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp"),
                                            (SVG, None), (b"GIF89a....", None), (b"<html>", None)])
def test_a_logo_is_known_by_its_first_bytes(data, expected):
    assert logo_content_type(data) == expected


def test_the_admin_changes_name_and_colour_with_a_colour_picker(client, db, academy, wl_admin):
    page = client.get(PATH).get_data(as_text=True)
    assert re.search(r'<input[^>]*id="brand_color"[^>]*type="color"[^>]*value="#6f42c1"', page) or \
        re.search(r'<input[^>]*type="color"[^>]*value="#6f42c1"', page)
    response = post_look(client, name="Look Academy Pro", colour="#1A6FB0")
    assert response.status_code == 302
    db.session.refresh(academy)
    assert (academy.name, academy.brand_color) == ("Look Academy Pro", "#1a6fb0")
    post_look(client, name="Look Academy Pro", no_colour=True)
    db.session.refresh(academy)
    assert academy.brand_color is None and academy.domain == HOST and academy.kind == "whitelabel"


def test_an_uploaded_logo_is_served_from_the_database_with_its_type_and_nosniff(client, db, academy, wl_admin):
    logo = png()
    assert post_look(client, logo=logo, filename="anything.jpg").status_code == 302
    db.session.refresh(academy)
    stored = db.session.get(PartnerLogo, academy.id)
    assert stored.content_type == "image/png" and stored.data == logo  # by its bytes, not its name
    assert academy.logo_version

    response = client.get(f"/brand/logo/{academy.id}?v={academy.logo_version}")
    assert response.status_code == 200 and response.data == logo
    assert response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in response.headers["Cache-Control"]
    assert client.get(f"/brand/logo/{academy.id}?v=old").headers["Cache-Control"] == "no-cache"
    assert client.get("/brand/logo/999999").status_code == 404


def test_the_logo_shows_on_the_partners_own_domain(client, db, academy, wl_admin):
    post_look(client, logo=png())
    db.session.refresh(academy)
    html = client.get("/auth/login", headers={"Host": HOST}).get_data(as_text=True)
    assert f'<img src="/brand/logo/{academy.id}?v={academy.logo_version}"' in html
    assert "/brand/logo/" not in client.get("/auth/login").get_data(as_text=True)  # the platform's own look


@pytest.mark.parametrize("logo, message", [
    (SVG, "SVG logos are not accepted"),
    (b"just some text, named logo.png", "not a PNG, JPEG or WebP image"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * (LOGO_MAX_BYTES + 1), "at most 512 KB"),
])
def test_a_bad_logo_is_refused_and_nothing_changes(client, db, academy, wl_admin, logo, message):
    response = post_look(client, name="Renamed Meanwhile", logo=logo)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.refresh(academy)
    assert academy.name == "Look Academy" and academy.logo_version is None
    assert db.session.get(PartnerLogo, academy.id) is None


def test_the_logo_can_be_removed(client, db, academy, wl_admin):
    post_look(client, logo=png())
    assert post_look(client, remove=True).status_code == 302
    db.session.refresh(academy)
    assert academy.logo_version is None and db.session.get(PartnerLogo, academy.id) is None


def test_another_partners_name_is_refused_on_the_name_field(client, db, factory, academy, wl_admin):
    factory.partner(name="Taken Name")
    response = post_look(client, name="Taken Name")
    assert response.status_code == 422
    assert re.search(r'id="name-errors"', response.get_data(as_text=True))


def test_a_default_partner_has_no_look_of_its_own(client, login_as, factory):
    login_as(Role.PARTNER_ADMIN, partner=factory.partner())
    assert client.get(PATH).status_code == 403


def test_the_look_form_needs_its_csrf_token(client, db, academy, wl_admin):
    response = client.post(PATH, data={"name": "X", "brand_color": "#000000"}, content_type="multipart/form-data")
    assert response.status_code in (400, 422)
    db.session.refresh(academy)
    assert academy.name == "Look Academy"


def test_the_uploaded_logo_is_on_the_certificate(app, db, factory, academy, wl_admin, client):
    post_look(client, logo=png(40, 10))
    db.session.refresh(academy)
    academy_wallet_admin = factory.platform_admin()
    student = factory.student(academy)
    course = factory.course(value=0)
    with app.test_request_context():
        enrolment = enrol_student(academy_wallet_admin, academy, student, course)
        for lesson in course.lessons:
            mark_lesson_done(student, enrolment, lesson)
        pdf = certificate_pdf(enrolment.certificate)
    assert b"/Subtype /Image" in pdf


def test_the_platform_admin_picks_a_colour_or_none(client, db, login_as, factory):
    login_as(Role.PLATFORM_ADMIN)
    partner = factory.partner(name="Picker WL", kind="whitelabel", domain="picker.example.com")
    path = f"/platform/partners/{partner.id}/edit"
    html = client.get(path).get_data(as_text=True)
    assert re.search(r'<input[^>]*type="color"', html)
    assert re.search(r'<input[^>]*checked[^>]*id="no_brand_color"|<input[^>]*id="no_brand_color"[^>]*checked', html)
    data = {"csrf_token": csrf_token(client, path), "name": "Picker WL", "kind": "whitelabel",
            "domain": "picker.example.com", "brand_color": "#00aa00"}
    assert client.post(path, data=data).status_code == 302
    db.session.refresh(partner)
    assert partner.brand_color == "#00aa00"
    assert client.post(path, data={**data, "no_brand_color": "y"}).status_code == 302
    db.session.refresh(partner)
    assert partner.brand_color is None
