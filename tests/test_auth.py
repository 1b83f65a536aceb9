import pytest

from app import create_app
from app.config import ProductionConfig
from app.models import AuditEvent, Role
from tests.conftest import PASSWORD, csrf_token, login


def test_good_credentials_log_in_and_land_on_the_home_page(client, factory, db):
    user = factory.user(Role.PARTNER_ADMIN)
    response = login(client, user.email)
    assert response.status_code == 302 and response.headers["Location"] == "/partner/"
    assert client.get("/partner/").status_code == 200
    assert db.session.query(AuditEvent).filter_by(action="auth.login", actor_id=user.id).count() == 1


def test_email_is_matched_case_insensitively(client, factory):
    user = factory.user(Role.STUDENT)
    assert login(client, user.email.upper()).status_code == 302


@pytest.mark.parametrize("password", ["wrong password", "", PASSWORD.upper()])
def test_bad_credentials_are_refused_with_a_message(client, factory, password):
    user = factory.user(Role.STUDENT)
    response = login(client, user.email, password)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Wrong email or password." in html or "This field is required." in html
    assert client.get("/member/").status_code == 302


def test_unknown_email_gets_the_same_answer(client):
    response = login(client, "nobody@example.com")
    assert response.status_code == 422
    assert "Wrong email or password." in response.get_data(as_text=True)


def test_deactivated_user_cannot_log_in(client, factory):
    user = factory.user(Role.STUDENT)
    user.is_active_account = False
    assert login(client, user.email).status_code == 422


def test_login_is_rate_limited(client, factory):
    user = factory.user(Role.STUDENT)
    for _ in range(5):  # TestConfig: 5 per minute
        assert login(client, user.email, "wrong").status_code == 422
    blocked = login(client, user.email)
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)


@pytest.mark.parametrize("target", [
    "//evil.example", "https://evil.example", "/\\evil.example", "\\\\evil.example",
    "http:evil.example", "javascript:alert(1)", " //evil.example",
])
def test_open_redirects_land_on_the_home_page(client, factory, target):
    user = factory.user(Role.STUDENT)
    token = csrf_token(client)
    response = client.post("/auth/login", data={
        "email": user.email, "password": PASSWORD, "next": target, "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/member/"


def test_a_local_next_is_followed(client, factory):
    user = factory.user(Role.PLATFORM_ADMIN)
    response = client.get("/platform/emails")
    assert response.headers["Location"] == "/auth/login?next=%2Fplatform%2Femails"
    token = csrf_token(client, "/auth/login?next=/platform/emails")
    html = client.get("/auth/login?next=/platform/emails").get_data(as_text=True)
    assert 'value="/platform/emails"' in html
    response = client.post("/auth/login", data={
        "email": user.email, "password": PASSWORD, "next": "/platform/emails", "csrf_token": token})
    assert response.headers["Location"] == "/platform/emails"


def test_logout_needs_a_post_with_token(client, factory):
    login(client, factory.user(Role.STUDENT).email)
    assert client.get("/auth/logout").status_code == 405
    token = csrf_token(client, "/member/")
    response = client.post("/auth/logout", data={"csrf_token": token})
    assert response.headers["Location"] == "/auth/login"
    assert client.get("/member/").status_code == 302


def test_logged_in_user_visiting_login_goes_home(client, factory):
    login(client, factory.user(Role.RESELLER).email)
    response = client.get("/auth/login")
    assert response.status_code == 302 and response.headers["Location"] == "/reseller/"


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("AULA_ENV", "production")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_production_cookies_are_secure():
    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    assert ProductionConfig.REMEMBER_COOKIE_SECURE is True


def test_rate_limit_is_per_account_so_colleagues_behind_one_address_can_log_in(client, factory):
    victim, colleague = factory.user(Role.STUDENT), factory.user(Role.STUDENT)
    for _ in range(6):
        login(client, victim.email, "wrong")
    assert login(client, colleague.email).status_code == 302


@pytest.mark.parametrize("account", ["unknown", "no password yet", "deactivated", "wrong password", "right"])
def test_every_login_attempt_checks_one_password_hash_so_timing_reveals_no_account(app, db, factory, monkeypatch,
                                                                                   account):
    from app.models import users as user_model
    from app.services.people.users import authenticate

    calls = []
    real_check = user_model.check_password_hash

    def counting_check(stored, password):
        calls.append(stored)
        return real_check(stored, password)

    monkeypatch.setattr(user_model, "check_password_hash", counting_check)
    user = factory.user(Role.STUDENT)
    password = "wrong password" if account == "wrong password" else PASSWORD
    if account == "no password yet":
        user.password_hash = None
    if account == "deactivated":
        user.is_active_account = False
    email = "nobody@example.com" if account == "unknown" else user.email

    result = authenticate(email, password)

    assert result is (user if account == "right" else None)
    # One hash, of the same cost as the accounts' own.
    assert [stored.split("$")[0] for stored in calls] == [app.config["PASSWORD_HASH_METHOD"]]


def test_production_refuses_to_start_without_a_platform_url(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.delenv("AULA_PLATFORM_URL", raising=False)
    monkeypatch.setenv("AULA_ENV", "production")
    with pytest.raises(RuntimeError, match="AULA_PLATFORM_URL"):
        create_app()


@pytest.mark.parametrize("url", ["aula.example.com", "ftp://aula.example.com", "https://", "https://x.com/?a=1"])
def test_a_platform_url_links_cannot_be_built_from_is_refused_at_start(url):
    from app.config import TestConfig

    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    with pytest.raises(RuntimeError, match="AULA_PLATFORM_URL"):
        create_app({**config, "PLATFORM_URL": url})


# --- sessions end when they should --------------------------------------------------


def _same_session_elsewhere(client, other_client):
    """``other_client`` now holds a copy of ``client``'s session cookie (another tab, device or thief)."""
    other_client.set_cookie("session", client.get_cookie("session").value)


def test_logging_out_ends_every_earlier_session_of_the_user(client, other_client, factory):
    user = factory.user(Role.STUDENT)
    login(client, user.email)
    _same_session_elsewhere(client, other_client)
    assert other_client.get("/member/").status_code == 200

    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/member/")})

    response = other_client.get("/member/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")


def test_a_new_password_ends_every_earlier_session_and_keeps_the_one_that_set_it(client, other_client, factory):
    from app.services.people.tokens import make_set_password_token

    user = factory.user(Role.STUDENT)
    login(client, user.email)
    link = f"/auth/set-password/{make_set_password_token(user)}"

    response = other_client.post(link, data={"csrf_token": csrf_token(other_client, link),
                                              "password": "a brand new password",
                                              "confirm": "a brand new password"})

    assert response.status_code == 302
    assert client.get("/member/").status_code == 302
    assert other_client.get("/member/").status_code == 200


def test_signing_in_again_after_logging_out_works(client, factory):
    user = factory.user(Role.STUDENT)
    login(client, user.email)
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/member/")})
    assert login(client, user.email).status_code == 302
    assert client.get("/member/").status_code == 200


def test_a_sessions_user_comes_with_their_partner_in_one_statement(app, db, factory, count_queries):
    """Every page of a partner's admin reads their partner: it comes with the user, not after."""
    from app.extensions import db as database
    from app.services.people.users import user_for_session

    admin = factory.user(Role.PARTNER_ADMIN)
    session_id, partner_name = admin.get_id(), admin.partner.name
    database.session.commit()
    database.session.expunge_all()  # a new request's session holds nothing yet
    with count_queries() as counted:
        user = user_for_session(session_id)
        assert user.partner.name == partner_name and user.reseller is None
    assert counted.count == 1
