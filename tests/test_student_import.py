"""CSV import of students: preview (nothing saved), confirm (valid rows only), bad files."""

import io
import re

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, EmailMessage, Role, User
from app.services.tenancy import companies as company_svc
from app.services.people import student_import as svc
from app.services.people.student_import import Outcome
from tests.conftest import csrf_token

PATH = "/partner/students/import"


@pytest.fixture
def admin(login_as):
    return login_as(Role.PARTNER_ADMIN)


@pytest.fixture
def partner(admin):
    return admin.partner


@pytest.fixture
def acme(admin, partner):
    return company_svc.create_company(admin, partner, "Acme S.r.l.")


def upload(client, content, filename="students.csv"):
    if isinstance(content, str):
        content = content.encode("utf-8")
    return client.post(
        PATH,
        data={
            "csrf_token": csrf_token(client, PATH),
            "file": (io.BytesIO(content), filename),
        },
        content_type="multipart/form-data",
    )


def outcomes(response):
    return re.findall(r'data-outcome="(\w+)"', response.get_data(as_text=True))


def payload_of(response):
    return re.search(r'name="payload" type="hidden" value="([^"]+)"', response.get_data(as_text=True)).group(
        1
    )


def confirm(client, payload, follow_redirects=True):
    return client.post(f"{PATH}/confirm", data={"csrf_token": csrf_token(client, PATH), "payload": payload},
                       follow_redirects=follow_redirects)


def students_of(db, partner):
    db.session.expire_all()
    return (
        db.session.execute(
            sa.select(User).where(User.partner_id == partner.id, User.role == "student").order_by(User.email)
        )
        .scalars()
        .all()
    )


def email_count(db):
    return db.session.scalar(sa.select(sa.func.count(EmailMessage.id)))


MIXED = (
    "email,name,company\n"
    "ok.one@example.com,Ok One,Acme S.r.l.\n"  # 2 create (company matched)
    "ok.two@example.com,Ok Two,\n"  # 3 create, no company
    "OK.ONE@example.com,Ok One Again,\n"  # 4 duplicate in file
    "existing@example.com,Already Here,\n"  # 5 exists
    "not-an-email,Bad Email,\n"  # 6 invalid email
    "ok.three@example.com,Ok Three,Nowhere Ltd\n"  # 7 unknown company
    "short.row@example.com\n"  # 8 missing column
    "no.name@example.com,,Acme S.r.l.\n"  # 9 missing value
    "\n"  # blank: skipped
    "ok.four@example.com,Ok Four,acme s.r.l.\n"  # 11 create (case-insensitive company)
)


# --- preview -------------------------------------------------------------------------------


def test_the_preview_reports_every_row_and_saves_nothing(client, db, factory, partner, acme):
    factory.user(Role.CUSTOMER, email="existing@example.com")
    before = (len(students_of(db, partner)), email_count(db))
    response = upload(client, MIXED)
    assert response.status_code == 200
    assert outcomes(response) == [
        "create",
        "create",
        "duplicate_in_file",
        "exists",
        "invalid_email",
        "unknown_company",
        "missing",
        "missing",
        "create",
    ]
    html = response.get_data(as_text=True)
    assert "Import 3 students" in html and "Nothing has been saved yet." in html
    assert "Duplicate email in the file" in html and "Unknown company" in html
    assert (len(students_of(db, partner)), email_count(db)) == before


def test_semicolons_and_a_bom_are_understood(client, partner, acme):
    content = "\ufeffemail;name;company\r\nmario.rossi@example.com;Rossi, Mario;Acme S.r.l.\r\n"
    response = upload(client, content.encode("utf-8"))
    assert response.status_code == 200
    assert outcomes(response) == ["create"]
    assert "Rossi, Mario" in response.get_data(as_text=True)


def test_header_names_in_italian_and_extra_columns(client, partner):
    response = upload(client, "Nome;E-mail;Telefono\nMario Rossi;mario@example.com;123\n")
    assert outcomes(response) == ["create"]
    assert "Columns ignored: Telefono" in response.get_data(as_text=True)


def test_quoted_fields_with_delimiters_and_newlines(client, partner, acme):
    content = 'email,name,company\n"a@example.com","Rossi,\nMario","Acme S.r.l."\n'
    response = upload(client, content)
    assert outcomes(response) == ["create"]
    assert "Rossi, Mario" in response.get_data(as_text=True)


