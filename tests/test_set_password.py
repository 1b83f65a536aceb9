"""The welcome email's set-password link: works once, expires, refuses tampering."""

import re
import time

import pytest
import sqlalchemy as sa
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from app.models import EmailMessage, Role, User
from app.services.people import tokens
from tests.conftest import csrf_token, login

NEW_PASSWORD = "a brand new password"


@pytest.fixture
def welcome_link(client, db, login_as):
    """A student created by their partner admin; returns the link from the email (path only)."""
    login_as(Role.PARTNER_ADMIN)
    client.post(
        "/partner/students/new",
        data={
            "csrf_token": csrf_token(client, "/partner/students/new"),
            "email": "new.student@example.com",
            "name": "New Student",
            "company": "",
        },
    )
    email = db.session.execute(
        sa.select(EmailMessage).where(EmailMessage.recipient == "new.student@example.com")
    ).scalar_one()
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/partner/")})
    return re.search(r"http://localhost(/auth/set-password/\S+)", email.body_text).group(1)


def student(db):
    db.session.expire_all()
    return db.session.execute(sa.select(User).where(User.email == "new.student@example.com")).scalar_one()


def set_password(client, link, password=NEW_PASSWORD, confirm=None):
    return client.post(
        link,
        data={
            "csrf_token": csrf_token(client, link),
            "password": password,
            "confirm": password if confirm is None else confirm,
        },
    )


def test_the_link_sets_the_password_and_signs_in(client, db, welcome_link):
    page = client.get(welcome_link)
    assert page.status_code == 200
    assert "new.student@example.com" in page.get_data(as_text=True)
    response = set_password(client, welcome_link)
    assert response.status_code == 302 and response.headers["Location"] == "/member/"
    assert client.get("/member/").status_code == 200  # signed in
    assert student(db).check_password(NEW_PASSWORD)
    assert (
        db.session.execute(
            sa.select(sa.func.count()).select_from(User).where(User.email == "new.student@example.com")
        ).scalar_one()
        == 1
    )


def test_then_the_student_can_log_in_with_it(app, client, db, welcome_link):
    set_password(client, welcome_link)
    other = app.test_client()
    assert login(other, "new.student@example.com", NEW_PASSWORD).status_code == 302


def test_the_link_works_only_once(app, client, db, welcome_link):
    csrf = csrf_token(client, welcome_link)
    set_password(client, welcome_link)
    fresh = app.test_client()
    again = fresh.get(welcome_link)
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)
    # A form opened before the first use cannot be posted afterwards either.
    reposted = client.post(
        welcome_link,
        data={"csrf_token": csrf, "password": "another password!", "confirm": "another password!"},
    )
    assert reposted.status_code == 400
    assert student(db).check_password(NEW_PASSWORD)


@pytest.mark.parametrize(
    "password, confirm, message",
    [
        ("short", "short", "Use at least 10 characters."),
        (NEW_PASSWORD, "something else", "The two passwords do not match."),
        ("", "", "This field is required."),
    ],
)
def test_a_bad_password_is_refused_and_the_link_still_works(
    client, db, welcome_link, password, confirm, message
):
    response = set_password(client, welcome_link, password, confirm)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert student(db).password_hash is None
    assert client.get(welcome_link).status_code == 200


def _flip_signature(token):
    payload, signature = token.rsplit(".", 1)
    return f"{payload}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: _flip_signature(t),  # signature changed
        lambda t: "x" + t,  # payload changed
        lambda t: "not-a-token",
        lambda t: ".",
    ],
)
def test_a_tampered_link_is_refused(client, db, welcome_link, mangle):
    token = welcome_link.rsplit("/", 1)[1]
    response = client.get(f"/auth/set-password/{mangle(token)}")
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)


def test_an_expired_link_is_refused(app, client, db, welcome_link):
    user = student(db)

    class EightDaysAgo(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - 8 * 24 * 3600

    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=tokens.SET_PASSWORD_SALT, signer=EightDaysAgo)
    token = old.dumps({"u": user.id, "f": tokens.password_fingerprint(user)})
    response = client.get(f"/auth/set-password/{token}")
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    response = client.post(
        f"/auth/set-password/{token}",
        data={
            "csrf_token": csrf_token(client, "/auth/login"),
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 400
    assert student(db).password_hash is None
    # Six days old is still fine.
    assert client.get(welcome_link).status_code == 200


def test_max_age_is_enforced_by_the_service(db, welcome_link):
    token = welcome_link.rsplit("/", 1)[1]
    assert tokens.user_for_set_password_token(token, max_age=60).email == "new.student@example.com"
    with pytest.raises(tokens.TokenExpired):
        tokens.user_for_set_password_token(token, max_age=-1)


def test_a_token_signed_for_something_else_is_refused(app, client, db, welcome_link):
    user = student(db)
    other_salt = tokens.sign({"u": user.id, "f": tokens.password_fingerprint(user)}, "aula.student-import")
    assert client.get(f"/auth/set-password/{other_salt}").status_code == 400


def test_a_deactivated_students_link_is_refused(client, db, welcome_link):
    user = student(db)
    user.is_active_account = False
    assert client.get(welcome_link).status_code == 400


def test_a_signed_in_admin_opening_the_link_becomes_the_student(client, db, login_as, welcome_link):
    login_as(Role.PARTNER_ADMIN)
    response = set_password(client, welcome_link)
    assert response.headers["Location"] == "/member/"
    assert client.get("/partner/").status_code == 403
