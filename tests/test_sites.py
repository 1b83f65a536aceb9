"""Links in emails and PDFs come from the configured sites, never the Host header; other hosts are refused."""

import re

import pytest
import sqlalchemy as sa

from app.models import EmailMessage, Role
from app.services.enrolment.certificate_pdf import certificate_pdf
from app.services.enrolment.enrol import enrol_student
from app.services.enrolment.progress import mark_lesson_done
from app.services.people.students import create_student
from app.services.sales.activation import activate_order
from app.services.sales.customers import create_customer
from app.services.tenancy.partners import PartnerInvalid, create_partner, update_partner
from tests.pdf import pdf_text

PLATFORM = "https://aula.example.org"
WL_DOMAIN = "academy.example.com"


@pytest.fixture
def platform_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "PLATFORM_URL", PLATFORM)
    return PLATFORM


@pytest.fixture
def whitelabel(factory):
    return factory.partner(name="Academy", kind="whitelabel", domain=WL_DOMAIN)


def welcome_text(db, email):
    return db.session.execute(sa.select(EmailMessage.body_text).where(
        EmailMessage.recipient == email, EmailMessage.template == "welcome")).scalar_one()




# --- links ----------------------------------------------------------------------------


def test_a_set_password_link_comes_from_the_platform_url_not_the_request_host(app, db, factory, platform_url):
    partner = factory.partner()
    with app.test_request_context("/", base_url="http://evil.example.com"):
        create_student(None, partner, "new@example.com", "New Student")
    text = welcome_text(db, "new@example.com")
    assert re.search(r"https://aula\.example\.org/auth/set-password/[\w.-]+", text)
    assert "https://aula.example.org/auth/login" in text
    assert "evil.example.com" not in text


def test_a_whitelabel_students_set_password_link_is_on_the_partners_domain(app, db, whitelabel, platform_url):
    with app.test_request_context("/", base_url="http://evil.example.com"):
        create_student(None, whitelabel, "wl@example.com", "WL Student")
    text = welcome_text(db, "wl@example.com")
    assert re.search(r"https://academy\.example\.com/auth/set-password/[\w.-]+", text)
    assert "evil.example.com" not in text


def test_links_can_be_built_outside_a_request(app, db, factory, platform_url):
    """A job or a CLI command has no request (and no Host) at all."""
    partner = factory.partner()
    create_student(None, partner, "cli@example.com", "Cli Student")
    assert "https://aula.example.org/auth/set-password/" in welcome_text(db, "cli@example.com")


def email_text(db, email, template):
    return db.session.execute(sa.select(EmailMessage.body_text).where(
        EmailMessage.recipient == email, EmailMessage.template == template)).scalar_one()


def test_a_resellers_customer_gets_links_on_the_platform_url(app, db, factory, platform_url):
    reseller, _product, offer = factory.shop()
    with app.test_request_context("/", base_url="http://evil.example.com"):
        customer = create_customer(None, reseller, email="buyer@example.com", name="Buyer")
        activate_order(None, factory.order(customer, offer), mark_paid=True)
    welcome = email_text(db, "buyer@example.com", "customer_welcome")
    assert re.search(r"https://aula\.example\.org/auth/set-password/[\w.-]+", welcome)
    assert "https://aula.example.org/auth/login" in welcome
    assert "https://aula.example.org/member/" in email_text(db, "buyer@example.com", "order_active")
    assert not db.session.scalar(sa.select(sa.func.count(EmailMessage.id)).where(
        EmailMessage.body_text.contains("evil.example.com")))


@pytest.mark.parametrize("kind, site", [("default", PLATFORM), ("whitelabel", f"https://{WL_DOMAIN}")])
def test_a_released_seats_email_links_the_holders_own_site(app, db, factory, platform_url, kind, site):
    partner = factory.partner(kind=kind, domain=WL_DOMAIN if kind == "whitelabel" else None)
    student = factory.student(partner)
    _product, offer = factory.product(factory.course())
    invoice = factory.invoice((offer, 1))
    with app.test_request_context("/", base_url="http://evil.example.com"):
        factory.link(invoice, student, mode="now")
    text = email_text(db, student.email, "seat_released")
    assert f"{site}/member/" in text and "evil.example.com" not in text


