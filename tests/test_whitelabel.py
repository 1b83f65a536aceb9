"""Whitelabel look by Host: name, colour (/brand.css) and logo; tenancy stays by user."""

import re

import pytest

from app.branding import contrast, logo_origin, logo_src, stylesheet
from app.services.tenancy.sites import host_name, whitelabel_for_host
from app.models import Partner, Role
from tests.conftest import PASSWORD

HOST = "academy.example.com"


@pytest.fixture
def academy(factory):
    return factory.partner(name="Academy Test WL", kind="whitelabel", domain=HOST, brand_color="#6f42c1")


def get(client, path, host=HOST, **kwargs):
    return client.get(path, headers={"Host": host, **kwargs.pop("headers", {})}, **kwargs)


def login_on(client, host, email, password=PASSWORD):
    """Sign in through ``host`` (the session cookie belongs to that host, as in a browser)."""
    html = get(client, "/auth/login", host).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/auth/login", headers={"Host": host},
                           data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


# --- which look ----------------------------------------------------------------------


def test_login_page_on_the_partner_domain_carries_its_name_and_stylesheet(client, academy):
    response = get(client, "/auth/login")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Sign in to Academy Test WL" in html
    assert re.search(r"<title>[^<]*· Academy Test WL</title>", html)
    assert re.search(r'class="navbar-brand"[^>]*>\s*Academy Test WL</a>', html)
    assert '<link rel="stylesheet" href="/brand.css?v=6f42c1">' in html
    # The stylesheet comes after Bootstrap and app.css, so it wins.
    assert html.index("css/app.css") < html.index("/brand.css")
    assert "Sign in to Aula" not in html


def test_platform_host_keeps_the_platform_look(client, academy):
    html = client.get("/auth/login").get_data(as_text=True)
    assert "Sign in to Aula" in html and "<title>Sign in · Aula</title>" in html
    assert "brand.css" not in html and "Academy Test WL" not in html


@pytest.mark.parametrize("host", [
    "academy.example.com:8443", "ACADEMY.Example.COM", "Academy.example.com:5000", "academy.example.com.",
])
def test_host_with_port_or_capitals_is_the_same_brand(client, academy, host):
    html = get(client, "/auth/login", host).get_data(as_text=True)
    assert "Sign in to Academy Test WL" in html


@pytest.mark.parametrize("host", ["unknown.example.com", "127.0.0.1:8000", "[::1]:8000", "example.com"])
def test_unknown_hosts_are_refused_and_never_get_a_partners_look(client, academy, host):
    response = get(client, "/auth/login", host)
    assert response.status_code == 400
    assert "Academy Test WL" not in response.get_data(as_text=True)


def test_a_default_partner_has_no_look_of_its_own(client, db, factory):
    # The form refuses a domain for a default partner; even if one were stored, it is not a brand.
    db.session.add(Partner(name="Default With Domain", kind="default", domain="default.example.com",
                           brand_color="#ff0000"))
    db.session.flush()
    response = get(client, "/auth/login", "default.example.com")
    assert response.status_code == 400  # not one of the hosts served
    assert "brand.css" not in response.get_data(as_text=True)


def test_host_name_normalisation():
    assert host_name("Academy.Example.com:8443") == "academy.example.com"
    assert host_name("academy.example.com.") == "academy.example.com"
    assert host_name("[::1]:8000") == "::1"
    assert host_name("") == "" and host_name(None) == ""


def test_whitelabel_for_host(db, academy):
    assert whitelabel_for_host("ACADEMY.example.com:443") == academy
    assert whitelabel_for_host("other.example.com") is None
    assert whitelabel_for_host("") is None


def test_static_files_are_served_on_a_whitelabel_host(client, academy):
    response = get(client, "/static/css/app.css")
    assert response.status_code == 200
    response.close()


# --- /brand.css ------------------------------------------------------------------------


