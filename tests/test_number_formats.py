"""Credits and money read one way everywhere: grouped by the locale (1,000,000,072), through the
``credits`` and ``money`` filters of app/web.py, in pages, toasts and emails alike."""

from __future__ import annotations

import re
from html import unescape

import pytest
import sqlalchemy as sa

from app.models import EmailMessage, Role
from app.services.ledger import wallets
from tests.conftest import csrf_token

BIG = 1_000_000_000
# A run of five or more digits with no grouping: how a number is NOT meant to be shown.
UNGROUPED = re.compile(r"(?<![\d,.#/\w-])\d{5,}(?![\d,.\w-])")


def visible_text(html: str) -> str:
    """The text a reader sees: no tags or attributes, no scripts."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def ungrouped_numbers(html: str) -> list[str]:
    return UNGROUPED.findall(visible_text(html))


@pytest.fixture
def rich_partner(factory):
    partner = factory.partner(name="Rich Partner", credits=BIG)
    wallets.recharge(wallets.wallet_of(partner), 72, actor=factory.platform_admin(), note="top up")
    return partner


@pytest.fixture
def dear_course(factory):
    return factory.course(title="Dear Course", value=123_456)


@pytest.mark.parametrize("path", ["/platform/partners", "/platform/partners/{id}", "/platform/partners/{id}/wallet",
                                  "/platform/partners/{id}/recharge", "/platform/courses",
                                  "/platform/courses/{course}/pricing"])
def test_platform_pages_group_large_numbers(client, login_as, rich_partner, dear_course, path):
    login_as(Role.PLATFORM_ADMIN)
    html = client.get(path.format(id=rich_partner.id, course=dear_course.id)).get_data(as_text=True)
    assert ungrouped_numbers(html) == []
    assert "1,000,000,072" in html or "123,456" in html


@pytest.mark.parametrize("path", ["/partner/", "/partner/wallet", "/partner/catalog", "/partner/enrolments",
                                  "/partner/enrolments/bulk"])
def test_partner_pages_group_large_numbers(client, login_as, rich_partner, dear_course, path):
    login_as(Role.PARTNER_ADMIN, partner=rich_partner)
    html = client.get(path).get_data(as_text=True)
    assert ungrouped_numbers(html) == []


def test_the_recharge_toast_groups_the_balance_as_the_table_does(client, login_as, rich_partner):
    login_as(Role.PLATFORM_ADMIN)
    path = f"/platform/partners/{rich_partner.id}/recharge"
    prefix = f"recharge-{rich_partner.id}"
    page = client.get(path).get_data(as_text=True)
    key = re.search(rf'name="{prefix}-idempotency_key" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(path, data={"csrf_token": csrf_token(client, path), f"{prefix}-amount": "50000",
                                       f"{prefix}-reason": "big", f"{prefix}-idempotency_key": key},
                           headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    toast = re.search(r'class="toast.*?</div>\s*</div>', html, re.S).group(0)
    assert "50,000 credits added" in toast and "Balance: 1,000,050,072" in toast
    assert ungrouped_numbers(html) == []


def test_a_bulk_preview_groups_its_totals(client, login_as, factory, rich_partner, dear_course):
    login_as(Role.PARTNER_ADMIN, partner=rich_partner)
    students = [factory.student(rich_partner) for _ in range(3)]
    path = "/partner/enrolments/bulk"
    html = client.post(f"{path}/preview", data={
        "csrf_token": csrf_token(client, path), "course_id": str(dear_course.id),
        "student_ids": [str(s.id) for s in students]}, content_type="multipart/form-data").get_data(as_text=True)
    assert "370,368 credits" in visible_text(html)
    assert ungrouped_numbers(html) == []


def test_the_low_balance_email_groups_its_numbers(app, db, factory, dear_course):
    partner = factory.partner(credits=200_000, low_balance_threshold=150_000)
    factory.user(Role.PARTNER_ADMIN, partner=partner)
    student = factory.student(partner)
    from app.services.enrolment.enrol import enrol_student

    with app.test_request_context():
        enrol_student(factory.platform_admin(), partner, student, dear_course)
    email = db.session.execute(sa.select(EmailMessage).where(EmailMessage.template == "low_balance")).scalar_one()
    assert "76,544" in email.body_text and "150,000" in email.body_text
    assert UNGROUPED.findall(email.body_text) == []


def test_refusals_worded_by_the_services_group_their_numbers(app, db, factory, rich_partner):
    from app.services import DomainError
    from app.services.tenancy.partners import deduct_from_partner

    admin = factory.platform_admin()
    with app.test_request_context(), pytest.raises(DomainError) as too_much:
        deduct_from_partner(admin, rich_partner, 2_000_000_000, reason="x", idempotency_key=None)
    assert "at most 1,000,000,000" in str(too_much.value.message)
    with app.test_request_context():
        other = factory.partner(credits=12_345)
        with pytest.raises(DomainError) as short:
            deduct_from_partner(admin, other, 123_456, reason="x", idempotency_key=None)
    assert "Only 12,345 credits are available" in str(short.value.message)
    assert "cannot lose 123,456" in str(short.value.message)
