"""Browser smoke test: every demo account signs in through a real Chromium.

Each page must load without a console error, a failed request, a response
>= 400 or a Content-Security-Policy violation, with Bootstrap and htmx loaded
and htmx configured as base.html says (no eval). One HTMX round trip (the
platform admin re-sends a failed email) and the navbar's sign-out close it.
"""

from __future__ import annotations

import os
import re

import pytest

from tests.e2e.conftest import CHROMIUM, DEMO_PASSWORD, PageWatch  # noqa: F401 (PageWatch: other tests import it from here)

if not os.path.exists(CHROMIUM):
    if os.environ.get("AULA_REQUIRE_BROWSER"):  # set by .ci/run: CI must never skip these
        raise RuntimeError(f"AULA_REQUIRE_BROWSER is set but {CHROMIUM} is missing")
    pytest.skip("Chromium not installed: apt-get install chromium", allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402

pytestmark = pytest.mark.e2e

ACCOUNTS = [
    ("admin@example.com", "/platform/"),
    ("partner@example.com", "/partner/"),
    ("wl@example.com", "/partner/"),
    ("reseller@example.com", "/reseller/"),
    ("customer@example.com", "/member/"),
    ("student@example.com", "/member/"),
]

def assert_frontend_ready(page: Page) -> None:
    """htmx, Bootstrap and the app's config are really there (not 404'd or blocked)."""
    assert page.evaluate("typeof htmx") == "object", "htmx.min.js did not load"
    assert page.evaluate("htmx.config.allowEval") is False, "htmx may eval (the CSP forbids it)"
    assert page.evaluate("htmx.config.selfRequestsOnly") is True
    assert page.evaluate("typeof bootstrap") == "object", "bootstrap.bundle.min.js did not load"
    # Bootstrap's CSS is applied: its .navbar is a flex container, its .container is centred.
    assert page.evaluate("getComputedStyle(document.querySelector('nav.navbar')).display") == "flex"
    expect(page.locator("nav.navbar")).to_be_visible()


def sign_in(page: Page, email: str) -> None:
    page.goto("/auth/login")
    expect(page.locator("main h1")).to_be_visible()
    assert_frontend_ready(page)
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()


@pytest.mark.parametrize(("email", "home"), ACCOUNTS, ids=[a[0].split("@")[0] for a in ACCOUNTS])
def test_demo_account_signs_in_to_its_home(page, watch, live_server, screenshot_dir, email, home):
    sign_in(page, email)
    page.wait_for_url(live_server + home)
    page.wait_for_load_state("networkidle")

    expect(page.locator("main").get_by_role("heading").first).to_be_visible()
    page.locator("nav.navbar #account-menu").click()  # the account menu holds the language and Sign out
    expect(page.locator("nav.navbar form[action$='/auth/logout'] button")).to_be_visible()
    assert_frontend_ready(page)
    page.screenshot(path=screenshot_dir / f"home-{email.split('@')[0]}.png", full_page=True)
    watch.assert_clean()


def test_admin_resends_a_failed_email_over_htmx_then_signs_out(page, watch, live_server, screenshot_dir):
    sign_in(page, "admin@example.com")
    page.wait_for_url(live_server + "/platform/")

    page.locator("nav.navbar").get_by_role("button", name="System").click()  # a menu of the less frequent pages
    page.locator("nav.navbar").get_by_role("link", name="Email log").click()
    page.wait_for_url(live_server + "/platform/emails")
    expect(page.locator("main h1")).to_have_text("Email log")
    row = page.locator("#email-rows tbody tr", has_text="Smoke test")
    expect(row).to_have_count(1)
    expect(row.locator(".badge")).to_have_text("Failed")
    assert_frontend_ready(page)

    with page.expect_response(re.compile(r"/platform/emails/\d+/resend$")) as response_info:
        row.get_by_role("button", name="Re-send").click()
    response = response_info.value
    headers = response.request.headers
    assert response.status == 200
    assert headers.get("hx-request") == "true", "the button did not go through htmx"
    assert headers.get("x-csrftoken"), "htmx did not send the CSRF token from <body hx-headers>"
    assert "<html" not in response.text(), "an HTMX request got the full page instead of the fragment"

    # The row was swapped in place (no navigation) and the flash came as an out-of-band toast.
    expect(row.locator(".badge")).to_have_text("Sent")
    expect(page.locator("#toasts .toast")).to_contain_text("queued again")
    assert page.url == live_server + "/platform/emails"
    expect(page.locator("nav.navbar")).to_have_count(1)
    expect(page.locator("#email-rows")).to_have_count(1)
    page.screenshot(path=screenshot_dir / "email-log-after-resend.png", full_page=True)

    page.locator("nav.navbar #account-menu").click()
    page.locator("nav.navbar form[action$='/auth/logout'] button[type=submit]").click()
    page.wait_for_url(live_server + "/auth/login")
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator("input[name=email]")).to_be_visible()
    expect(page.locator("#toasts .toast")).to_contain_text("signed out")
    watch.assert_clean()


def test_csp_listener_catches_a_violation(page, watch):
    """The watch is not vacuous: an inline script is refused and reported."""
    page.goto("/auth/login")
    page.evaluate("""() => {
        const s = document.createElement("script");
        s.textContent = "window.__inlineRan = true;";
        document.head.appendChild(s);
    }""")
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.__inlineRan") is None
    assert page.evaluate("window.__cspViolations[0].directive").startswith("script-src")
    assert any("CSP" in p for p in watch.problems), watch.problems
    watch.problems.clear()  # provoked on purpose
    page.evaluate("window.__cspViolations = []")


def test_watch_fails_on_a_console_error_and_an_unexpected_status(page, watch):
    """An htmx console error or a response >= 400 the test did not expect is a problem; an expected one is not."""
    page.goto("/auth/login")
    page.evaluate("console.error('something broke')")
    page.goto("/no-such-page")
    page.wait_for_load_state("networkidle")
    assert any("something broke" in p for p in watch.problems), watch.problems
    assert any("HTTP 404" in p for p in watch.problems), watch.problems
    watch.problems.clear()

    watch.expect_status(404, "/still-no-such-page")
    page.goto("/still-no-such-page")
    page.wait_for_load_state("networkidle")
    assert watch.problems == []
