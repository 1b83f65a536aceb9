"""The platform admin builds a course with lessons, a combo product and two offers from the browser."""

import pytest

from tests.e2e.test_browser_smoke import PageWatch, sign_in

from playwright.sync_api import expect  # noqa: E402  (after the smoke module's Chromium check)

pytestmark = pytest.mark.e2e


def _add_lesson(page, title, *, homework=False, checkpoint=False):
    form = page.locator("#lesson-add-form")
    form.get_by_label("Title").fill(title)
    form.get_by_label("Content").fill(f"{title}: what to read.")
    if homework:
        form.get_by_label("Has homework").check()
    if checkpoint:
        form.get_by_label("Checkpoint").check()
    form.get_by_role("button", name="Add lesson").click()
    expect(page.locator("#lessons li .lesson-title", has_text=title)).to_be_visible()


def _go(page, link: str) -> None:
    """Follow a link once the current page has finished loading (else its scripts' requests are aborted)."""
    page.wait_for_load_state("networkidle")
    page.get_by_role("link", name=link).click()
    page.wait_for_load_state("networkidle")


def _offer(page, name, price, delays="", checkpoints=False, review="Automatic: accepted as soon as it is handed in"):
    _go(page, "New offer")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Price").fill(price)
    page.get_by_label("Delays (days), one per lesson in order").fill(delays)
    page.get_by_label("Homework review").select_option(label=review)
    if checkpoints:
        page.get_by_label("Checkpoints on", exact=False).check()
    page.get_by_role("button", name="Save offer").click()
    expect(page.locator("h1")).to_contain_text(name)


def test_the_admin_builds_a_course_a_combo_and_two_offers(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = PageWatch(page)
    try:
        sign_in(page, "admin@example.com")
        page.wait_for_url("**/platform/", wait_until="networkidle")
        page.goto("/platform/courses")
        _go(page, "New course")
        page.get_by_label("Title").fill("Negotiation Basics")
        page.get_by_role("button", name="Create course").click()
        expect(page.locator("h1")).to_have_text("Negotiation Basics")

        _add_lesson(page, "Preparing")
        _add_lesson(page, "Opening offer", homework=True, checkpoint=True)
        _add_lesson(page, "Closing")
        page.get_by_role("button", name="Move up Closing").click()
        expect(page.locator("#lessons li .lesson-title")).to_have_text(["Preparing", "Closing", "Opening offer"])

        page.locator("nav.navbar").get_by_role("button", name="Catalog").click()  # Courses and Products
        _go(page, "Products")
        _go(page, "New product")
        page.get_by_label("Name").fill("Sales Combo")
        page.get_by_label("Negotiation Basics").check()
        page.get_by_label("GDPR for Teams").check()
        page.get_by_role("button", name="Create product").click()
        expect(page.locator("h1")).to_have_text("Sales Combo")

        _offer(page, "Weekly", "99", delays="0, 7, 14", checkpoints=True, review="By a teacher (review queue)")
        preview = page.locator("#schedule-preview")
        expect(preview).to_contain_text("Negotiation Basics")
        page.get_by_label("Start date").fill("2026-03-27")
        page.get_by_role("button", name="Preview").click()
        expect(preview).to_contain_text("Apr 3, 2026")
        _go(page, "Sales Combo")
        _offer(page, "All at once", "149.50")
        _go(page, "Sales Combo")
        offers = page.locator("#offers")
        expect(offers).to_contain_text("Weekly")
        expect(offers).to_contain_text("€99.00")
        expect(offers).to_contain_text("€149.50")
        watch.assert_clean()
    finally:
        context.close()
