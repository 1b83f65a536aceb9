"""Issue 11's "done when", in a real browser: a customer orders by bank transfer and reads the
transfer instructions, the reseller activates the order from the "to activate" list (the count in the
navigation bar drops without a reload), and the customer then sees the course."""

import subprocess

import pytest

from tests.e2e.conftest import BIN, LIVE_ENV, ROOT
from tests.e2e.test_browser_smoke import PageWatch, sign_in

from playwright.sync_api import expect  # noqa: E402  (after the smoke module's Chromium check)

pytestmark = pytest.mark.e2e

PRODUCT = "Workplace Safety"
COURSE = "Workplace Safety Basics"


def test_customer_orders_by_bank_transfer_reseller_activates_customer_sees_the_course(browser, live_server):
    customer_ctx = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})  # a phone
    reseller_ctx = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 800})
    customer, reseller = customer_ctx.new_page(), reseller_ctx.new_page()
    customer_watch, reseller_watch = PageWatch(customer), PageWatch(reseller)
    try:
        sign_in(customer, "customer@example.com")
        customer.wait_for_url("**/member/", wait_until="networkidle")
        customer.goto("/member/shop")
        offer = customer.locator("section.shop-offer", has_text=PRODUCT).first
        offer.get_by_label("Bank transfer").check()
        offer.get_by_role("button", name="Order").click()
        customer.wait_for_url("**/member/orders/*", wait_until="networkidle")
        expect(customer.locator("#bank-instructions")).to_contain_text("IBAN")
        number = customer.locator("main h1").inner_text().split()[1]

        sign_in(reseller, "reseller@example.com")
        reseller.wait_for_url("**/reseller/", wait_until="networkidle")
        reseller.get_by_role("link", name="See user list").click()
        reseller.wait_for_url("**/reseller/to-activate", wait_until="networkidle")
        count = int(reseller.locator("#to-activate-count").inner_text().split()[0])
        row = reseller.locator("tr", has_text=number)
        expect(row).to_contain_text("Waits: bank transfer")
        row.get_by_role("link", name=f"Activate {number}").click()
        dialog = reseller.locator("dialog[open]")
        expect(dialog).to_contain_text(f"Activate order {number}?")
        dialog.get_by_role("button", name="Activate").click()
        expect(reseller.locator("dialog[open]")).to_have_count(0)
        expect(reseller.locator("tr", has_text=number)).to_contain_text("Active")
        expect(reseller.locator("#to-activate-count")).to_contain_text(str(count - 1))

        customer.goto("/member/")
        expect(customer.locator("#my-courses")).to_contain_text(COURSE)
        customer.goto("/member/orders")
        expect(customer.locator("#my-orders")).to_contain_text(number)

        customer_watch.assert_clean()
        reseller_watch.assert_clean()
    finally:
        customer_ctx.close()
        reseller_ctx.close()

    audit = subprocess.run([str(BIN / "flask"), "audit-ledger"], env=LIVE_ENV, cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert audit.returncode == 0, audit.stdout + audit.stderr