@pytest.mark.parametrize("kind, site", [("default", PLATFORM), ("whitelabel", f"https://{WL_DOMAIN}")])
def test_the_certificate_verification_link_is_on_the_issuing_site(app, db, factory, platform_url, kind, site):
    partner = factory.partner(credits=10, kind=kind, domain=WL_DOMAIN if kind == "whitelabel" else None)
    admin = factory.user(Role.PARTNER_ADMIN, partner=partner)
    student = factory.student(partner)
    course = factory.course(value=1)
    enrolment = enrol_student(admin, partner, student, course)
    for lesson in course.lessons:
        mark_lesson_done(student, enrolment, lesson)
    with app.test_request_context("/", base_url="http://evil.example.com"):
        text = pdf_text(certificate_pdf(enrolment.certificate))
    assert f"{site}/verify/{enrolment.certificate.code}" in text
    assert "evil.example.com" not in text


# --- which hosts are served --------------------------------------------------------------


@pytest.mark.parametrize("host", [
    "evil.example.com", "127.0.0.1:8000", "[::1]:8000", "localhost.evil.example.com", "academy.example.com.evil.net",
])
def test_a_request_for_an_unknown_host_is_refused(client, whitelabel, host):
    assert client.get("/auth/login", headers={"Host": host}).status_code == 400


@pytest.mark.parametrize("host", ["localhost", "localhost:5000", WL_DOMAIN, "Academy.Example.com:8443"])
def test_the_platform_host_and_whitelabel_domains_are_served(client, whitelabel, host):
    assert client.get("/auth/login", headers={"Host": host}).status_code == 200


def test_static_files_are_refused_on_an_unknown_host(client):
    assert client.get("/static/css/app.css", headers={"Host": "evil.example.com"}).status_code == 400


def test_the_health_check_answers_on_any_host(client):
    """Load balancers probe by address."""
    assert client.get("/healthz", headers={"Host": "10.1.2.3:8000"}).status_code == 200


def test_a_changed_domain_is_served_at_once_and_the_old_one_refused(client, db, factory, whitelabel):
    """Read per request from the database: every worker sees the change."""
    assert client.get("/auth/login", headers={"Host": WL_DOMAIN}).status_code == 200
    update_partner(factory.platform_admin(), whitelabel, name="Academy", kind="whitelabel",
                   domain="learn.example.com")
    assert client.get("/auth/login", headers={"Host": WL_DOMAIN}).status_code == 400
    assert client.get("/auth/login", headers={"Host": "learn.example.com"}).status_code == 200


# --- whitelabel domains -------------------------------------------------------------------


@pytest.mark.parametrize("domain", [
    "127.0.0.1", "10.0.0.1", "1.2.3.4.5", "0x7f.0.0.1", "::1", "[::1]", "localhost", "example.123",
])
def test_a_whitelabel_domain_is_a_domain_name_not_an_address(db, factory, platform_url, domain):
    with pytest.raises(PartnerInvalid) as refused:
        create_partner(factory.platform_admin(), name="WL", kind="whitelabel", domain=domain)
    assert refused.value.field == "domain"


@pytest.mark.parametrize("domain", ["aula.example.org", "AULA.Example.org.", "www.aula.example.org"])
def test_a_whitelabel_domain_cannot_be_the_platforms_own(db, factory, platform_url, domain):
    with pytest.raises(PartnerInvalid, match="platform's own address") as refused:
        create_partner(factory.platform_admin(), name="WL", kind="whitelabel", domain=domain)
    assert refused.value.field == "domain"


@pytest.mark.parametrize("domain", ["academy.example.com", "academy.localhost", "xn--caf-dma.example.com",
                                    "learn.aula.example.org"])
def test_real_domain_names_are_accepted(db, factory, platform_url, domain):
    partner = create_partner(factory.platform_admin(), name="WL", kind="whitelabel", domain=domain)
    assert partner.domain == domain