def test_brand_css_sets_bootstrap_primary_from_the_partner_colour(client, academy):
    response = get(client, "/brand.css")
    css = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert "--bs-primary: #6f42c1;" in css
    assert "--bs-primary-rgb: 111, 66, 193;" in css
    assert ".btn-primary {" in css and "--bs-btn-bg: #6f42c1;" in css and "--bs-btn-border-color: #6f42c1;" in css
    assert ".navbar.bg-dark { background-color: #6f42c1 !important; }" in css
    assert "--bs-link-color: #6f42c1;" in css  # dark enough to read on white as it is
    assert response.cache_control.public and response.cache_control.max_age == 300
    assert response.headers["ETag"]
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_brand_css_answers_304_to_a_matching_etag(client, academy):
    etag = get(client, "/brand.css").headers["ETag"]
    again = get(client, "/brand.css", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""


def test_brand_css_needs_no_login(client, academy):
    assert get(client, "/brand.css").status_code == 200


def test_brand_css_on_the_platform_host_overrides_nothing(client, academy):
    response = client.get("/brand.css")
    css = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/css"
    assert "--bs-primary" not in css and "{" not in css


@pytest.mark.parametrize("stored", ["red;}*{", "#12345g", "#12345", "6f42c1", "", None])
def test_an_invalid_stored_colour_is_never_written_into_css(client, factory, stored):
    factory.partner(name="Odd Colour WL", kind="whitelabel", domain="odd.example.com", brand_color=stored)
    css = get(client, "/brand.css", "odd.example.com").get_data(as_text=True)
    assert "--bs-primary" not in css and "{" not in css
    if stored:
        assert stored not in css
    html = get(client, "/auth/login", "odd.example.com").get_data(as_text=True)
    assert "Sign in to Odd Colour WL" in html
    assert '<link rel="stylesheet" href="/brand.css">' in html  # no colour in the link either


def test_a_light_colour_gets_dark_text_and_a_darker_link_colour():
    light = Partner(name="Light", kind="whitelabel", brand_color="#ffd800")
    css = stylesheet(light)
    assert "--bs-btn-color: #000000;" in css
    assert "--bs-navbar-brand-color: #000;" in css
    link = re.search(r"--bs-link-color: (#[0-9a-f]{6});", css).group(1)
    rgb = tuple(int(link[i:i + 2], 16) for i in (1, 3, 5))
    assert link != "#ffd800" and contrast(rgb, (255, 255, 255)) >= 4.5


def test_a_dark_colour_keeps_white_text():
    css = stylesheet(Partner(name="Dark", kind="whitelabel", brand_color="#0B3D2E"))
    assert "--bs-primary: #0b3d2e;" in css and "--bs-btn-color: #ffffff;" in css
    assert "--bs-navbar-brand-color: #000" not in css


# --- logo ------------------------------------------------------------------------------


def test_a_local_logo_is_shown_before_the_name(client, db, academy):
    academy.logo_url = "/static/img/academy.png"
    html = get(client, "/auth/login").get_data(as_text=True)
    assert re.search(r'class="navbar-brand"[^>]*><img src="/static/img/academy.png" alt="" '
                     r'class="brand-logo">Academy Test WL</a>', html)
    csp = get(client, "/auth/login").headers["Content-Security-Policy"]
    assert "img-src 'self' data:;" in csp


def test_an_https_logo_is_allowed_by_the_csp_on_that_brand_only(client, db, academy):
    academy.logo_url = "https://cdn.example.net:8443/logos/academy.svg"
    response = get(client, "/auth/login")
    html = response.get_data(as_text=True)
    assert '<img src="https://cdn.example.net:8443/logos/academy.svg" alt=""' in html
    assert "img-src 'self' data: https://cdn.example.net:8443;" in response.headers["Content-Security-Policy"]
    platform = client.get("/auth/login")
    assert "cdn.example.net" not in platform.headers["Content-Security-Policy"]
    assert "cdn.example.net" not in platform.get_data(as_text=True)


@pytest.mark.parametrize("url", [
    "http://cdn.example.net/logo.png",  # mixed content on an https site
    "javascript:alert(1)",
    "data:image/svg+xml,<svg/>",
    "//cdn.example.net/logo.png",
    "https://cdn.example.net;script-src */x.png",
    "https://user:pw@cdn.example.net/x.png",
    "https://cdn.example.net/a b.png",
    "/static/a\\b.png",
])
def test_other_logo_urls_are_not_rendered_nor_allowed(client, db, academy, url):
    academy.logo_url = url
    response = get(client, "/auth/login")
    html = response.get_data(as_text=True)
    assert "brand-logo" not in html
    assert "img-src 'self' data:;" in response.headers["Content-Security-Policy"]
    assert logo_src(academy) is None and logo_origin(academy) is None


# --- tenancy is by user, not by host ----------------------------------------------------------


def test_a_user_of_another_partner_on_a_whitelabel_domain_sees_only_their_own_data(client, factory, academy):
    mine = factory.partner(name="Plain Partner")
    admin = factory.user(Role.PARTNER_ADMIN, partner=mine)
    factory.student(mine, email="my-student@example.com")
    factory.student(academy, email="academy-student@example.com")
    course = factory.course(title="Academy Secret Course", assign_to_all=False, owner_partner_id=academy.id)

    login_on(client, HOST, admin.email)
    page = get(client, "/partner/students")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Academy Test WL" in html  # the host's look ...
    assert "my-student@example.com" in html  # ... but the user's own data
    assert "academy-student@example.com" not in html

    catalog = get(client, "/partner/catalog").get_data(as_text=True)
    assert "Academy Secret Course" not in catalog
    # A default partner's admin has no own courses, on any host.
    assert get(client, "/partner/own-courses").status_code == 403
    assert get(client, f"/partner/own-courses/{course.id}").status_code == 403


def test_an_admin_of_another_whitelabel_partner_cannot_open_the_hosts_courses(client, factory, academy):
    other = factory.partner(name="Other WL", kind="whitelabel", domain="other.example.com")
    admin = factory.user(Role.PARTNER_ADMIN, partner=other)
    course = factory.course(title="Academy Secret Course", assign_to_all=False, owner_partner_id=academy.id)
    login_on(client, HOST, admin.email)
    assert get(client, f"/partner/own-courses/{course.id}").status_code == 404
    listing = get(client, "/partner/own-courses").get_data(as_text=True)
    assert "Academy Secret Course" not in listing and "Sign out" in listing
