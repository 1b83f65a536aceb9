"""Issue 12 in a real browser: the platform admin changes the demo student's plan from the CRM (+ Product, then
removes the old access), edits the new order to remove all delays (watching the live preview), and the student's
course page shows the lessons opening. It changes the demo for good, so it runs on a server of its own."""

import re

import pytest

from tests.e2e.test_browser_smoke import PageWatch, sign_in

from playwright.sync_api import expect  # noqa: E402  (after the smoke module's Chromium check)

pytestmark = pytest.mark.e2e

OLD = "Customer Care · Guided (weekly, with a checkpoint)"
NEW = "Office Bundle · Drip (one lesson a week)"
COURSE = "Workplace Safety Basics"


def _states(page):
    page.wait_for_load_state("networkidle")
    return page.locator("#lesson-list > li").evaluate_all("items => items.map(i => i.dataset.state)")


def _open_dialog(page, link_name, row=None):
    """Open a CRM dialog by its link (on the card, or in the grant row ``row``)."""
    scope = page.locator("#grants tbody tr", has_text=row) if row else page
    scope.get_by_role("link", name=link_name).click()
    dialog = page.locator("dialog#crm-dialog")
    expect(dialog).to_be_visible()
    return dialog


def test_the_admin_changes_the_students_plan_then_removes_the_delays(browser, own_server):
    admin_ctx = browser.new_context(base_url=own_server, viewport={"width": 1280, "height": 900})
    student_ctx = browser.new_context(base_url=own_server, viewport={"width": 390, "height": 844})
    admin, student = admin_ctx.new_page(), student_ctx.new_page()
    admin_watch, student_watch = PageWatch(admin), PageWatch(student)
    try:
        sign_in(admin, "admin@example.com")
        admin.wait_for_url("**/platform/", wait_until="networkidle")
        admin.locator("nav.navbar").get_by_role("link", name="CRM").click()
        admin.wait_for_load_state("networkidle")
        with admin.expect_response(lambda response: "/platform/crm?q=student" in response.url):
            admin.get_by_label("Search contacts").fill("student@example")  # htmx, as one types
        expect(admin.locator("#contact-rows tbody tr")).to_have_count(1)
        expect(admin).to_have_url(re.compile(r"/platform/crm\?q=student"))  # pushed: the search has its own URL
        admin.get_by_role("link", name="Sara Student").click()
        admin.wait_for_load_state("networkidle")
        expect(admin.locator("#grants")).to_contain_text(OLD)

        # + Product: the dialog narrows the offers to the chosen product and says which start date applies.
        dialog = _open_dialog(admin, "+ Product")
        expect(dialog.get_by_role("heading")).to_have_text("Give Sara Student a product")
        dialog.get_by_label("Product", exact=True).select_option(label="Office Bundle")
        expect(dialog.locator("#start-help")).to_contain_text("No current access to these courses")
        dialog.get_by_label("Offer").select_option(label="Drip (one lesson a week)")
        dialog.get_by_label("Start today").check()
        dialog.get_by_label("Reason").fill("Moves to the bundle")
        dialog.get_by_role("button", name="Give the product").click()
        expect(dialog).to_be_hidden()
        expect(admin.locator("#grants")).to_contain_text(NEW)

        # The old access goes, after a confirmation that says what ends and that progress is kept.
        dialog = _open_dialog(admin, "Remove", row=OLD)
        expect(dialog).to_contain_text("Customer Care Essentials")
        expect(dialog).to_contain_text("Lessons done are kept")
        dialog.get_by_label("Reason").fill("Plan change to the bundle")
        dialog.get_by_role("button", name="Remove the access").click()
        expect(dialog).to_be_hidden()
        expect(admin.locator("#grants tbody tr", has_text=OLD)).to_contain_text("Removed")

        sign_in(student, "student@example.com")
        student.wait_for_url("**/member/", wait_until="networkidle")
        expect(student.locator("main")).not_to_contain_text("Customer Care Essentials")
        student.get_by_role("link", name=COURSE).click()
        assert _states(student) == ["open", "scheduled", "scheduled", "scheduled"]

        # Edit order: the live preview shows the lessons opening before anything is saved.
        dialog = _open_dialog(admin, "Edit order", row=NEW)
        row = dialog.locator("#order-settings tr[data-field='lesson_release:2']")
        expect(row).to_contain_text("Inherited")
        dialog.get_by_label("Remove all delays").check()
        preview = dialog.locator("#order-preview")
        expect(preview.locator("#order-changes")).to_contain_text("Remove all delays")
        expect(preview.locator("tr[data-after='open']")).to_have_count(4 + 5)  # both courses of the bundle
        student.reload()
        assert _states(student) == ["open", "scheduled", "scheduled", "scheduled"], "the preview saved nothing"
        dialog.get_by_label("Reason").fill("Wants to study at her own pace")
        dialog.get_by_role("button", name="Save").click()
        expect(dialog).to_be_hidden()

        student.reload()
        assert _states(student) == ["open", "open", "open", "open"]

        admin.locator("#contact-tab").get_by_role("link", name="Timeline").click()
        timeline = admin.locator("#timeline")
        expect(timeline.locator("li").first).to_contain_text("Settings changed")
        expect(timeline).to_contain_text("Wants to study at her own pace")
        expect(timeline).to_contain_text("Plan change to the bundle")
        expect(admin).to_have_url(re.compile(r"/timeline$"))

        admin_watch.assert_clean()
        student_watch.assert_clean()
    finally:
        admin_ctx.close()
        student_ctx.close()
