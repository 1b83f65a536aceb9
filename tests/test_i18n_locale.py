"""Which language a page is answered in: the user's choice from the header menu, the visitor's,
the browser's, the whitelabel partner's default, the platform's; and <html lang> says which."""

import re

import pytest

from app.models import Role
from tests.conftest import csrf_token, login

ACADEMY = "academy.example.com"


def lang_of(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


def choose(client, locale, next_path="/auth/login", **headers):
    token = csrf_token(client, "/auth/login")
    return client.post("/language", data={"csrf_token": token, "locale": locale, "next": next_path},
                       headers=headers)


@pytest.fixture
def academy(factory):
    return factory.partner(name="Academy Lang WL", kind="whitelabel", domain=ACADEMY, default_locale="pt_BR")


# --- the order of precedence ------------------------------------------------------------


def test_the_browsers_language_is_used_when_nobody_chose_one(client):
    assert lang_of(client.get("/auth/login", headers={"Accept-Language": "it-IT,it;q=0.9,en;q=0.5"})) == "it"


def test_a_portuguese_browser_from_portugal_gets_brazilian_portuguese(client):
    assert lang_of(client.get("/auth/login", headers={"Accept-Language": "pt-PT,pt;q=0.9"})) == "pt-BR"


def test_without_any_preference_the_platform_default_answers(client, app):
    assert lang_of(client.get("/auth/login", headers={"Accept-Language": "de-DE"})) == "en"
    app.config["BABEL_DEFAULT_LOCALE"] = "it"
    try:
        assert lang_of(client.get("/auth/login", headers={"Accept-Language": "de-DE"})) == "it"
    finally:
        app.config["BABEL_DEFAULT_LOCALE"] = "en"


def test_the_whitelabel_partners_default_answers_a_browser_asking_for_no_offered_language(client, academy):
    response = client.get("/auth/login", headers={"Host": ACADEMY, "Accept-Language": "de-DE,fr;q=0.8"})
    assert lang_of(response) == "pt-BR"


def test_the_browser_comes_before_the_whitelabel_partners_default(client, academy):
    response = client.get("/auth/login", headers={"Host": ACADEMY, "Accept-Language": "it"})
    assert lang_of(response) == "it"


def test_an_anonymous_visitors_choice_beats_the_browser(client):
    response = choose(client, "pt_BR")
    assert response.status_code == 302 and response.location.endswith("/auth/login")
    assert lang_of(client.get("/auth/login", headers={"Accept-Language": "it"})) == "pt-BR"


def test_a_signed_in_users_saved_choice_beats_the_browser(client, factory, db):
    user = factory.user(Role.PARTNER_ADMIN)
    user.locale = "it"
    login(client, user.email)
    assert lang_of(client.get("/partner/", headers={"Accept-Language": "pt-BR"})) == "it"


# --- the menu ------------------------------------------------------------------------------


def test_every_page_has_the_language_menu_with_each_language_named_in_itself(client, login_as):
    html = client.get("/auth/login").get_data(as_text=True)
    menu = re.search(r'<form method="post" action="/language".*?</form>', html, re.S).group(0)
    assert '<label for="language-menu" class="visually-hidden">' in menu
    assert '<option value="it" lang="it">Italiano</option>' in menu
    assert '<option value="pt_BR" lang="pt-BR">Português (Brasil)</option>' in menu
    assert 'name="csrf_token"' in menu and 'type="submit"' in menu
    login_as(Role.PLATFORM_ADMIN)
    assert 'action="/language"' in client.get("/platform/").get_data(as_text=True)


def test_the_menu_saves_a_signed_in_users_choice_on_the_account(client, login_as, db):
    user = login_as(Role.PARTNER_ADMIN)
    token = csrf_token(client, "/partner/")
    response = client.post("/language", data={"csrf_token": token, "locale": "pt_BR", "next": "/partner/students"})
    assert response.status_code == 302 and response.location.endswith("/partner/students")
    db.session.refresh(user)
    assert user.locale == "pt_BR"
    # Another browser, after signing in, gets the saved choice too.
    other = client.application.test_client()
    login(other, user.email)
    assert lang_of(other.get("/partner/", headers={"Accept-Language": "it"})) == "pt-BR"


def test_the_menu_refuses_a_language_that_is_not_offered(client):
    assert choose(client, "de").status_code == 400
    assert choose(client, "").status_code == 400


def test_the_menu_refuses_a_post_without_its_csrf_token(client):
    assert client.post("/language", data={"locale": "it"}).status_code == 400


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil"])
def test_the_menu_only_goes_back_to_a_page_of_this_site(client, target):
    response = choose(client, "it", next_path=target)
    assert response.status_code == 302
    assert response.location in ("/", "http://localhost/")


# --- a partner's default language -------------------------------------------------------------


def test_the_platform_admin_sets_a_partners_default_language(client, login_as, factory, db):
    login_as(Role.PLATFORM_ADMIN)
    partner = factory.partner(name="Lingua Srl")
    path = f"/platform/partners/{partner.id}/edit"
    assert '<option value="it">Italiano</option>' in client.get(path).get_data(as_text=True)
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "name": "Lingua Srl",
                                       "kind": "default", "default_locale": "it"})
    assert response.status_code == 302
    db.session.refresh(partner)
    assert partner.default_locale == "it"
    assert "Italiano" in client.get(f"/platform/partners/{partner.id}").get_data(as_text=True)


def test_a_partners_default_language_must_be_offered(client, login_as, factory, db):
    login_as(Role.PLATFORM_ADMIN)
    partner = factory.partner(name="Sprache GmbH")
    path = f"/platform/partners/{partner.id}/edit"
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "name": "Sprache GmbH",
                                       "kind": "default", "default_locale": "de"})
    assert response.status_code == 422
    db.session.refresh(partner)
    assert partner.default_locale is None


# --- one catalog per request, another inside force_locale --------------------------------


def test_a_page_in_italian_renders_an_email_in_its_recipients_language_and_goes_on_in_italian(app):
    """Templates look the catalog up once per request; an email rendered in its recipient's
    language in the middle of an Italian page (force_locale) still gets that language's words,
    and the rest of the page is Italian again."""
    from flask import render_template_string
    from flask_babel import force_locale

    words = '{{ _("Cancel") }}|{{ ngettext("%(num)s student", "%(num)s students", 2) }}'
    with app.test_request_context(headers={"Accept-Language": "it"}):
        before = render_template_string(words)
        with force_locale("pt_BR"):
            inside = render_template_string(words)
        with force_locale("en"):
            english = render_template_string(words)
        after = render_template_string(words)
    assert before == after == "Annulla|2 studenti"
    assert inside == "Cancelar|2 alunos"
    assert english == "Cancel|2 students"


def test_python_side_words_and_numbers_follow_force_locale_too(app):
    """The Python side's gettext, counted credits and grouping read the request's locale once; an
    email in its recipient's language inside a request still gets that language."""
    from flask_babel import force_locale

    from app.i18n import credits_text, gettext

    def words():
        return gettext("Cancel"), credits_text(1234)

    with app.test_request_context(headers={"Accept-Language": "it"}):
        before = words()
        with force_locale("pt_BR"):
            inside = words()
        with force_locale("en"):
            english = words()
        after = words()
    assert before == after == ("Annulla", "1.234 crediti")
    assert inside == ("Cancelar", "1.234 créditos")
    assert english == ("Cancel", "1,234 credits")
