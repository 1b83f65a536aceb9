"""Issue 13's browser test: the platform admin links the demo student to a seat of the demo invoice "after full
payment", records two partial payments, and the student sees the courses appear after the second one."""

import subprocess

import pytest

from tests.e2e.conftest import BIN, LIVE_ENV, ROOT
from tests.e2e.test_browser_smoke import PageWatch, sign_in

from playwright.sync_api import expect  # noqa: E402  (after the smoke module's Chromium check)

pytestmark = pytest.mark.e2e

COURSES = ("Excel Essentials", "Workplace Safety Basics")  # the Office Bundle


def _my_courses(page):
    page.goto("/member/")
    page.wait_for_load_state("networkidle")
    return page.locator("main").inner_text()


def _record_payment(admin, amount: str, reference: str) -> None:
    form = admin.locator("#payment-form")
    form.get_by_label("Amount").fill(amount)
    form.get_by_label("Reference").fill(reference)
    form.get_by_role("button", name="Record payment").click()
    expect(admin.locator("#payments-table")).to_contain_text(reference)
    admin.wait_for_load_state("networkidle")


def test_a_seat_linked_after_full_payment_opens_the_courses_with_the_second_payment(browser, live_server):
    student_ctx = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    admin_ctx = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    student, admin = student_ctx.new_page(), admin_ctx.new_page()
    student_watch, admin_watch = PageWatch(student), PageWatch(admin)
    try:
        sign_in(student, "student@example.com")
        student.wait_for_url("**/member/", wait_until="networkidle")
        assert not any(course in _my_courses(student) for course in COURSES)

        sign_in(admin, "admin@example.com")
        admin.wait_for_url("**/platform/", wait_until="networkidle")
        admin.get_by_role("link", name="Invoices").click()
        admin.wait_for_load_state("networkidle")
        admin.locator("#invoices-table tr", has_text="Rossi S.r.l.").get_by_role("link").first.click()
        admin.wait_for_load_state("networkidle")
        expect(admin.locator("#invoice-body h1")).to_contain_text("Partially paid")

        admin.get_by_role("link", name="+ Link access").click()
        dialog = admin.locator("#link-seat-dialog")
        expect(dialog).to_be_visible()
        dialog.get_by_label("Find the user").fill("student@example")
        dialog.get_by_label("Sara Student").check()
        dialog.get_by_label("Product").select_option(label="Office Bundle (2 of 5 seats free)")
        dialog.get_by_label("After full payment").check()
        dialog.get_by_role("button", name="Link access").click()
        expect(dialog).to_be_hidden()
        seat = admin.locator("#seats-table tr", has_text="student@example.com")
        expect(seat).to_contain_text("Waiting for payment")
        expect(admin.locator("[id$='-counts']").first).to_contain_text("4 of 5 linked")

        _record_payment(admin, "400", "E2E-CRO-1")
        expect(admin.locator("#invoice-body h1")).to_contain_text("Partially paid")
        expect(seat).to_contain_text("Waiting for payment")
        assert not any(course in _my_courses(student) for course in COURSES)

        _record_payment(admin, "345", "E2E-CRO-2")
        expect(admin.locator("#invoice-body h1")).to_contain_text("Paid")
        expect(admin.locator("#seats-table tr", has_text="student@example.com")).to_contain_text("Released")
        assert all(course in _my_courses(student) for course in COURSES)

        admin_watch.assert_clean()
        student_watch.assert_clean()
    finally:
        admin_ctx.close()
        student_ctx.close()

    audit = subprocess.run([str(BIN / "flask"), "audit-invoices"], env=LIVE_ENV, cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "Invoice audit passed" in audit.stdout
