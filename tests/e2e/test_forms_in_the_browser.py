"""Forms and filters driven in Chromium: a refused form, a filter with nothing ticked.

The watch (tests/e2e/conftest.py) fails each test on a console error, a failed request, an
unexpected status or a Content-Security-Policy violation.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import add_demo_students, sign_in
from tests.e2e import test_browser_smoke  # noqa: F401  (skips this module where Chromium is missing)

from playwright.sync_api import expect  # noqa: E402  (after the Chromium check)

pytestmark = pytest.mark.e2e


def test_a_form_returned_with_errors_applies_no_inline_style(page, watch):
    """htmx copied a field's style attribute onto the swapped-in field (attributesToSettle): refused by the CSP."""
    sign_in(page, "partner@example.com")
    page.goto("/partner/students/new")
    # Browsers and extensions mark the fields they fill in (autofill, password managers) with a style.
    page.evaluate("""document.querySelectorAll('#student-form input, #student-form select')
                     .forEach((el) => { el.style.outline = '2px solid gold'; })""")
    watch.expect_status(422, "/partner/students/new")
    page.locator("#student-form button[type=submit]").click()

    expect(page.locator("#email-errors")).to_contain_text("This field is required")
    expect(page.locator("#name-errors")).to_be_visible()
    page.wait_for_timeout(200)  # past htmx's settle delay


def test_filtering_the_bulk_list_with_nothing_ticked_logs_no_error(page, watch):
    sign_in(page, "partner@example.com")
    page.goto("/partner/enrolments/bulk")
    with page.expect_response("**/partner/enrolments/bulk/students**") as response:
        page.get_by_role("button", name="Filter", exact=True).click()
    assert response.value.status == 200
    first = page.locator("#bulk-student-list input[type=checkbox]").first
    expect(first).not_to_be_checked()

    # A ticked student stays ticked through the next filtering.
    first.check()
    with page.expect_response("**/partner/enrolments/bulk/students**"):
        page.get_by_role("button", name="Filter", exact=True).click()
    expect(page.locator("#bulk-student-list input[type=checkbox]").first).to_be_checked()


def test_a_bulk_preview_short_of_credits_says_so_in_every_row_and_on_the_button(page, watch):
    emails = add_demo_students("short", 15)  # 150 credits at 10 each; Demo Partner has at most 100
    sign_in(page, "partner@example.com")
    page.goto("/partner/enrolments/bulk")
    page.get_by_label("Course", exact=True).select_option(label="Workplace Safety Basics — 10 credits")
    page.get_by_label("Emails", exact=True).fill("\n".join(emails))
    page.get_by_role("button", name="Preview", exact=True).click()
    page.wait_for_load_state("networkidle")

    expect(page.locator("#bulk-verdict")).to_contain_text("Not enough credits")
    badges = page.locator("tbody [data-outcome]")
    expect(badges).to_have_count(15)
    expect(page.locator("tbody [data-outcome=short_of_credits]")).to_have_count(15)
    expect(badges.first).to_have_text("Not enrolled: not enough credits")
    expect(page.get_by_text("Will be enrolled")).to_have_count(0)
    button = page.locator("form[action$='/partner/enrolments/bulk'] button[type=submit]")
    expect(button).to_be_disabled()
    expect(button).to_contain_text("Cannot enrol")
    expect(button).to_contain_text("credits missing")


def test_the_import_result_survives_reload_and_back(page, watch):
    sign_in(page, "partner@example.com")
    page.goto("/partner/students/import")
    csv = "email,name\nreload.one@example.com,Reload One\nnot-an-email,Broken Row\n"
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "students.csv", "mimeType": "text/csv", "buffer": csv.encode()}])
    page.get_by_role("button", name="Preview", exact=True).click()
    expect(page.locator("main h1")).to_have_text("Import preview")
    page.get_by_role("button", name="Import 1 student").click()
    page.wait_for_url("**/partner/students/import/*")
    expect(page.locator("main [role=status]")).to_contain_text("1 student created")
    result_url = page.url

    page.reload()  # a GET: no "confirm form resubmission", nothing imported again
    page.wait_for_load_state("networkidle")
    assert page.url == result_url
    expect(page.locator("main [role=status]")).to_contain_text("1 student created")
    expect(page.locator("main [data-outcome=invalid_email]")).to_have_count(1)

    page.go_back()  # the preview was never a page of the history: Back is the upload form
    page.wait_for_load_state("networkidle")
    expect(page.locator("main h1")).to_have_text("Import students from a CSV file")
    page.go_forward()
    page.wait_for_load_state("networkidle")
    expect(page.locator("main [role=status]")).to_contain_text("1 student created")
