"""The platform admin's directory: every account and reseller, searchable and paginated at a fixed
number of queries per page, and a person's card (role, tenant, status, enrolments)."""

from __future__ import annotations

import re
from html import unescape

import pytest

from app.models import Role
from app.services.enrolment.enrol import enrol_student
from app.services.ledger import wallets
from app.services.tenancy.companies import create_company


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def listed_emails(html: str) -> list[str]:
    return re.findall(r'<div class="small text-body-secondary">([^<]+@[^<]+)</div>', html)


@pytest.fixture
def admin(login_as):
    return login_as(Role.PLATFORM_ADMIN)


def test_the_home_counters_open_their_lists(client, admin, factory):
    factory.student(factory.partner())
    factory.user(Role.CUSTOMER)
    html = client.get("/platform/").get_data(as_text=True)
    for href in ('href="/platform/partners"', 'href="/platform/resellers"', 'href="/platform/people"',
                 'href="/platform/people?role=student"', 'href="/platform/people?role=customer"'):
        assert href in html
    assert client.get("/platform/people?role=student").status_code == 200


def test_people_are_found_by_name_email_role_and_tenant(client, admin, factory):
    acme = factory.partner(name="Acme Training")
    shop = factory.reseller(name="Shop Srl")
    factory.student(acme, email="giulia@example.com").name = "Giulia Bianchi"
    factory.student(factory.partner(name="Other"), email="marco@example.com")
    factory.user(Role.CUSTOMER, email="carla@example.com", reseller=shop)

    def found(query):
        return sorted(listed_emails(client.get(f"/platform/people?{query}").get_data(as_text=True)))

    assert found("q=bianchi") == ["giulia@example.com"]
    assert found("q=MARCO@") == ["marco@example.com"]
    assert found("q=acme") == ["giulia@example.com"]  # the partner's name
    assert found("q=shop") == ["carla@example.com"]  # the reseller's name
    assert found("role=customer") == ["carla@example.com"]
    assert found(f"role=student&organisation=p{acme.id}") == ["giulia@example.com"]
    assert found(f"organisation=r{shop.id}") == ["carla@example.com"]


def test_an_htmx_search_gets_the_rows_alone(client, admin, factory):
    factory.student(factory.partner(), email="zoe@example.com")
    response = client.get("/platform/people?q=zoe", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<section id="people-rows"') and "zoe@example.com" in html


@pytest.mark.parametrize("query", ["role=wizard", "organisation=x9", "q=" + "x" * 300])
def test_a_bad_search_is_refused_with_a_message(client, admin, query):
    response = client.get(f"/platform/people?{query}")
    assert response.status_code == 422
    assert "Correct the search" in response.get_data(as_text=True)


def _people(factory, n):
    """``n`` people of every kind, each with their own partner or reseller (and company)."""
    for i in range(n):
        kind = i % 3
        if kind == 0:
            partner = factory.partner()
            student = factory.student(partner)
            student.company_id = create_company(None, partner, f"Co {factory.n()}").id
        elif kind == 1:
            factory.user(Role.CUSTOMER)
        else:
            factory.user(Role.PARTNER_ADMIN)


def test_a_page_of_people_costs_the_same_queries_with_6_or_45_rows(client, db, admin, factory, count_queries):
    _people(factory, 5)
    db.session.commit()
    with count_queries() as few:
        assert client.get("/platform/people").status_code == 200
    _people(factory, 39)
    db.session.commit()
    with count_queries() as many:
        html = client.get("/platform/people").get_data(as_text=True)
    assert len(listed_emails(html)) >= 45
    assert many.count == few.count, "\n".join(many.statements)


def test_resellers_list_their_customers_staff_and_balance_in_fixed_queries(client, db, admin, factory,
                                                                         count_queries):
    shop = factory.reseller(name="Shop Srl")
    for _ in range(3):
        factory.user(Role.CUSTOMER, reseller=shop)
    factory.user(Role.RESELLER, reseller=shop)
    wallets.recharge(wallets.wallet_of(shop), 1234, actor=admin, note="t")
    db.session.commit()
    with count_queries() as few:
        html = client.get("/platform/resellers?q=shop").get_data(as_text=True)
    row = re.search(rf'<tr id="reseller-{shop.id}">(.*?)</tr>', html, re.S).group(1)
    assert [text_of(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)][:3] == ["3", "1", "1,234"]
    for _ in range(20):
        factory.reseller()
    db.session.commit()
    with count_queries() as many:
        client.get("/platform/resellers")
    assert many.count == few.count


def test_a_persons_card_shows_role_tenant_status_and_enrolments(app, client, admin, factory):
    partner = factory.partner(name="Acme Training", credits=100)
    student = factory.student(partner, email="giulia@example.com")
    course = factory.course(title="Fire Safety", value=10)
    with app.test_request_context():
        enrol_student(admin, partner, student, course)
    html = client.get(f"/platform/people/{student.id}").get_data(as_text=True)
    text = text_of(html)
    assert "Role Student" in text and "Belongs to Acme Training (partner)" in text
    assert re.search(r"<h1[^>]*>.*Active.*</h1>", html, re.S)  # the status
    assert re.search(r'data-enrolment="\d+"', html) and "Fire Safety" in text and "Active" in text


def test_an_unknown_person_is_not_found_and_only_the_platform_sees_the_directory(client, login_as, factory):
    login_as(Role.PLATFORM_ADMIN)
    assert client.get("/platform/people/999999").status_code == 404
    other = factory.student(factory.partner())
    client.post("/auth/logout", data={})
    login_as(Role.PARTNER_ADMIN)
    assert client.get(f"/platform/people/{other.id}").status_code in (403, 404)
    assert client.get("/platform/people").status_code in (403, 404)
