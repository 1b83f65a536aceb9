"""The main flows in a real browser, once in Italian and once in Brazilian Portuguese, failing on
any interface text left in English.

Each flow drives the pages by structure (ids, names, hrefs), never by English labels, and after
every step reads what a person sees (text, labels, tooltips, button values). A word is English
when it appears in the catalog's English sources but in none of that language's translations
(so "email", "partner" or "CSV", used in Italian too, never count); data the flow knows (course
titles, names, emails) is set aside. Browsers send Accept-Language for the locale, so nobody
picks the language by hand.

Flows: partner enrolment until refused; the catalog and the member area; reseller activation (a
customer orders by bank transfer, the reseller activates it from the to-activate list, the customer
sees the course); invoice seat release (the admin links a seat "after full payment", records two
partial payments typed the language's way, the student sees the courses). Each flow that needs people
or an invoice of its own makes them per language (``run_in_live_app``), so it runs on the shared demo
in any order with the English browser tests of the same flows.
To add a flow: write ``def my_flow(run: Run)`` with ``run.page(...)`` / ``run.check(page, "step")``
and append ``Flow("...", my_flow)`` to FLOWS.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import polib
import pytest

from tests.e2e.conftest import LIVE_ENV, run_in_live_app
from tests.e2e.test_browser_smoke import DEMO_PASSWORD, PageWatch

from playwright.sync_api import Page, expect  # noqa: E402  (after the smoke module's Chromium check)

pytestmark = pytest.mark.e2e

TRANSLATIONS = Path(__file__).resolve().parents[2] / "app" / "translations"
LOCALES = {"it": "it-IT", "pt_BR": "pt-BR"}
WORD = re.compile(r"[^\W\d_]{3,}")
PLACEHOLDER = re.compile(r"%\([^)]+\)[sd]|%[sd]|\{\w+\}|<[^>]+>")
COURSE = "Workplace Safety Basics"  # 10 credits for Demo Partner
SHOP_PRODUCT, SHOP_COURSE = "Workplace Safety", "Workplace Safety Basics"  # on sale by Demo Reseller
SEAT_COURSES = ("Excel Essentials", "Workplace Safety Basics")  # the Office Bundle

# What a person reads on a page: its text, and the attributes screen readers and tooltips read.
VISIBLE_TEXT = """() => {
  const parts = [document.title, document.body.innerText];
  for (const el of document.querySelectorAll("[aria-label], [title], [placeholder], [alt], input[type=submit], input[type=button]")) {
    for (const name of ["aria-label", "title", "placeholder", "alt", "value"]) {
      if (el.hasAttribute(name) && (name !== "value" || el.type === "submit" || el.type === "button")) parts.push(el.getAttribute(name));
    }
  }
  for (const el of document.querySelectorAll("dialog:not([open])")) parts.push(el.innerText || el.textContent);
  return parts.join("\\n");
}"""


def _words(text: str) -> set[str]:
    return {w.casefold() for w in WORD.findall(PLACEHOLDER.sub(" ", text or ""))}


def english_words(locale: str) -> set[str]:
    """Words of the English sources that the locale's translations never use."""
    catalog = polib.pofile(str(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"))
    source, translated = set(), set()
    for entry in catalog:
        source |= _words(entry.msgid) | _words(entry.msgid_plural)
        translated |= _words(entry.msgstr)
        for text in entry.msgstr_plural.values():
            translated |= _words(text)
    return source - translated


def data_words() -> set[str]:
    """Everything typed into the live server's database (names, emails, titles, notes), and the
    subjects of the emails sent (the email log shows them as they went out)."""
    db = Path(LIVE_ENV["AULA_INSTANCE_DIR"]) / "aula.db"
    words = set()
    with sqlite3.connect(db) as conn:
        for table, column in [("users", "name"), ("users", "email"), ("partners", "name"), ("courses", "title"),
                              ("courses", "description"), ("lessons", "title"), ("lessons", "body"),
                              ("companies", "name"), ("student_imports", "filename"),
                              ("wallet_entries", "note"), ("resellers", "name"), ("products", "name"),
                              ("offers", "name"),
                              # what a reseller or an admin typed: transfer instructions, invoices
                              ("payment_policies", "instructions"), ("invoices", "payer_name"),
                              ("invoices", "payer_address"), ("invoices", "notes"), ("invoice_lines", "description"),
                              ("invoice_payments", "reference"), ("invoice_payments", "note"),
                              # The email log lists what was sent, each in its recipient's language.
                              ("email_log", "subject")]:
            for (value,) in conn.execute(f"SELECT {column} FROM {table}"):  # noqa: S608 - fixed names
                words |= _words(value)
    return words


@dataclass
class Run:
    """One flow in one language: its browser contexts, and what it found in English."""

    browser: object
    base_url: str
    locale: str
    english: set[str]
    problems: list[str] = field(default_factory=list)
    contexts: list = field(default_factory=list)
    watches: list[PageWatch] = field(default_factory=list)

    def page(self, width: int = 1280) -> Page:
        context = self.browser.new_context(base_url=self.base_url, locale=LOCALES[self.locale],
                                           viewport={"width": width, "height": 900})
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        self.watches.append(PageWatch(page))
        return page

    def sign_in(self, page: Page, email: str) -> None:
        page.goto("/auth/login")
        self.check(page, "sign-in page")
        page.locator("input[name=email]").fill(email)
        page.locator("input[name=password]").fill(DEMO_PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state("networkidle")

    def check(self, page: Page, step: str) -> None:
        """Fail (at the end) on any English word visible now, data aside."""
        page.wait_for_load_state("networkidle")
        lang = page.evaluate("document.documentElement.lang")
        if lang != LOCALES[self.locale].split("-")[0] and lang != self.locale.replace("_", "-"):
            self.problems.append(f"{step}: <html lang={lang!r}>")
        seen = _words(page.evaluate(VISIBLE_TEXT))
        english = sorted((seen & self.english) - data_words())
        if english:
            self.problems.append(f"{step} ({page.url}): {', '.join(english)}")

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@dataclass(frozen=True)
class Flow:
    name: str
    run: Callable[[Run], None]


# --- the flows ---------------------------------------------------------------------------------


def _balance(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def _set_partner_balance(run: Run, admin: Page, partner: str, target: int) -> int:
    """The platform admin recharges or deducts through the partner list's dialog until ``target``;
    returns the balance before."""
    admin.goto("/platform/partners")
    run.check(admin, "partner list")
    row = admin.locator("tr", has_text=partner)
    balance = _balance(row.locator("td.balance").inner_text())
    if balance == target:
        return balance
    operation = "deduct" if balance > target else "recharge"
    row.locator(f"a[href$='/{operation}']").click()
    dialog = admin.locator("dialog[open]")
    expect(dialog).to_be_visible()
    run.check(admin, f"{operation} dialog")
    dialog.locator("input[name$='-amount']").fill(str(abs(balance - target)))
    dialog.locator("input[name$='-reason']").fill("e2e")
    dialog.locator("button[type=submit]").click()
    expect(admin.locator("dialog[open]")).to_have_count(0)
    expect(admin.locator("tr", has_text=partner).locator("td.balance")).to_have_text(str(target))
    run.check(admin, f"partner list after the {operation}")
    return balance


def _enrol(run: Run, page: Page, student_email: str) -> None:
    # The student picker, by keyboard: type, Down to the match, Enter.
    picker = page.locator("#enrol-form input[role=combobox]")
    picker.fill(student_email)
    expect(page.locator("#student-options [role=option]", has_text=student_email)).to_be_visible()
    picker.press("ArrowDown")
    picker.press("Enter")
    page.locator("#enrol-form select[name=course_id]").select_option(
        page.locator("#enrol-form select[name=course_id] option", has_text=COURSE).get_attribute("value"))
    page.locator("#enrol-form button[type=submit]:not([form])").click()
    page.wait_for_load_state("networkidle")


def partner_enrolment_until_refused(run: Run) -> None:
    """The platform leaves Demo Partner 15 credits; its admin creates two students, enrols the first
    (10 credits), and the second is refused in place with the numbers."""
    admin, partner = run.page(), run.page(width=390)  # the partner on a phone
    run.sign_in(admin, "admin@example.com")
    run.check(admin, "platform home")
    before = _set_partner_balance(run, admin, "Demo Partner", 15)

    run.sign_in(partner, "partner@example.com")
    run.check(partner, "partner home")
    emails = [f"{run.locale.lower()}-{n}@example.com" for n in (1, 2)]
    for n, email in enumerate(emails, start=1):
        partner.goto("/partner/students/new")
        run.check(partner, "new student form")
        partner.locator("main form input[name=email]").fill(email)
        partner.locator("main form input[name=name]").fill(f"Studente {run.locale} {n}")
        partner.locator("main form button[type=submit]").click()
        expect(partner.locator(".toast").last).to_be_visible()
        run.check(partner, "student created")

    partner.goto("/partner/students/new")
    partner.locator("main form button[type=submit]").click()  # empty: WTForms' own messages
    expect(partner.locator(".invalid-feedback").first).to_be_visible()
    run.check(partner, "new student form refused empty")

    partner.goto("/partner/enrolments")
    run.check(partner, "enrolments")
    _enrol(run, partner, emails[0])
    expect(partner.locator("#wallet-balance")).to_have_text("5")
    expect(partner.locator("#enrolment-rows")).to_contain_text(emails[0])
    run.check(partner, "first enrolment")

    _enrol(run, partner, emails[1])
    refusal = partner.locator("#enrol-refusal")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text({"it": "Crediti insufficienti", "pt_BR": "Créditos insuficientes"}[run.locale])
    expect(refusal).to_contain_text({"it": "Mancanti: 5 crediti", "pt_BR": "Faltam: 5 créditos"}[run.locale])
    expect(partner.locator("#wallet-balance")).to_have_text("5")
    run.check(partner, "refused enrolment")

    partner.goto("/partner/wallet")
    run.check(partner, "partner wallet")
    admin.goto("/platform/audit")
    run.check(admin, "audit trail")
    admin.goto("/platform/emails")
    run.check(admin, "email log")
    _set_partner_balance(run, admin, "Demo Partner", before)  # leave the demo as it was found

    for watch in run.watches:
        watch.problems = [p for p in watch.problems if "422" not in p]  # refusals answer 422 by design
        watch.assert_clean()


def catalog_and_member_area(run: Run) -> None:
    """The platform admin creates a product and an offer (a price typed the language's way, the
    schedule preview) and opens the review queue; the student reads the guided course's lesson
    states, an open lesson and one that is not open yet."""
    admin, student = run.page(), run.page(width=390)  # the student on a phone
    run.sign_in(admin, "admin@example.com")
    admin.goto("/platform/products")
    run.check(admin, "products")
    admin.goto("/platform/products/new")
    run.check(admin, "new product form")
    admin.locator("#product-form input[name=name]").fill(f"Prodotto {run.locale}")
    admin.locator("#product-form input[name=course_ids]").first.check()
    admin.locator("#product-form button[type=submit]").click()
    admin.wait_for_load_state("networkidle")
    run.check(admin, "product page")

    admin.locator("main a[href$='/offers/new']").first.click()
    admin.wait_for_load_state("networkidle")
    run.check(admin, "new offer form")
    admin.locator("#offer-form button[type=submit]").click()  # empty: refused in place
    expect(admin.locator("#offer-form .invalid-feedback").first).to_be_visible()
    run.check(admin, "offer form refused empty")
    admin.locator("#offer-form input[name=name]").fill(f"Offerta {run.locale}")
    admin.locator("#offer-form input[name=price]").fill("1.234,50")
    admin.locator("#offer-form input[name=release_delays]").fill("0, 7")
    admin.locator("#offer-form select[name=review_method]").select_option("teacher")
    admin.locator("#offer-form input[name=checkpoints]").check()
    admin.locator("#offer-form button[type=submit]").click()
    expect(admin.locator("h1")).to_contain_text("1.234,50")
    run.check(admin, "offer page and its schedule preview")
    admin.goto("/platform/reviews")
    run.check(admin, "review queue")
    admin.goto("/platform/courses")
    run.check(admin, "courses")

    run.sign_in(student, "student@example.com")
    run.check(student, "member home")
    student.locator("main a", has_text="Customer Care Essentials").first.click()
    student.wait_for_load_state("networkidle")
    expect(student.locator("#lesson-list li[data-state=scheduled]").first).to_be_visible()
    run.check(student, "course page with its lesson states")
    course_url = student.url
    waiting = student.locator("#lesson-list li[data-state=scheduled]").first.get_attribute("id").split("-")[1]
    student.locator("#lesson-list li[data-state=open] a").first.click()
    student.wait_for_load_state("networkidle")
    run.check(student, "open lesson")
    student.goto(f"{course_url}/lessons/{waiting}")
    run.check(student, "a lesson not open yet")

    for watch in run.watches:
        # refusals answer 422 and a lesson not open yet 403, by design
        watch.problems = [p for p in watch.problems if "422" not in p and "403" not in p]
        watch.assert_clean()


def _fresh_customer(run: Run) -> str:
    """A customer of Demo Reseller for this language alone (nothing ordered yet); its email."""
    email = f"cliente-{run.locale.lower()}@example.com"
    run_in_live_app(f"""
import sqlalchemy as sa
from app.extensions import db
from app.models import Reseller, Role
from app.services.ledger import wallets
from app.services.people.users import create_user, find_user_by_email
from app.transactions import commit
if find_user_by_email({email!r}) is None:
    reseller = db.session.scalar(sa.select(Reseller).where(Reseller.name == "Demo Reseller"))
    wallets.wallet_of(create_user(None, email={email!r}, role=Role.CUSTOMER, name="Cliente {run.locale}",
                                  password={DEMO_PASSWORD!r}, reseller=reseller))
    commit()
""")
    return email


def reseller_activation(run: Run) -> None:
    """A customer (on a phone) orders by bank transfer and reads the transfer instructions; the reseller
    activates the order from the "to activate" list (a dialog asks first); the customer sees the course."""
    customer_email = _fresh_customer(run)
    customer, reseller = run.page(width=390), run.page()
    run.sign_in(customer, customer_email)
    run.check(customer, "member home")
    expect(customer.locator("main")).not_to_contain_text(SHOP_COURSE)
    customer.goto("/member/shop")
    run.check(customer, "shop")
    offer = customer.locator("section.shop-offer", has=customer.locator("h2", has_text=re.compile(f"^{SHOP_PRODUCT}$")))
    offer.locator("input[name$='-method'][value=bank_transfer]").check()
    offer.locator("button[type=submit]").click()
    customer.wait_for_url("**/member/orders/*", wait_until="networkidle")
    expect(customer.locator("#bank-instructions")).to_contain_text("IBAN")
    run.check(customer, "order waiting for the transfer")
    number = re.search(r"\d{4}-\d+", customer.locator("main h1").inner_text()).group(0)

    run.sign_in(reseller, "reseller@example.com")
    run.check(reseller, "reseller home")
    reseller.locator("main a[href$='/reseller/to-activate']").first.click()
    reseller.wait_for_url("**/reseller/to-activate", wait_until="networkidle")
    run.check(reseller, "to-activate list")
    count = int(re.sub(r"\D", "", reseller.locator("#to-activate-count").inner_text()))
    row = reseller.locator("tr", has_text=number)
    expect(row.locator(".wait-reason")).to_be_visible()
    row.locator("a[href*='/activate']").click()
    dialog = reseller.locator("dialog[open]")
    expect(dialog).to_contain_text(number)
    run.check(reseller, "activate dialog")
    dialog.locator("button[type=submit]").click()
    expect(reseller.locator("dialog[open]")).to_have_count(0)
    expect(reseller.locator("tr", has_text=number).locator("a[href*='/activate']")).to_have_count(0)
    expect(reseller.locator("#to-activate-count")).to_contain_text(str(count - 1))
    run.check(reseller, "order activated")

    customer.goto("/member/")
    expect(customer.locator("#my-courses")).to_contain_text(SHOP_COURSE)
    run.check(customer, "member home with the course")
    customer.goto("/member/orders")
    expect(customer.locator("#my-orders")).to_contain_text(number)
    run.check(customer, "my orders")

    for watch in run.watches:
        watch.assert_clean()


def _fresh_invoice(run: Run) -> tuple[str, str]:
    """An issued invoice of two Office Bundle seats, nothing paid, and a student with no course, both for this
    language alone: (invoice number, student email)."""
    student = f"posto-{run.locale.lower()}@example.com"
    number_file = Path(LIVE_ENV["AULA_INSTANCE_DIR"]) / f"e2e-invoice-{run.locale}.txt"
    run_in_live_app(f"""
from datetime import timedelta
from pathlib import Path
import sqlalchemy as sa
from app.extensions import db
from app.models import Company, Offer, Product, Role
from app.services.access import today
from app.services.billing import invoices
from app.services.billing.invoices import InvoiceValues, LineValues
from app.services.people.users import create_user, find_user_by_email
from app.transactions import commit
if find_user_by_email({student!r}) is None:
    create_user(None, email={student!r}, role=Role.STUDENT, name="Studente {run.locale}", password={DEMO_PASSWORD!r})
    rossi = db.session.scalar(sa.select(Company).where(Company.name == "Rossi S.r.l."))
    offer = db.session.scalar(sa.select(Offer).join(Product, Offer.product_id == Product.id).where(
        Product.name == "Office Bundle", Offer.name == "Full access"))
    invoice = invoices.create_invoice(None, InvoiceValues(payer=f"company:{{rossi.id}}", address="Via Roma 1, Milano",
                                                          due_on=today() + timedelta(days=30)))
    invoices.add_line(None, invoice, LineValues(offer_id=offer.id, quantity=2, unit_price_cents=19900))
    invoices.issue_invoice(None, invoice)
    Path({str(number_file)!r}).write_text(invoice.number)
    commit()
""")
    return number_file.read_text().strip(), student


def invoice_seat_release(run: Run) -> None:
    """The platform admin links a student (on a phone) to a seat of an invoice "after full payment" and records
    two partial payments typed the language's way (150,50 + 247,50 of 398,00); the courses appear after the
    second."""
    number, student_email = _fresh_invoice(run)
    admin, student = run.page(), run.page(width=390)
    run.sign_in(student, student_email)
    expect(student.locator("main")).not_to_contain_text(SEAT_COURSES[0])
    run.check(student, "member home without the courses")

    run.sign_in(admin, "admin@example.com")
    admin.goto("/platform/invoices")
    run.check(admin, "invoices")
    admin.locator("#invoices-table tr", has_text=number).locator("a").first.click()
    admin.wait_for_load_state("networkidle")
    expect(admin.locator("#invoice-body h1")).to_contain_text(number)
    run.check(admin, "invoice page")

    admin.locator("a[data-dialog-open='link-seat-dialog']").click()
    dialog = admin.locator("#link-seat-dialog")
    expect(dialog).to_be_visible()
    run.check(admin, "link-access dialog")
    dialog.locator("input[name=user_q]").fill(student_email)
    dialog.locator("#seat-user-results input[name=user_id]").first.check()
    line = dialog.locator("select[name=line_id]")
    line.select_option(line.locator("option").first.get_attribute("value"))
    dialog.locator("input[name=release_mode][value=after_full_payment]").check()
    run.check(admin, "link-access dialog filled in")
    dialog.locator("button[name=action][value=link]").click()
    expect(dialog).to_be_hidden()
    seat = admin.locator("#seats-table tr", has_text=student_email)
    expect(seat).to_have_attribute("data-state", "waiting")
    run.check(admin, "seat waiting for full payment")

    for amount, reference in (("150,50", f"E2E-{run.locale}-1"), ("247,50", f"E2E-{run.locale}-2")):
        form = admin.locator("#payment-form")
        form.locator("input[name=amount]").fill(amount)
        form.locator("input[name=reference]").fill(reference)
        form.locator("button[type=submit]").click()
        expect(admin.locator("#payments-table")).to_contain_text(reference)
        admin.wait_for_load_state("networkidle")
        run.check(admin, f"payment {reference} recorded")
        if reference.endswith("-1"):
            expect(admin.locator("#seats-table tr", has_text=student_email)).to_have_attribute("data-state", "waiting")
            student.goto("/member/")
            expect(student.locator("main")).not_to_contain_text(SEAT_COURSES[0])
    expect(admin.locator("#seats-table tr", has_text=student_email)).to_have_attribute("data-state", "released")
    expect(admin.locator("#payment-form")).to_have_count(0)  # paid in full: nothing more to record
    run.check(admin, "invoice paid in full, seat released")

    student.goto("/member/")
    for course in SEAT_COURSES:
        expect(student.locator("#my-courses")).to_contain_text(course)
    run.check(student, "member home with the courses")
    student.goto("/member/invoices")
    run.check(student, "my invoices")

    for watch in run.watches:
        watch.assert_clean()


FLOWS = [
    Flow("partner enrolment until refused", partner_enrolment_until_refused),
    Flow("catalog and member area", catalog_and_member_area),
    Flow("reseller activation", reseller_activation),
    Flow("invoice seat release", invoice_seat_release),
]


@pytest.mark.parametrize("locale", list(LOCALES))
@pytest.mark.parametrize("flow", FLOWS, ids=[f.name.replace(" ", "-") for f in FLOWS])
def test_the_flow_shows_no_english(browser, live_server, flow, locale):
    run = Run(browser, live_server, locale, english_words(locale))
    try:
        flow.run(run)
    finally:
        run.close()
    assert not run.problems, f"English left in {flow.name} ({locale}):\n" + "\n".join(run.problems)