# --- bad files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "The file is empty."),
        (b"\n\n  \n", "The file is empty."),
        ("email;name\n".encode(), "The file has a header but no students."),
        ("mario@example.com,Mario\n".encode(), "The first row must be the header"),
        ("mail address,full_name\nx@example.com,X\n".encode(), "Columns not recognised"),
        ("email,company\nx@example.com,Acme\n".encode(), "Columns not recognised"),
        ("email,name\nrenée@example.com,Renée\n".encode("latin-1"), "not UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8"),
        ("email,name\nx@example.com,X\x00\n".encode(), "not a CSV text file"),
        (
            ("email,name\n" + "".join(f"s{i}@example.com,S {i}\n" for i in range(5001))).encode(),
            "more than 5,000 rows",
        ),
        (b"email,name\n" + b"x" * (2 * 1024 * 1024), "larger than 2 MB"),
    ],
)
def test_a_malformed_file_is_refused_with_a_message(client, db, partner, content, message):
    before = (len(students_of(db, partner)), email_count(db))
    response = upload(client, content)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and "Nothing was imported." in html
    assert 'name="payload"' not in html
    assert (len(students_of(db, partner)), email_count(db)) == before


def test_exactly_5000_rows_are_accepted(client, partner):
    content = "email,name\n" + "".join(f"s{i}@example.com,S {i}\n" for i in range(5000))
    response = upload(client, content)
    assert response.status_code == 200
    assert "Import 5,000 students" in response.get_data(as_text=True)


def test_no_file_is_a_field_error(client, partner):
    response = client.post(
        PATH, data={"csrf_token": csrf_token(client, PATH)}, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "Choose a CSV file." in response.get_data(as_text=True)


# --- confirm ----------------------------------------------------------------------------------


def test_confirm_redirects_to_a_result_page_that_reloads_without_importing_again(client, db, partner):
    payload = payload_of(upload(client, "email,name\na@example.com,A\nbad,B\n"))
    response = confirm(client, payload, follow_redirects=False)
    assert response.status_code == 303
    result_url = response.headers["Location"]
    assert re.fullmatch(rf"{PATH}/\d+", result_url)
    emails = email_count(db)

    first, reloaded = client.get(result_url), client.get(result_url)
    assert first.status_code == reloaded.status_code == 200
    assert first.get_data(as_text=True) == reloaded.get_data(as_text=True)
    assert "1 student created" in first.get_data(as_text=True)
    assert outcomes(first) == ["invalid_email", "created"]
    assert len(students_of(db, partner)) == 1 and email_count(db) == emails


def test_an_htmx_upload_gets_the_preview_in_place_so_the_history_holds_no_post(client, partner):
    response = client.post(PATH, data={"csrf_token": csrf_token(client, PATH),
                                       "file": (io.BytesIO(b"email,name\na@example.com,A\n"), "s.csv")},
                           content_type="multipart/form-data", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert "Import preview" in html and 'name="payload"' in html


def test_another_partners_import_result_is_not_found(app, client, db, factory, partner):
    other = factory.partner()
    other_admin = factory.user(Role.PARTNER_ADMIN, partner=other)
    with app.test_request_context():
        plan = svc.import_students(other_admin, other, "email,name\nx@example.com,X\n", "theirs.csv")
    assert client.get(f"{PATH}/{plan.record.id}").status_code == 404
    assert client.get(f"{PATH}/999999").status_code == 404



def test_confirm_creates_exactly_the_valid_rows_with_welcome_emails(
    client, db, factory, admin, partner, acme
):
    factory.user(Role.CUSTOMER, email="existing@example.com")
    payload = payload_of(upload(client, MIXED))
    emails_before = email_count(db)
    response = confirm(client, payload)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "3 students created" in html
    students = {s.email: s for s in students_of(db, partner)}
    assert sorted(students) == ["ok.four@example.com", "ok.one@example.com", "ok.two@example.com"]
    assert students["ok.one@example.com"].company_id == acme.id
    assert students["ok.four@example.com"].company_id == acme.id
    assert students["ok.two@example.com"].company_id is None
    assert email_count(db) == emails_before + 3
    welcome = db.session.execute(
        sa.select(EmailMessage).where(EmailMessage.recipient == "ok.one@example.com")
    ).scalar_one()
    assert welcome.template == "welcome" and welcome.status == "sent"
    assert outcomes(response) == [
        "duplicate_in_file",
        "exists",
        "invalid_email",
        "unknown_company",
        "missing",
        "missing",
    ] + ["created"] * 3  # the rows not imported, then the students created
    event = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == "students.imported")
    ).scalar_one()
    assert event.partner_id == partner.id and event.details["created"] == 3


