"""The partner admin's students: create, edit, deactivate, search, isolation."""

import re

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, EmailMessage, Role, User, Wallet, WalletEntry
from app.services.tenancy import companies as company_svc
from app.services.people import students as svc
from app.services.people.users import EmailTaken
from tests.conftest import PASSWORD, csrf_token, login
from tests.pages import page_link


@pytest.fixture
def admin(login_as, factory):
    partner = factory.partner(credits=5)
    return login_as(Role.PARTNER_ADMIN, partner=partner)


@pytest.fixture
def partner(admin):
    return admin.partner


def students_of(db, partner):
    db.session.expire_all()
    return (
        db.session.execute(
            sa.select(User).where(User.partner_id == partner.id, User.role == "student").order_by(User.id)
        )
        .scalars()
        .all()
    )


def emails_to(db, recipient):
    return (
        db.session.execute(
            sa.select(EmailMessage).where(EmailMessage.recipient == recipient).order_by(EmailMessage.id)
        )
        .scalars()
        .all()
    )


def post(client, path, data, page=None, **kwargs):
    return client.post(path, data={"csrf_token": csrf_token(client, page or path), **data}, **kwargs)


def new_student(client, email="mario.rossi@example.com", name="Mario Rossi", company="", **kwargs):
    return post(client, "/partner/students/new", {"email": email, "name": name, "company": company}, **kwargs)


def add_students(factory, partner, names, company=None):
    made = []
    for name in names:
        student = factory.student(partner, email=f"{name.lower().replace(' ', '.')}@example.com")
        student.name = name
        student.company_id = company.id if company else None
        made.append(student)
    return made


# --- create -----------------------------------------------------------------------------


def test_create_a_student_with_a_company(client, db, partner, admin):
    acme = company_svc.create_company(admin, partner, "Acme")
    response = new_student(client, email=" Mario.Rossi@Example.com ", company=str(acme.id))
    assert response.status_code == 302 and response.headers["Location"] == "/partner/students"
    [student] = students_of(db, partner)
    assert (student.email, student.name, student.company_id) == (
        "mario.rossi@example.com",
        "Mario Rossi",
        acme.id,
    )
    assert student.is_active and student.password_hash is None
    event = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == "student.created")
    ).scalar_one()
    assert (event.partner_id, event.actor_id, event.object_id) == (partner.id, admin.id, student.id)
    page = client.get("/partner/students").get_data(as_text=True)
    assert "Mario Rossi" in page and "Acme" in page


def test_creating_a_student_costs_no_credits(client, db, partner):
    wallet = db.session.execute(sa.select(Wallet).where(Wallet.partner_id == partner.id)).scalar_one()
    entries = db.session.scalar(
        sa.select(sa.func.count(WalletEntry.id)).where(WalletEntry.wallet_id == wallet.id)
    )
    assert new_student(client).status_code == 302
    db.session.expire_all()
    assert wallet.balance == 5
    assert (
        db.session.scalar(sa.select(sa.func.count(WalletEntry.id)).where(WalletEntry.wallet_id == wallet.id))
        == entries
    )


def test_creating_a_student_queues_a_welcome_email_with_a_link(client, db, partner):
    new_student(client)
    [email] = emails_to(db, "mario.rossi@example.com")
    assert email.template == "welcome" and email.status == "sent"
    assert re.search(r"http://localhost/auth/set-password/[\w.-]+", email.body_text)
    assert "/auth/set-password/" in email.body_html and "Mario Rossi" in email.body_text


@pytest.mark.parametrize("existing_role", [Role.STUDENT, Role.PARTNER_ADMIN, Role.CUSTOMER])
def test_an_email_already_used_by_any_user_is_a_field_error(client, db, factory, partner, existing_role):
    factory.user(existing_role, email="taken@example.com")
    response = new_student(client, email="TAKEN@example.com")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "A user with this email already exists." in html and 'id="email-errors"' in html
    assert students_of(db, partner) == []
    assert len(emails_to(db, "taken@example.com")) == 0


