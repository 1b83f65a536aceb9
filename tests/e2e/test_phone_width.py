"""Pages at phone width (390 px): numbers stay whole, tables keep their key columns or visibly scroll."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import run_in_live_app, sign_in
from tests.e2e import test_browser_smoke  # noqa: F401  (skips this module where Chromium is missing)

from playwright.sync_api import expect  # noqa: E402  (after the Chromium check)

pytestmark = pytest.mark.e2e

PHONE = (390, 844)


@pytest.fixture(scope="module")
def big_partner():
    """A partner holding a billion credits (its own, so no other test's balance moves)."""
    run_in_live_app("""
import sqlalchemy as sa
from app.extensions import db
from app.models import Partner, Role, User
from app.services.ledger import wallets
from app.transactions import commit
partner = db.session.scalar(sa.select(Partner).where(Partner.name == "Big Spender"))
if partner is None:
    partner = Partner(name="Big Spender")
    db.session.add(partner)
    db.session.flush()
    admin = db.session.scalar(sa.select(User).where(User.role == Role.PLATFORM_ADMIN.value).limit(1))
    wallets.recharge(wallets.wallet_of(partner), 1_000_000_000, actor=admin, note="e2e: a big balance")
commit()
""")
    return "Big Spender"


def lines_of(locator) -> int:
    """How many lines the element's text takes on screen."""
    return locator.evaluate("""(el) => {
        const range = document.createRange(); range.selectNodeContents(el);
        const tops = new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top)));
        return tops.size; }""")


def test_a_large_total_stays_on_one_line_at_phone_width(watched, big_partner):
    page, _ = watched(*PHONE)
    sign_in(page, "admin@example.com")
    page.goto("/platform/partners")
    total = page.locator("#partner-totals-credits")
    expect(total).to_contain_text("1,000,000,")
    assert lines_of(total) == 1
    balance = page.locator("tr", has_text=big_partner).locator("td.balance")
    expect(balance).to_have_text("1,000,000,000")
    assert lines_of(balance) == 1


def page_fits_the_screen(page) -> bool:
    """Nothing pushes the page wider than the screen (no sideways scrolling of the whole page)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_audit_trail_reads_at_phone_width(watched):
    page, _ = watched(*PHONE)
    sign_in(page, "admin@example.com")
    page.goto("/platform/audit")
    first = page.locator(".audit-event").first
    expect(first).to_contain_text("signed in.")
    assert page_fits_the_screen(page)
    box = first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    # The sentence starts with who did it, by name and role.
    expect(first.locator("p").first).to_contain_text("(platform admin) signed in.")


LIST_PAGES = {
    "admin@example.com": ["/platform/partners", "/platform/people", "/platform/resellers", "/platform/courses",
                          "/platform/emails", "/platform/audit"],
    "partner@example.com": ["/partner/students", "/partner/companies", "/partner/catalog", "/partner/enrolments",
                            "/partner/participants", "/partner/wallet"],
}

# For every table: whether it fits, or scrolls with the hint under it showing; and whether its
# visible header cells all start on screen (a column cut in the middle with no hint is the failure).
TABLES = """() => Array.from(document.querySelectorAll('main table')).map((table) => {
  const box = table.closest('.table-responsive');
  const scrolls = !!box && box.scrollWidth - box.clientWidth > 1;
  const hint = box && box.nextElementSibling && box.nextElementSibling.classList.contains('scroll-hint')
               ? box.nextElementSibling : null;
  const heads = Array.from(table.querySelectorAll('thead th')).filter((th) => th.offsetParent !== null);
  return {inBox: !!box, scrolls, hintShown: !!hint && !hint.hidden && hint.offsetParent !== null,
          cut: heads.filter((th) => th.getBoundingClientRect().right > window.innerWidth + 1)
                    .map((th) => th.textContent.trim())};
})"""


@pytest.mark.parametrize("email", list(LIST_PAGES))
def test_every_list_at_phone_width_shows_its_key_columns_or_says_it_scrolls(watched, screenshot_dir, email):
    page, _ = watched(*PHONE)
    sign_in(page, email)
    for path in LIST_PAGES[email]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=screenshot_dir / f"phone{path.replace('/', '-')}.png", full_page=True)
        assert page_fits_the_screen(page), path
        for table in page.evaluate(TABLES):
            assert table["inBox"], f"{path}: a table outside .table-responsive"
            if table["scrolls"]:
                assert table["hintShown"], f"{path}: the table scrolls sideways with no hint"
            else:
                assert table["cut"] == [], f"{path}: columns cut off: {table['cut']}"
