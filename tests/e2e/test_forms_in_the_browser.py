"""Forms and filters driven in Chromium: a refused form, a filter with nothing ticked.

The watch (tests/e2e/conftest.py) fails each test on a console error, a failed request, an
unexpected status or a Content-Security-Policy violation.
"""

from __future__ import annotations

import pytest

from tests.e2e.test_browser_smoke import sign_in

from playwright.sync_api import expect  # noqa: E402  (after the smoke module's Chromium check)

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
