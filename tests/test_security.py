"""Walks every route: CSRF on every state change, and the role guard on every area."""

import re

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter

from app.models import Role
from tests.conftest import csrf_token, login

AREA_ROLE = {
    "/platform": Role.PLATFORM_ADMIN,
    "/partner": Role.PARTNER_ADMIN,
    "/reseller": Role.RESELLER,
    "/member": Role.STUDENT,
}
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def _url(rule) -> str:
    """A concrete URL for a rule: every argument becomes a plausible value."""
    url = rule.rule
    for name, converter in rule._converters.items():  # noqa: SLF001
        if isinstance(converter, IntegerConverter):
            value = "1"
        elif isinstance(converter, AnyConverter):
            value = sorted(converter.items)[0]
        else:
            value = "x"
        url = re.sub(rf"<(?:[^<>]+:)?{name}>", value, url)
    return url


def _rules(app, methods=None, prefix=None):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        if methods and not (rule.methods & methods):
            continue
        if prefix and not rule.rule.startswith(prefix + "/"):
            continue
        yield rule


def test_there_are_routes_to_check(app):
    assert len(list(_rules(app, STATE_CHANGING))) >= 3
    for prefix in AREA_ROLE:
        assert list(_rules(app, prefix=prefix)), prefix


CSRF_EXEMPT_BLUEPRINT = "payments"


def test_only_the_payment_webhooks_are_exempt_from_csrf(app):
    from app.extensions import csrf

    assert {bp.name for bp in csrf._exempt_blueprints} == {CSRF_EXEMPT_BLUEPRINT} and not csrf._exempt_views


def test_every_state_changing_route_refuses_a_request_without_csrf_token(app, client, factory):
    checked = 0
    for rule in _rules(app, STATE_CHANGING):
        if rule.endpoint.startswith(CSRF_EXEMPT_BLUEPRINT + "."):
            continue  # payment webhooks: the provider's signature instead (tests/test_sales_webhooks.py)
        area = next((p for p in AREA_ROLE if rule.rule.startswith(p + "/")), None)
        client = app.test_client()
        if area:
            # Signed in with the right role, so only the missing token can stop it.
            login(client, factory.user(AREA_ROLE[area]).email)
        for method in sorted(rule.methods & STATE_CHANGING):
            response = client.open(_url(rule), method=method, data={"anything": "1"})
            assert response.status_code == 400, (rule.rule, method, response.status_code)
            assert "expired or is invalid" in response.get_data(as_text=True), rule.rule
            checked += 1
    assert checked >= 3


def test_htmx_requests_need_the_csrf_header_too(client, login_as):
    login_as(Role.PLATFORM_ADMIN)
    response = client.post("/platform/emails/1/resend", headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#toasts"


@pytest.mark.parametrize("prefix", list(AREA_ROLE))
def test_every_area_route_sends_anonymous_users_to_login(app, client, prefix):
    for rule in _rules(app, {"GET", "POST"}, prefix):
        method = "GET" if "GET" in rule.methods else "POST"
        url = _url(rule)
        if method == "POST":
            # POSTs carry a valid token so the role guard, not CSRF, answers.
            token = csrf_token(client)
            response = client.post(url, data={"csrf_token": token})
        else:
            response = client.get(url)
        assert response.status_code == 302, (url, response.status_code)
        assert response.headers["Location"].startswith("/auth/login?next="), url


@pytest.mark.parametrize("prefix", list(AREA_ROLE))
def test_every_area_route_refuses_the_wrong_roles(app, client, factory, prefix):
    wrong_roles = [r for r in Role if r != AREA_ROLE[prefix] and not (prefix == "/member" and r == Role.CUSTOMER)]
    for role in wrong_roles:
        client = app.test_client()
        login(client, factory.user(role).email)
        for rule in _rules(app, {"GET", "POST"}, prefix):
            url = _url(rule)
            if "GET" in rule.methods:
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": csrf_token(client, "/auth/login")})
            assert response.status_code == 403, (role, url, response.status_code)


def test_customers_share_the_member_area_with_students(client, login_as):
    login_as(Role.CUSTOMER)
    assert client.get("/member/").status_code == 200


def test_security_headers(client):
    response = client.get("/auth/login")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    login_page = client.get("/auth/login")
    _ = login_page


def test_session_cookie_is_httponly_and_samesite(client, factory):
    response = login(client, factory.user(Role.STUDENT).email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_error_pages_for_htmx_are_toasts(client, login_as):
    login_as(Role.STUDENT)
    response = client.get("/platform/", headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert response.headers["HX-Retarget"] == "#toasts"
    assert "toast" in response.get_data(as_text=True)
    full = client.get("/platform/")
    assert full.status_code == 403 and "<html" in full.get_data(as_text=True)


def test_unknown_page_is_a_404_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "does not exist" in response.get_data(as_text=True)


def test_huge_ids_and_page_numbers_are_not_server_errors(client, login_as):
    login_as(Role.PLATFORM_ADMIN)
    assert client.get("/platform/partners/99999999999999999999").status_code == 404
    assert client.get("/platform/emails/99999999999999999999/resend").status_code in (404, 405)
    assert client.get("/platform/emails?page=99999999999999999999").status_code == 200
    assert client.get("/platform/audit?page=-3").status_code == 200


def test_nul_bytes_in_input_are_refused_cleanly(client, login_as):
    login_as(Role.PLATFORM_ADMIN)
    assert client.get("/platform/emails?status=sent%00").status_code == 400
    token = csrf_token(client, "/platform/emails")
    response = client.post("/auth/login", data={"email": "a\x00@example.com", "password": "x", "csrf_token": token})
    assert response.status_code == 400


def test_history_restore_gets_the_whole_page(client, login_as):
    login_as(Role.PLATFORM_ADMIN)
    fragment = client.get("/platform/emails", headers={"HX-Request": "true"}).get_data(as_text=True)
    restored = client.get("/platform/emails", headers={
        "HX-Request": "true", "HX-History-Restore-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment
    assert "<html" in restored


@pytest.mark.parametrize("path", [
    "/partner/enrolments?course_id=%C2%B2",
    "/partner/enrolments?course_id=99999999999999999999999",
    "/partner/participants?course_id=%C2%B2",
    "/partner/participants?student_id=99999999999999999999999",
    "/partner/participants?course_id=99999999999999999999999",
    "/partner/reports/enrolments.csv?company=%C2%B2",
    "/partner/reports/enrolments.csv?course=99999999999999999999999",
])
def test_odd_ids_in_partner_urls_are_never_server_errors(client, factory, path):
    login(client, factory.user(Role.PARTNER_ADMIN).email)
    assert client.get(path).status_code in (200, 422)
