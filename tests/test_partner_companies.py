"""The partner admin's client companies: create, edit, list, isolation."""

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Company, Role
from app.services.tenancy import companies as svc
from tests.conftest import csrf_token


@pytest.fixture
def admin(login_as):
    return login_as(Role.PARTNER_ADMIN)


def companies_of(db, partner):
    db.session.expire_all()
    return (
        db.session.execute(sa.select(Company).where(Company.partner_id == partner.id).order_by(Company.id))
        .scalars()
        .all()
    )


def post_company(client, path, **data):
    data.setdefault("vat_number", "")
    data.setdefault("contact", "")
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


# --- VAT numbers -------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, stored",
    [
        ("12345678903", "12345678903"),
        ("IT12345678903", "12345678903"),
        ("it 123.456.789-03", "12345678903"),
        ("12.345.678/0001-95", "12345678000195"),
        ("12345678000195", "12345678000195"),
        ("", None),
        ("  ", None),
    ],
)
def test_vat_numbers_are_normalised(raw, stored):
    assert svc.normalise_vat_number(raw) == stored


@pytest.mark.parametrize(
    "raw",
    [
        "1234567890",
        "123456789012",
        "IT12345678000195",
        "ABC12345678",
        "1234567890123",
        "DE123456789",
        "12345678901x",
        "１２３４５６７８９０１",
        "12345678901",  # partita IVA whose check digit is wrong
        "12.345.678/0001-96",  # CNPJ whose check digit is wrong
    ],
)
def test_bad_vat_numbers_are_refused(raw):
    with pytest.raises(svc.InvalidVatNumber):
        svc.normalise_vat_number(raw)


# --- create ------------------------------------------------------------------------------


def test_create_a_company(client, db, admin):
    response = post_company(
        client,
        "/partner/companies/new",
        name=" Acme  S.r.l. ",
        vat_number="IT 123 456 789 03",
        contact="Anna, anna@acme.example",
    )
    assert response.status_code == 302 and response.headers["Location"] == "/partner/companies"
    [company] = companies_of(db, admin.partner)
    assert (company.name, company.vat_number, company.contact) == (
        "Acme S.r.l.",
        "12345678903",
        "Anna, anna@acme.example",
    )
    event = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == "company.created")
    ).scalar_one()
    assert (
        event.partner_id == admin.partner.id and event.actor_id == admin.id and event.object_id == company.id
    )
    page = client.get("/partner/companies").get_data(as_text=True)
    assert "Acme S.r.l." in page and "12345678903" in page


def test_vat_and_contact_are_optional(client, db, admin):
    assert post_company(client, "/partner/companies/new", name="No VAT").status_code == 302
    [company] = companies_of(db, admin.partner)
    assert company.vat_number is None and company.contact is None


def test_a_name_is_required(client, db, admin):
    response = post_company(client, "/partner/companies/new", name="  ")
    assert response.status_code == 422
    assert "This field is required." in response.get_data(as_text=True)
    assert companies_of(db, admin.partner) == []


def test_a_bad_vat_number_is_a_field_error_and_nothing_is_created(client, db, admin):
    response = post_company(client, "/partner/companies/new", name="Acme", vat_number="12345")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "partita IVA" in html and 'id="vat_number-errors"' in html
    assert companies_of(db, admin.partner) == []


def test_names_are_unique_within_the_partner_only(client, db, factory, admin):
    svc.create_company(None, factory.partner(), "Acme")  # another partner's Acme
    assert post_company(client, "/partner/companies/new", name="Acme").status_code == 302
    response = post_company(client, "/partner/companies/new", name="ACME")
    assert response.status_code == 422
    assert "already have a company with this name" in response.get_data(as_text=True)
    assert len(companies_of(db, admin.partner)) == 1


