"""The student picker and the dialogs loaded on demand, in Chromium (issue 8 item 16, issue 9).

The picker is a combobox a keyboard drives (type, Down, Enter); without JavaScript it is a
search box with a Search button and a select of the matches. A row's cancel question loads
into a dialog when asked for; Escape closes it and gives the focus back to its opener.
Whitelabel Academy WL enrols into its own free course, so the demo's credits stay as they were.
"""

import uuid

import pytest

from tests.e2e.test_browser_smoke import PageWatch, sign_in

from playwright.sync_api import expect  # noqa: E402  (after the smoke module's Chromium check)

pytestmark = pytest.mark.e2e

COURSE = "Academy Onboarding"


def _new_student(page, name: str) -> str:
    email = f"{name.lower().replace(' ', '.')}@example.com"
    page.goto("/partner/students/new")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Name", exact=True).fill(name)
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".toast").last).to_be_visible()
    page.wait_for_load_state("networkidle")
    return email


def _choose_course(page) -> None:
    page.locator("#course_id").select_option(page.locator("#course_id option", has_text=COURSE).get_attribute("value"))


def test_pick_by_keyboard_then_cancel_in_a_dialog_loaded_on_demand(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    watch = PageWatch(page)
    try:
        sign_in(page, "wl@example.com")
        page.wait_for_url("**/partner/", wait_until="networkidle")
        name = f"Picker {uuid.uuid4().hex[:8]}"
        email = _new_student(page, name)

        page.goto("/partner/enrolments")
        picker = page.get_by_role("combobox", name="Student")
        expect(page.get_by_label("Matching students")).to_be_hidden()  # the no-JavaScript select gives way
        picker.press_sequentially(name[:10], delay=30)
        option = page.get_by_role("option", name=name)
        expect(option).to_be_visible()
        picker.press("ArrowDown")
        expect(option).to_have_attribute("aria-selected", "true")
        picker.press("Enter")
        expect(picker).to_have_value(f"{name} <{email}>")
        expect(page.get_by_role("listbox")).to_be_hidden()
        _choose_course(page)
        page.get_by_role("button", name="Enrol", exact=True).click()
        row = page.locator("#enrolment-rows tr", has_text=email)
        expect(row).to_be_visible()

        opener = row.get_by_role("link", name="Cancel")
        opener.click()
        dialog = page.locator("dialog[open]")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("Cancel this enrolment?")
        page.keyboard.press("Escape")
        expect(page.locator("#dialog-host dialog")).to_have_count(0)
        expect(opener).to_be_focused()

        opener.click()
        page.locator("dialog[open]").get_by_role("button", name="Cancel enrolment").click()
        expect(page.locator("dialog[open]")).to_have_count(0)
        expect(page.locator("#enrolment-rows tr", has_text=email)).to_contain_text("Cancelled")
        watch.assert_clean()
    finally:
        context.close()


def test_the_picker_works_without_javascript(browser, live_server):
    context = browser.new_context(base_url=live_server, java_script_enabled=False,
                                  viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto("/auth/login")
        page.locator("input[name=email]").fill("wl@example.com")
        page.locator("input[name=password]").fill("demo-pass-2026")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/partner/")
        name = f"Plain {uuid.uuid4().hex[:8]}"
        page.goto("/partner/students/new")
        page.get_by_label("Email", exact=True).fill(f"{name.lower().replace(' ', '.')}@example.com")
        page.get_by_label("Name", exact=True).fill(name)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url("**/partner/students")

        page.goto("/partner/enrolments")
        page.locator("#student_q").fill(name)
        page.get_by_role("button", name="Search", exact=True).first.click()
        page.wait_for_url("**/partner/enrolments?*student_q=*")
        matches = page.get_by_label("Matching students")
        matches.select_option(label=f"{name} <{name.lower().replace(' ', '.')}@example.com>")
        _choose_course(page)
        page.get_by_role("button", name="Enrol", exact=True).click()
        page.wait_for_url("**/partner/enrolments")
        expect(page.locator("#enrolment-rows")).to_contain_text(name)
    finally:
        context.close()