@pytest.mark.parametrize(
    "data, message",
    [
        ({"email": "not-an-email", "name": "X"}, "Invalid email address."),
        ({"email": "", "name": "X"}, "This field is required."),
        ({"email": "a@example.com", "name": ""}, "This field is required."),
        ({"email": "a@example.com", "name": "X" * 201}, "Field cannot be longer than 200 characters."),
    ],
)
def test_invalid_input_is_refused(client, db, partner, data, message):
    response = new_student(client, **data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert students_of(db, partner) == []


def test_a_company_of_another_partner_is_refused(client, db, factory, partner):
    foreign = company_svc.create_company(None, factory.partner(), "Foreign")
    response = new_student(client, company=str(foreign.id))
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert students_of(db, partner) == []


def test_the_service_refuses_another_partners_company_and_duplicate_emails(app, factory):
    mine, theirs = factory.partner(), factory.partner()
    foreign = company_svc.create_company(None, theirs, "Foreign")
    with app.test_request_context():
        with pytest.raises(svc.ForeignCompany):
            svc.create_student(None, mine, "x@example.com", "X", foreign)
        svc.create_student(None, mine, "x@example.com", "X")
        with pytest.raises(EmailTaken):
            svc.create_student(None, theirs, "X@EXAMPLE.COM", "X again")


def test_an_htmx_create_answers_with_the_form_or_a_redirect(client, partner):
    response = new_student(client, email="bad", headers={"HX-Request": "true"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<form id="student-form"') and "<html" not in html
    ok = new_student(client, headers={"HX-Request": "true"})
    assert ok.status_code == 204 and ok.headers["HX-Redirect"] == "/partner/students"
    # The success message waits for the page htmx loads next.
    assert "Student mario.rossi@example.com created." in client.get("/partner/students").get_data(
        as_text=True
    )


# --- edit --------------------------------------------------------------------------------------


def test_edit_name_company_and_email(client, db, factory, partner, admin):
    acme = company_svc.create_company(admin, partner, "Acme")
    [student] = add_students(factory, partner, ["Old Name"])
    path = f"/partner/students/{student.id}/edit"
    page = client.get(path).get_data(as_text=True)
    assert 'value="Old Name"' in page
    response = post(client, path, {"email": "new@example.com", "name": "New Name", "company": str(acme.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert (student.email, student.name, student.company_id) == ("new@example.com", "New Name", acme.id)
    event = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == "student.updated")
    ).scalar_one()
    assert event.partner_id == partner.id and event.details["changes"]["name"] == ["Old Name", "New Name"]
    # And back to no company.
    post(client, path, {"email": "new@example.com", "name": "New Name", "company": ""})
    db.session.expire_all()
    assert student.company_id is None


def test_edit_refuses_an_email_used_by_someone_else(client, db, factory, partner):
    factory.user(Role.CUSTOMER, email="someone@example.com")
    [student] = add_students(factory, partner, ["Me"])
    response = post(
        client,
        f"/partner/students/{student.id}/edit",
        {"email": "someone@example.com", "name": "Me", "company": ""},
    )
    assert response.status_code == 422
    assert "A user with this email already exists." in response.get_data(as_text=True)
    db.session.expire_all()
    assert student.email == "me@example.com"


def test_changing_the_email_before_a_password_is_set_sends_a_new_welcome(client, db, partner):
    new_student(client, email="typo@exmaple.com")
    [student] = students_of(db, partner)
    post(
        client,
        f"/partner/students/{student.id}/edit",
        {"email": "right@example.com", "name": "Mario", "company": ""},
    )
    [email] = emails_to(db, "right@example.com")
    assert email.template == "welcome"
    # The link sent to the wrong address no longer works.
    [old] = emails_to(db, "typo@exmaple.com")
    old_link = re.search(r"http://localhost(/auth/set-password/\S+)", old.body_text).group(1)
    assert client.get(old_link).status_code == 400


def test_send_the_set_password_link_again(client, db, factory, partner):
    [student] = add_students(factory, partner, ["Luca"])
    response = post(
        client, f"/partner/students/{student.id}/welcome", {}, page=f"/partner/students/{student.id}/edit"
    )
    assert response.status_code == 302
    assert [e.template for e in emails_to(db, student.email)] == ["welcome"]


# --- deactivate / reactivate -----------------------------------------------------------------


def test_deactivate_and_reactivate(client, db, app, factory, partner):
    [student] = add_students(factory, partner, ["Anna"])
    response = post(
        client,
        f"/partner/students/{student.id}/deactivate",
        {"next": "/partner/students?q=an"},
        page="/partner/students",
    )
    assert response.status_code == 302 and response.headers["Location"] == "/partner/students?q=an"
    db.session.expire_all()
    assert not student.is_active
    other = app.test_client()
    assert login(other, student.email, PASSWORD).status_code == 422
    response = post(client, f"/partner/students/{student.id}/reactivate", {}, page="/partner/students")
    assert response.status_code == 302 and response.headers["Location"] == "/partner/students"
    db.session.expire_all()
    assert student.is_active
    assert login(other, student.email, PASSWORD).status_code == 302
    actions = (
        db.session.execute(
            sa.select(AuditEvent.action)
            .where(AuditEvent.object_id == student.id, AuditEvent.partner_id == partner.id)
            .order_by(AuditEvent.id)
        )
        .scalars()
        .all()
    )
    assert actions[-2:] == ["student.deactivated", "student.reactivated"]


def test_deactivate_by_htmx_answers_with_the_row(client, db, factory, partner):
    [student] = add_students(factory, partner, ["Anna"])
    response = post(
        client,
        f"/partner/students/{student.id}/deactivate",
        {},
        page="/partner/students",
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith(f'<tr id="student-{student.id}"') and "Deactivated" in html
    assert f"/partner/students/{student.id}/reactivate" in html
    assert response.headers["HX-Trigger"] == "aula:close-dialog"


def test_the_list_asks_for_confirmation_in_a_dialog_loaded_on_demand(client, factory, partner):
    [student] = add_students(factory, partner, ["Anna"])
    html = client.get("/partner/students").get_data(as_text=True)
    assert "<dialog" not in html
    ask = re.search(rf'href="(/partner/students/{student.id}/deactivate\?[^"]*)" hx-get="\1" hx-target="#dialog-host"',
                    html).group(1).replace("&amp;", "&")
    dialog = client.get(ask, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert dialog.lstrip().startswith(f'<dialog class="aula-dialog text-start text-wrap" id="confirm-deactivate-{student.id}"')
    assert "data-dialog-close" in dialog and f'hx-target="#student-{student.id}"' in dialog


def test_without_javascript_the_confirmation_is_a_page(client, factory, partner):
    [student] = add_students(factory, partner, ["Anna"])
    response = client.get(f"/partner/students/{student.id}/deactivate?next=/partner/students")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Deactivate Anna?" in html and f'action="/partner/students/{student.id}/deactivate"' in html


def test_a_deactivate_without_a_token_changes_nothing(client, db, factory, partner):
    [student] = add_students(factory, partner, ["Anna"])
    assert client.post(f"/partner/students/{student.id}/deactivate").status_code == 400
    db.session.expire_all()
    assert student.is_active


def test_an_unsafe_next_is_ignored(client, factory, partner):
    [student] = add_students(factory, partner, ["Anna"])
    response = post(
        client,
        f"/partner/students/{student.id}/deactivate",
        {"next": "//evil.example"},
        page="/partner/students",
    )
    assert response.headers["Location"] == "/partner/students"


# --- list, search, filter, pagination ----------------------------------------------------------


def test_search_by_name_or_email(client, factory, partner):
    add_students(factory, partner, ["Mario Rossi", "Giulia Bianchi", "Luca Verdi"])
    html = client.get("/partner/students?q=rossi").get_data(as_text=True)
    assert "Mario Rossi" in html and "Giulia Bianchi" not in html
    html = client.get("/partner/students?q=giulia.b").get_data(as_text=True)  # the email
    assert "Giulia Bianchi" in html and "Mario Rossi" not in html
    html = client.get("/partner/students?q=%25").get_data(as_text=True)  # a literal %, not a wildcard
    assert "No student matches this search." in html


def test_filter_by_company_or_no_company(client, factory, partner, admin):
    acme = company_svc.create_company(admin, partner, "Acme")
    add_students(factory, partner, ["In Acme"], company=acme)
    add_students(factory, partner, ["Freelance"])
    html = client.get(f"/partner/students?company={acme.id}").get_data(as_text=True)
    assert "In Acme" in html and "Freelance" not in html
    html = client.get("/partner/students?company=none").get_data(as_text=True)
    assert "Freelance" in html and "In Acme" not in html
    html = client.get(f"/partner/students?company={acme.id}&q=free").get_data(as_text=True)
    assert "No student matches this search." in html


def test_a_foreign_or_junk_company_filter_shows_nothing_of_theirs(client, factory, partner):
    theirs = factory.partner()
    foreign = company_svc.create_company(None, theirs, "Foreign")
    add_students(factory, theirs, ["Their Student"], company=foreign)
    add_students(factory, partner, ["My Student"])
    for value in (str(foreign.id), "junk", "-1"):
        html = client.get(f"/partner/students?company={value}").get_data(as_text=True)
        assert "Their Student" not in html and "My Student" in html


def test_pagination_is_25_a_page(client, factory, partner):
    add_students(factory, partner, [f"Student {i:02d}" for i in range(30)])
    first = client.get("/partner/students").get_data(as_text=True)
    assert "30 students" in first
    assert "Student 24" in first and "Student 25" not in first
    assert page_link(first, "prev") is None
    second = client.get(page_link(first, "next")).get_data(as_text=True)
    assert "Student 25" in second and "Student 29" in second and "Student 00" not in second
    assert page_link(second, "next") is None
    back = client.get(page_link(second, "prev")).get_data(as_text=True)
    assert "Student 00" in back and "Student 24" in back and "Student 25" not in back


def test_the_next_page_keeps_the_search(client, factory, partner):
    add_students(factory, partner, [f"Anna {i:02d}" for i in range(26)] + ["Bruno"])
    first = client.get("/partner/students?q=anna").get_data(as_text=True)
    second = client.get(page_link(first, "next")).get_data(as_text=True)
    assert "q=anna" in page_link(first, "next")
    assert "Anna 25" in second and "Bruno" not in second


@pytest.mark.parametrize("cursor", ["junk", "WzFd", "W10", "eyJhIjoxfQ", "x" * 5000, "WyJhIiwiYiIsImMiXQ", "page=2"])
def test_a_bad_page_cursor_shows_the_first_page(client, factory, partner, cursor):
    add_students(factory, partner, ["Anna"])
    for name in ("after", "before"):
        response = client.get(f"/partner/students?{name}={cursor}")
        assert response.status_code == 200 and "Anna" in response.get_data(as_text=True)


def test_a_count_beyond_a_thousand_says_more_than(client, factory, partner, monkeypatch):
    monkeypatch.setattr(svc, "COUNT_LIMIT", 3)
    add_students(factory, partner, ["A", "B", "C", "D"])
    assert "More than 3 students" in client.get("/partner/students").get_data(as_text=True)


def test_htmx_gets_the_rows_fragment_and_the_same_url_the_page(client, factory, partner):
    add_students(factory, partner, ["Mario Rossi", "Giulia Bianchi"])
    fragment = client.get("/partner/students?q=mario", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="student-rows">')
    assert "<html" not in html and "Mario Rossi" in html and "Giulia Bianchi" not in html
    page = client.get("/partner/students?q=mario").get_data(as_text=True)
    assert "<html" in page and 'id="student-rows"' in page and "Mario Rossi" in page
    assert 'value="mario"' in page  # the search box keeps the query
    # The live search is wired on the input, with a plain GET form around it.
    search = re.search(r"<input[^>]*name=\"q\"[^>]*>", page).group(0)
    assert 'hx-get="/partner/students"' in search
    assert 'hx-trigger="input changed delay:300ms, search"' in search
    assert 'hx-target="#student-rows"' in search
    assert 'method="get" action="/partner/students"' in page


def test_pages_have_no_inline_script_or_style(client, factory, partner, admin):
    [student] = add_students(factory, partner, ["Anna"])
    company = company_svc.create_company(admin, partner, "Acme")
    for path in (
        "/partner/students",
        "/partner/students/new",
        f"/partner/students/{student.id}/edit",
        f"/partner/students/{student.id}/deactivate",
        "/partner/students/import",
        "/partner/companies",
        "/partner/companies/new",
        f"/partner/companies/{company.id}/edit",
    ):
        html = client.get(path).get_data(as_text=True)
        assert " style=" not in html, path
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert not re.search(r"\son[a-z]+=", html), path


# --- isolation -------------------------------------------------------------------------------------


def test_the_list_shows_only_this_partners_students(client, factory, partner):
    add_students(factory, partner, ["Mine"])
    add_students(factory, factory.partner(), ["Theirs"])
    factory.user(Role.PARTNER_ADMIN, partner=partner)  # a colleague admin is not a student
    html = client.get("/partner/students").get_data(as_text=True)
    assert "Mine" in html and "Theirs" not in html and "1 student" in html


def test_another_partners_student_is_a_404_everywhere(client, db, factory, partner):
    [theirs] = add_students(factory, factory.partner(), ["Theirs"])
    colleague = factory.user(Role.PARTNER_ADMIN, partner=partner)
    token = csrf_token(client, "/partner/students")
    for target in (theirs, colleague):
        assert client.get(f"/partner/students/{target.id}/edit").status_code == 404
        assert client.get(f"/partner/students/{target.id}/deactivate").status_code == 404
        for action in ("edit", "deactivate", "reactivate", "welcome"):
            response = client.post(
                f"/partner/students/{target.id}/{action}",
                data={"csrf_token": token, "email": "x@example.com", "name": "X"},
            )
            assert response.status_code == 404, action
    db.session.expire_all()
    assert theirs.is_active and theirs.name == "Theirs"
    assert emails_to(db, theirs.email) == []


def test_the_service_refuses_another_partners_student(app, factory):
    mine = factory.partner()
    [theirs] = add_students(factory, factory.partner(), ["Theirs"])
    with app.test_request_context():
        with pytest.raises(svc.NotYourStudent):
            svc.set_student_active(None, mine, theirs, False)
        with pytest.raises(svc.NotYourStudent):
            svc.update_student(None, mine, theirs, theirs.email, "Mine now")


# --- odd input never gives a 500 ----------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/partner/students?page=99999999999999999999",
        "/partner/students?page=-3",
        "/partner/students?company=99999999999999999999",
        "/partner/students?company=%C2%B2",  # a Unicode digit
        "/partner/students?q=" + "x" * 5000,
        "/partner/companies?page=99999999999999999999",
    ],
)
def test_odd_list_parameters_are_harmless(client, partner, path):
    assert client.get(path).status_code == 200


def test_a_nul_byte_is_refused_with_a_message_not_a_500(client, partner):
    response = client.get("/partner/students?q=%00")
    assert response.status_code == 400
    assert "could not be understood" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/partner/students/99999999999999999999/edit",
        "/partner/students/99999999999999999999/deactivate",
        "/partner/companies/99999999999999999999/edit",
    ],
)
def test_huge_ids_are_a_404(client, partner, path):
    assert client.get(path).status_code == 404


def test_nul_characters_are_refused_and_nothing_is_created(client, db, partner):
    assert new_student(client, name="Ma\x00rio").status_code == 400
    assert students_of(db, partner) == []