def test_an_htmx_submit_gets_the_form_fragment_back(client, admin):
    path = "/partner/companies/new"
    response = client.post(
        path,
        data={"csrf_token": csrf_token(client, path), "name": "A", "vat_number": "x"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<form id="company-form"') and "<html" not in html
    ok = client.post(
        path, data={"csrf_token": csrf_token(client, path), "name": "A"}, headers={"HX-Request": "true"}
    )
    assert ok.status_code == 204 and ok.headers["HX-Redirect"] == "/partner/companies"


# --- edit ----------------------------------------------------------------------------------


def test_edit_a_company(client, db, admin):
    company = svc.create_company(admin, admin.partner, "Old name", "12345678903", "old")
    path = f"/partner/companies/{company.id}/edit"
    page = client.get(path).get_data(as_text=True)
    assert 'value="Old name"' in page
    response = post_company(client, path, name="New name", vat_number="12.345.678/0001-95", contact="")
    assert response.status_code == 302
    db.session.expire_all()
    assert (company.name, company.vat_number, company.contact) == ("New name", "12345678000195", None)
    event = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == "company.updated")
    ).scalar_one()
    assert event.partner_id == admin.partner.id
    assert event.details["changes"]["name"] == ["Old name", "New name"]


def test_edit_keeps_the_name_unique(client, db, admin):
    svc.create_company(admin, admin.partner, "Taken")
    company = svc.create_company(admin, admin.partner, "Mine")
    response = post_company(client, f"/partner/companies/{company.id}/edit", name="taken")
    assert response.status_code == 422
    # Its own name (in another case) is fine.
    assert post_company(client, f"/partner/companies/{company.id}/edit", name="MINE").status_code == 302


# --- list and isolation -----------------------------------------------------------------------


def test_the_list_shows_only_this_partners_companies_paginated(client, factory, admin):
    for i in range(27):
        svc.create_company(admin, admin.partner, f"Company {i:02d}")
    svc.create_company(None, factory.partner(), "Someone else's")
    first = client.get("/partner/companies").get_data(as_text=True)
    assert "Company 00" in first and "Company 24" in first and "Company 25" not in first
    assert "Someone else" not in first
    second = client.get("/partner/companies?page=2").get_data(as_text=True)
    assert "Company 25" in second and "Company 26" in second and "Company 00" not in second


def test_the_list_counts_students(client, factory, admin):
    company = svc.create_company(admin, admin.partner, "Acme")
    for _ in range(2):
        student = factory.student(admin.partner)
        student.company_id = company.id
    html = client.get("/partner/companies").get_data(as_text=True)
    assert f'href="/partner/students?company={company.id}">2<' in html


def test_another_partners_company_is_a_404(client, db, factory, admin):
    foreign = svc.create_company(None, factory.partner(), "Foreign")
    path = f"/partner/companies/{foreign.id}/edit"
    assert client.get(path).status_code == 404
    token = csrf_token(client, "/partner/companies/new")
    assert client.post(path, data={"csrf_token": token, "name": "Hijacked"}).status_code == 404
    db.session.expire_all()
    assert foreign.name == "Foreign"
    assert client.get("/partner/companies/999999/edit").status_code == 404


def test_the_service_refuses_another_partners_company(factory):
    mine, theirs = factory.partner(), factory.partner()
    company = svc.create_company(None, theirs, "Theirs")
    with pytest.raises(svc.NotYourCompany):
        svc.update_company(None, mine, company, "Mine now")


def test_nav_links_to_students_and_companies(client, admin):
    html = client.get("/partner/").get_data(as_text=True)
    assert 'href="/partner/students"' in html and 'href="/partner/companies"' in html


def test_the_database_refuses_a_duplicate_company_name_that_slips_past_the_check(db, factory):
    """Two requests racing past the service's check: the unique index settles it."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    from app.models import Company

    partner = factory.partner()
    db.session.add(Company(partner_id=partner.id, name="Rossi Srl"))
    db.session.flush()
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(Company(partner_id=partner.id, name="ROSSI SRL"))
            db.session.flush()
    other = factory.partner()
    db.session.add(Company(partner_id=other.id, name="Rossi Srl"))  # another partner may
    db.session.flush()
