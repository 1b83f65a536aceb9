"""In Chromium: the pricing page's partner list follows "Assign to all partners", and a whitelabel
partner admin gives itself a logo that then shows on its own domain."""

from __future__ import annotations

import struct
import zlib

import pytest

from tests.e2e.conftest import sign_in
from tests.e2e import test_browser_smoke  # noqa: F401  (skips this module where Chromium is missing)

from playwright.sync_api import expect  # noqa: E402  (after the Chromium check)

pytestmark = pytest.mark.e2e


def _png(width: int, height: int) -> bytes:
    raw = b"".join(b"\x00" + b"\xff\xff\xff\xe0\x60\x10" * (width // 2) for _ in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _inert(page, selector: str) -> bool:
    return page.locator(selector).evaluate("(el) => el.inert")


def test_the_partner_list_is_inert_while_assign_to_all_is_ticked_and_kept(page, watch):
    sign_in(page, "admin@example.com")
    page.goto("/platform/courses")
    page.locator("tr", has_text="GDPR for Teams").get_by_role("link", name="Pricing").click()
    page.wait_for_load_state("networkidle")  # its scripts loaded before the next click leaves it
    assign = page.get_by_label("Assign to all partners", exact=False)
    demo = page.get_by_label("Demo Partner", exact=True)
    note = page.locator("#partner-prices-off")
    expect(assign).not_to_be_checked()
    expect(demo).to_be_checked()
    assert not _inert(page, "#partner-prices")
    expect(note).to_be_hidden()

    assign.check()
    assert _inert(page, "#partner-prices")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Every partner pays the value per enrolment")

    # Saved while ticked, the list is kept for when the box is unticked again.
    page.get_by_role("button", name="Save pricing").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_label("Assign to all partners", exact=False)).to_be_checked()
    assert _inert(page, "#partner-prices")
    page.get_by_label("Assign to all partners", exact=False).uncheck()
    assert not _inert(page, "#partner-prices")
    expect(page.get_by_label("Demo Partner", exact=True)).to_be_checked()
    page.get_by_role("button", name="Save pricing").click()  # the demo's pricing as it was
    page.wait_for_load_state("networkidle")
    expect(page.get_by_label("Assign to all partners", exact=False)).not_to_be_checked()


def test_a_whitelabel_admin_uploads_a_logo_that_shows_on_its_own_domain(watched, live_server):
    page, watch = watched()
    sign_in(page, "wl@example.com")
    page.get_by_role("link", name="Your look").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("main h1")).to_have_text("Your look")
    expect(page.locator("input[type=color]")).to_have_count(1)

    # An SVG is refused in place, whatever its name says.
    watch.expect_status(422, "/partner/look")
    page.get_by_label("New logo").set_input_files(files=[{
        "name": "logo.png", "mimeType": "image/png",
        "buffer": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'}])
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#logo-errors")).to_contain_text("SVG logos are not accepted")
    page.wait_for_load_state("networkidle")

    page.get_by_label("New logo").set_input_files(files=[{"name": "logo.png", "mimeType": "image/png",
                                                          "buffer": _png(160, 40)}])
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#toasts .toast")).to_contain_text("Your look is saved")
    expect(page.get_by_alt_text("Your current logo")).to_be_visible()

    port = live_server.rsplit(":", 1)[1]
    visitor, _ = watched()
    visitor.goto(f"http://academy.localhost:{port}/auth/login")  # Chromium resolves *.localhost to this machine
    logo = visitor.locator("nav .navbar-brand img.brand-logo")
    expect(logo).to_be_visible()
    assert logo.evaluate("(img) => img.complete && img.naturalWidth") == 160
    expect(visitor.locator("nav .navbar-brand")).to_contain_text("Academy WL")
