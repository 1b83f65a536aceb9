"""Issue 3's "done when", in a real browser: a partner enrols until the credits run out and
sees the refusal in place; the platform admin sees the debits, recharges from the dialog; the
partner enrols again; and `flask audit-ledger` passes on the server's database."""

import subprocess

import pytest

from tests.e2e.conftest import BIN, LIVE_ENV, ROOT
from tests.e2e.test_browser_smoke import sign_in

from playwright.sync_api import expect  # noqa: E402  (after the smoke module's Chromium check)

pytestmark = pytest.mark.e2e

COURSE = "Workplace Safety Basics — 10 credits"


def _credits_dialog(page, partner: str, operation: str, amount: int, reason: str) -> None:
    row = page.locator("tr", has_text=partner)
    row.get_by_role("link", name=f"{operation} {partner}").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Amount (credits)", exact=True).fill(str(amount))
    dialog.get_by_label("Reason", exact=True).fill(reason)
    dialog.locator("button[type=submit]").click()
    expect(page.locator("dialog[open]")).to_have_count(0)


def _enrol(page, student_label: str) -> None:
    """The student picker (a combobox) by keyboard: type part of the name, Down to the match, Enter."""
    picker = page.get_by_role("combobox", name="Student")
    picker.fill(student_label.split(" <")[0])
    option = page.get_by_role("option", name=student_label.split(" <")[0])
    expect(option).to_be_visible()
    expect(picker).to_have_attribute("aria-expanded", "true")
    picker.press("ArrowDown")
    expect(picker).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
    picker.press("Enter")
    expect(picker).to_have_value(student_label)
    expect(page.locator("#student-options")).to_be_hidden()
    page.locator("#enrol-form").get_by_label("Course", exact=True).select_option(label=COURSE)
    page.locator("#enrol-form button[type=submit]:not([form])").click()


def test_enrol_until_refused_recharge_and_enrol_again(watched, live_server):
    admin, _ = watched(1280, 800)
    partner, partner_watch = watched(390, 844)  # a phone
    # The refused enrolment answers 422 by design (htmx swaps it); nothing else may fail.
    partner_watch.expect_status(422, "/partner/enrolments")
    # The platform leaves Demo Partner 15 credits (deduction through the dialog).
    sign_in(admin, "admin@example.com")
    admin.wait_for_url("**/platform/", wait_until="networkidle")  # let the login finish loading
    admin.goto("/platform/partners")
    _credits_dialog(admin, "Demo Partner", "Deduct", 85, "Test: leave 15")
    expect(admin.locator("tr", has_text="Demo Partner").locator("td.balance")).to_have_text("15")

    sign_in(partner, "partner@example.com")
    partner.wait_for_url("**/partner/", wait_until="networkidle")
    for n in (1, 2):
        partner.goto("/partner/students/new")
        partner.get_by_label("Email", exact=True).fill(f"flow{n}@example.com")
        partner.get_by_label("Name", exact=True).fill(f"Flow Student {n}")
        partner.locator("main form button[type=submit]").click()
        expect(partner.locator(".toast").last).to_be_visible()
        partner.wait_for_load_state("networkidle")

    partner.goto("/partner/enrolments")
    _enrol(partner, "Flow Student 1 <flow1@example.com>")
    expect(partner.locator("#wallet-balance")).to_have_text("5")
    expect(partner.locator("#enrolment-rows")).to_contain_text("flow1@example.com")

    _enrol(partner, "Flow Student 2 <flow2@example.com>")
    refusal = partner.locator("#enrol-refusal")
    expect(refusal).to_contain_text("Not enough credits")
    expect(refusal).to_contain_text("Missing: 5 credits")
    expect(partner.locator("#wallet-balance")).to_have_text("5")

    # The admin sees the debit in the history, and recharges.
    admin.goto("/platform/partners")
    admin.locator("tr", has_text="Demo Partner").get_by_role("link", name="History Demo Partner").click()
    expect(admin.locator("main")).to_contain_text("flow1@example.com")
    admin.goto("/platform/partners")
    _credits_dialog(admin, "Demo Partner", "Recharge", 20, "Test: top up")
    expect(admin.locator("tr", has_text="Demo Partner").locator("td.balance")).to_have_text("25")

    partner.goto("/partner/enrolments")
    _enrol(partner, "Flow Student 2 <flow2@example.com>")
    expect(partner.locator("#wallet-balance")).to_have_text("15")
    expect(partner.locator("#enrol-refusal")).to_have_count(0)

    audit = subprocess.run([str(BIN / "flask"), "audit-ledger"], env=LIVE_ENV, cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "Ledger audit passed" in audit.stdout