def test_a_second_confirm_of_the_same_file_creates_nothing(client, db, partner):
    payload = payload_of(upload(client, "email,name\na@example.com,A\nb@example.com,B\n"))
    assert "2 students created" in confirm(client, payload).get_data(as_text=True)
    emails = email_count(db)
    again = confirm(client, payload)
    assert again.status_code == 200
    assert "0 students created" in again.get_data(as_text=True)
    assert outcomes(again) == ["exists", "exists"]
    assert len(students_of(db, partner)) == 2 and email_count(db) == emails


def test_confirm_checks_again_what_changed_since_the_preview(client, db, factory, admin, partner):
    payload = payload_of(upload(client, "email,name\nlate@example.com,Late\nfine@example.com,Fine\n"))
    factory.user(Role.STUDENT, email="late@example.com")  # someone took it meanwhile
    response = confirm(client, payload)
    assert outcomes(response) == ["exists", "created"]
    assert [s.email for s in students_of(db, partner)] == ["fine@example.com"]


@pytest.mark.parametrize(
    "mangle",
    [
        lambda p: p[:-3] + ("abc" if not p.endswith("abc") else "xyz"),
        lambda p: "",
        lambda p: "garbage",
    ],
)
def test_a_tampered_payload_is_refused(client, db, partner, mangle):
    payload = payload_of(upload(client, "email,name\na@example.com,A\n"))
    response = confirm(client, mangle(payload))
    assert response.status_code == 422
    assert "Upload the file again." in response.get_data(as_text=True)
    assert students_of(db, partner) == []


def test_a_payload_of_another_partner_is_refused(app, client, db, factory, partner):
    other = factory.partner()
    with app.test_request_context():
        payload = svc.sign_upload(other, "email,name\na@example.com,A\n")
    response = confirm(client, payload)
    assert response.status_code == 422
    assert students_of(db, partner) == [] and students_of(db, other) == []


def test_an_expired_payload_is_refused(app, client, db, partner, monkeypatch):
    payload = payload_of(upload(client, "email,name\na@example.com,A\n"))
    monkeypatch.setattr(svc, "PAYLOAD_MAX_AGE", -1)
    response = confirm(client, payload)
    assert response.status_code == 422 and "expired" in response.get_data(as_text=True)
    assert students_of(db, partner) == []


def test_companies_of_another_partner_are_not_matched(client, factory, partner):
    company_svc.create_company(None, factory.partner(), "Foreign Co")
    response = upload(client, "email,name,company\na@example.com,A,Foreign Co\n")
    assert outcomes(response) == ["unknown_company"]


# --- the parser on its own -------------------------------------------------------------------


def test_parse_reports_lines_as_in_the_file():
    rows, ignored = svc.parse_csv('email,name\n\na@example.com,A\n"b@example.com","B\nB"\nc@example.com,C\n')
    assert [(r.line, r.email, r.name) for r in rows] == [
        (3, "a@example.com", "A"),
        (5, "b@example.com", "B B"),
        (6, "c@example.com", "C"),
    ]
    assert ignored == []


def test_check_rows_outcomes(app, factory):
    partner = factory.partner()
    company_svc.create_company(None, partner, "Acme")
    factory.student(partner, email="here@example.com")
    rows, _ = svc.parse_csv(
        "email;name;company\nhere@example.com;H;\nx@example.com;X;acme\nx@example.com;X;\n"
        "y@example.com;" + "Y" * 201 + ";\n"
    )
    checked = svc.check_rows(partner, rows)
    assert [r.outcome for r in checked] == [
        Outcome.EXISTS,
        Outcome.CREATE,
        Outcome.DUPLICATE_IN_FILE,
        Outcome.NAME_TOO_LONG,
    ]
