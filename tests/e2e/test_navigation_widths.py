"""The page header fits the screen in every language: at 1280 px the platform admin's and a whitelabel
partner admin's menus (the longest) stay on one line without a sideways scroll, Sign out is in the
account menu, and below the width where the links fit the menu folds into the toggler."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import DEMO_PASSWORD, PageWatch
from tests.e2e import test_browser_smoke  # noqa: F401  (skips this module where Chromium is missing)

from playwright.sync_api import expect  # noqa: E402  (after the Chromium check)

pytestmark = pytest.mark.e2e

LOCALES = {"en": "en-US", "it": "it-IT", "pt_BR": "pt-BR"}


@pytest.mark.parametrize("locale", list(LOCALES))
@pytest.mark.parametrize("email", ["admin@example.com", "wl@example.com", "reseller@example.com"])
def test_the_header_fits_at_every_width_in_every_language(browser, live_server, locale, email):
    context = browser.new_context(base_url=live_server, locale=LOCALES[locale],
                                  extra_http_headers={"Accept-Language": LOCALES[locale]},
                                  viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        watch = PageWatch(page)
        page.goto("/auth/login")
        page.locator("input[name=email]").fill(email)
        page.locator("input[name=password]").fill(DEMO_PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        for width in (1400, 1280, 1200, 1024, 390):
            page.set_viewport_size({"width": width, "height": 800})
            page.reload(wait_until="networkidle")
            assert page.evaluate("document.documentElement.scrollWidth") <= width, f"sideways scroll at {width} px"
            toggler = page.locator("nav.navbar .navbar-toggler")
            if toggler.is_visible():
                toggler.click()  # the folded menu opens with a transition: wait until it has
                expect(page.locator("#nav-main.show:not(.collapsing)")).to_have_count(1)
            menu = page.locator("nav.navbar #account-menu")
            expect(menu).to_be_visible()
            menu.click()
            expect(menu, f"the account menu at {width} px").to_have_attribute("aria-expanded", "true")
            expect(page.locator("nav.navbar form[action$='/auth/logout'] button"), f"Sign out at {width} px").to_be_visible()
            links = page.locator("nav.navbar #nav-main > .navbar-nav.me-auto > .nav-item")
            tops = {round(box["y"]) for box in (links.nth(i).bounding_box() for i in range(links.count()))}
            if not toggler.is_visible():
                assert len(tops) == 1, f"the menu wraps onto {len(tops)} lines at {width} px"
        watch.assert_clean()
    finally:
        context.close()
