"""The translation gate, part 3: nothing a person sees skips gettext.

A pseudo-locale is built from messages.pot at test time (tests/i18n_gate.py): every message
becomes ``‹Àççéñtéd›`` text. Every user of every role reads Aula in it; then every GET page of
the url_map, every form refused empty (its validation messages and flashes), every download
(CSV, XLSX, PDF), every email template and a certificate are rendered, and any visible word
outside the marks that is not data (names, emails, titles, dates, numbers) fails the test,
naming the page and the words.

A new route needs nothing here unless its URL has a parameter not in ``ROUTE_VALUES``; a new
email template must be sent by ``world`` (the test says which one is missing).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.models import (
    AuditEvent, Course, EmailMessage, Enrolment, Partner, User,
)
from tests.i18n_gate import (
    PSEUDO_LOCALE, DataWords, build_pseudo_catalog, csv_texts, visible_texts, xlsx_texts,
)
from tests.pdf import pdf_text

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

PASSWORD = "correct horse battery"
TEMPLATES = Path(__file__).resolve().parents[1] / "app" / "templates"

# Columns whose values are codes, not words a person wrote: a code shown on a page must be
# translated, so these never count as data.
CODE_COLUMNS = {"status", "kind", "role", "action", "object_type", "template", "idempotency_key",
                "password_hash", "locale", "default_locale", "review_method", "last_error",
                "payment_method", "wait_reason", "method", "policy", "release_mode", "state", "seats_on_reversal",
                "payer_tax_id_kind", "source_kind", "source_id", "field", "value", "provider", "event_id",
                "event_type", "outcome"}
# Tables whose text Aula wrote itself (emails, the audit trail): what they say is checked, not data.
GENERATED_TABLES = {"email_log", "audit_events", "alembic_version"}
# Keys of stored JSON rows whose value is a message, not data.
GENERATED_KEYS = {"message", "outcome"}
# What people typed that only the audit trail keeps (a reason, a payment's reference, a name as it was):
# data, where the rest of an event's details are codes and numbers.
AUDIT_DATA_KEYS = {"reason", "note", "reference", "filename", "name", "title", "email", "user", "recipient",
                   "product", "offer", "previous_offer", "description", "payer", "course", "student", "lesson",
                   "domain"}
# ...except in these actions, where the reason is a code or a message Aula wrote.
AUDIT_GENERATED_REASONS = {"bulk_enrolment.refused", "order.activation_refused"}

# Words shown that are neither interface text nor stored data.
NOT_LANGUAGE = {
    "ABCD", "EFGH", "JKLM",  # the shape of a certificate code, as the verify field's placeholder
    "CSV", "XLSX",  # file formats, named so in every language
}


@dataclass
class World:
    """The pseudo app, its users by role and the ids a URL may need."""

    app: object
    users: dict[str, str] = field(default_factory=dict)  # role -> email
    values: dict[str, dict[str, object]] = field(default_factory=dict)
    # More pages than one per route: (role, url) of other states (an order of each status, an invoice of
    # each status, another tab...).
    more_pages: list[tuple[str, str]] = field(default_factory=list)
    data: DataWords = field(default_factory=DataWords)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    translations = build_pseudo_catalog(tmp_path_factory.mktemp("pseudo-locale"))
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path_factory.mktemp('pseudo-db') / 'pseudo.db'}",
        LANGUAGES=[*TestConfig.LANGUAGES, PSEUDO_LOCALE],
        # The platform's own default too: whoever never chose a language (the demo's people, written to
        # while the demo is seeded) reads the pseudo-locale.
        BABEL_DEFAULT_LOCALE=PSEUDO_LOCALE,
        BABEL_TRANSLATION_DIRECTORIES=f"translations;{translations}",
        LOGIN_RATE_LIMIT="1000 per minute",
    )
    os.environ.setdefault("AULA_INSTANCE_DIR", str(tmp_path_factory.mktemp("instance")))
    app = create_app(config)
    world = World(app)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        with app.test_request_context():  # emails carry links
            _populate(world)
    return world


def _populate(world: World) -> None:
    """The demo, everyone reading the pseudo-locale, then one of every event that writes text."""
    from app.services import access
    from app.services.demo import seed_demo
    from app.services.enrolment import homework
    from app.services.enrolment import bulk as bulk_svc, enrol as enrol_svc
    from app.services.enrolment.progress import mark_lesson_done
    from app.services.catalog import own_courses
    from app.services.ledger.wallets import InsufficientCredits
    from app.services.people import students as student_svc
    from app.services.people import tokens
    from app.services.tenancy import companies, partners as partner_svc
    from app.transactions import commit

    seed_demo()
    for user in db.session.scalars(sa.select(User)):
        user.locale = PSEUDO_LOCALE
    by_email = {user.email: user for user in db.session.scalars(sa.select(User))}
    admin = by_email["admin@example.com"]
    partner_admin, wl_admin = by_email["partner@example.com"], by_email["wl@example.com"]
    student = by_email["student@example.com"]
    demo = db.session.scalar(sa.select(Partner).where(Partner.name == "Demo Partner"))
    academy = db.session.scalar(sa.select(Partner).where(Partner.name == "Academy WL"))
    safety, gdpr, excel = (db.session.scalar(sa.select(Course).where(Course.title == t))
                           for t in ("Workplace Safety Basics", "GDPR for Teams", "Excel Essentials"))

    company = companies.create_company(partner_admin, demo, "Rossi Formazione S.r.l.", "IT12345678903")
    demo.default_locale = PSEUDO_LOCALE  # its new students are written to in it
    newcomer = student_svc.create_student(partner_admin, demo, "nuovo@example.com", "Nuovo Studente",
                                          company)  # a welcome email
    inactive = student_svc.create_student(partner_admin, demo, "spento@example.com", "Studente Spento",
                                          send_welcome=False)
    student_svc.set_student_active(partner_admin, demo, inactive, False)
    from app.services.people import student_import

    imported = student_import.import_students(  # a kept result: created, invalid and existing rows
        partner_admin, demo, "email;nome;azienda\nimportato@example.com;Studente Importato;\n"
        "non-una-email;Riga Sbagliata;\nnuovo@example.com;Nuovo Studente;\n", "studenti.csv").record

    completed = enrol_svc.enrol_student(partner_admin, demo, student, safety)
    for lesson in safety.lessons:
        mark_lesson_done(student, completed, lesson)
    enrol_svc.enrol_student(partner_admin, demo, student, excel)
    cancelled = enrol_svc.enrol_student(partner_admin, demo, newcomer, excel)
    enrol_svc.cancel_enrolment(partner_admin, demo, cancelled)
    bulk = bulk_svc.confirm_bulk_enrolment(partner_admin, demo, gdpr, [student.id, newcomer.id],
                                           expected_price=12, picked=[student.id, newcomer.id],
                                           emails="ghost@example.com\nnot-an-email")
    # Spend down to a low balance (a warning email), then be refused (an alert email).
    wallet = partner_svc.balance_of(demo)
    partner_svc.deduct_from_partner(admin, demo, wallet - 11, reason="Test", idempotency_key=None)
    enrol_svc.enrol_student(partner_admin, demo, newcomer, safety)  # 11 -> 1: low balance
    try:
        enrol_svc.enrol_student(partner_admin, demo, newcomer, excel)
    except InsufficientCredits as error:
        enrol_svc.notify_insufficient_credits(demo, excel, error)
    partner_svc.recharge_partner(admin, demo, 100, reason="Ricarica", idempotency_key=None)

    own = own_courses.create_own_course(wl_admin, academy, "Benvenuti in Academy", "Il primo corso.")
    lesson = own_courses.add_lesson(wl_admin, academy, own, "Prima lezione", "Testo della lezione.")

    # The demo's guided access with every lesson state: its checkpoint (with homework) opened
    # today with the lessons before it, the next one locked behind it, the last one beyond those
    # available; the homework handed in as a file, sent back, handed in again with text and a file
    # (waiting in the review queue). Its review method and checkpoints changed and reset in the CRM.
    grant = access.grants_of(student)[0]
    guided = grant.enrolments[0]
    checkpoint = next(lesson for lesson in guided.course.lessons if lesson.has_homework)
    access.override_settings(admin, grant, {
        **{access.Field.lesson_release(position): 0 for position in range(2, checkpoint.position + 1)},
        access.Field.LESSONS_AVAILABLE: len(guided.course.lessons) - 1}, reason="Recupero")
    access.override_settings(admin, grant, {access.Field.REVIEW_METHOD: "automatic",
                                            access.Field.CHECKPOINTS: False}, reason="Prova")
    access.override_settings(admin, grant, {access.Field.REVIEW_METHOD: "teacher",
                                            access.Field.CHECKPOINTS: access.INHERIT}, reason="Ripristino")
    locked = next(lesson for lesson in guided.course.lessons if lesson.position > checkpoint.position)
    returned = homework.submit_homework(student, guided, checkpoint, file_name="compito.pdf",
                                        file_data=b"%PDF-1.4 compito")
    homework.return_homework(admin, returned, "Manca la conclusione.")
    homework.submit_homework(student, guided, checkpoint, text="La mia risposta.", file_name="risposta.pdf",
                             file_data=b"%PDF-1.4 risposta " * 100)
    failed = db.session.scalar(sa.select(EmailMessage).order_by(EmailMessage.id))
    failed.status, failed.last_error = "failed", "SMTPServerDisconnected: test"
    commit()

    sales = _sales(by_email)
    billing = _billing(admin, by_email)
    crm = _crm(admin, by_email, newcomer)
    _changes(admin)
    commit()

    world.users = {"platform": admin.email, "partner": partner_admin.email, "whitelabel": wl_admin.email,
                   "student": student.email, "customer": "customer@example.com",
                   "reseller": "reseller@example.com"}
    world.values = {
        "platform": {"partner_id": demo.id, "course_id": safety.id, "email_id": failed.id,
                     "operation": "recharge", "lesson_id": safety.lessons[0].id, "product_id": grant.product_id,
                     "offer_id": grant.offer_id, "submission_id": returned.id,
                     # the CRM and the people list: the student, their guided access (with overrides)
                     "user_id": student.id, "grant_id": grant.id, "tab": "timeline",
                     "reseller_id": sales["reseller"].id,
                     # an invoice with seats of every state and payments; its first payment, a waiting seat
                     **billing["values"],
                     # the invoice form edits a draft
                     "invoice_id:form": billing["draft"].id},
        "partner": {"enrolment_id": completed.id, "student_id": newcomer.id, "company_id": company.id,
                    "bulk_id": bulk.id, "student_id:reactivate": inactive.id,
                    "import_id": imported.id},
        "whitelabel": {"course_id": own.id, "lesson_id": lesson.id},
        "student": {"enrolment_id": completed.id, "lesson_id": safety.lessons[0].id,
                    "submission_id": returned.id,
                    # the course and lesson pages: the guided course, at its checkpoint
                    "enrolment_id:member.course": guided.id, "enrolment_id:member.lesson": guided.id,
                    "lesson_id:member.lesson": checkpoint.id,
                    "locked_lesson": f"/member/courses/{guided.id}/lessons/{locked.id}"},
        "customer": {**sales["customer_values"], **crm["customer_values"],
                     "invoice_id": billing["customer_invoice"].id},
        "reseller": sales["reseller_values"],
        "anonymous": {"token": tokens.make_set_password_token(newcomer), "code": completed.certificate.code},
    }
    world.more_pages = [*sales["more_pages"], *billing["more_pages"], *crm["more_pages"],
                        ("platform", f"/platform/people/{by_email['customer@example.com'].id}"),
                        ("platform", f"/platform/people/{by_email['reseller@example.com'].id}"),
                        ("platform", f"/platform/resellers/{sales['reseller'].id}/deduct")]
    _collect_data(world)


def _sales(by_email) -> dict:
    """The demo reseller's customer with an order of each status (bank transfer waiting, activated by the
    reseller, paid with credit, waiting for a card payment, deleted, added by the reseller) and credit left;
    a new customer (the welcome email) given credit and recovered."""
    from app.models import Order
    from app.services.sales import activation, catalog, customers, orders, policies

    rita, customer = by_email["reseller@example.com"], by_email["customer@example.com"]
    reseller = rita.reseller
    on_sale = {item.product.name: item.offer for item in catalog.offers_for_sale(reseller)}
    bundle, safety, care = on_sale["Office Bundle"], on_sale["Workplace Safety"], on_sale["Customer Care"]
    waiting = db.session.scalar(sa.select(Order).where(Order.customer_id == customer.id))  # the demo's transfer
    activated = orders.place_order(customer, safety.id, "bank_transfer")
    activation.activate_order(rita, activated, mark_paid=True)  # the order_active email
    by_credit = orders.place_order(customer, safety.id, "credit")  # 60 credits -> 20
    unpaid = orders.place_order(customer, bundle.id, "card")
    deleted = orders.place_order(customer, care.id, "paypal")
    orders.delete_order(rita, deleted)
    by_hand = orders.add_products(rita, reseller, customer, care.id, activate_now=False)
    policies.save_payment_settings(rita, reseller, card="automatic", paypal="by_hand",
                                   bank_instructions=policies.payment_settings(reseller).bank_instructions)

    newcomer = customers.create_customer(rita, reseller, email="nuova.cliente@example.com", name="Nuova Cliente",
                                         send_welcome=False)
    newcomer.locale = PSEUDO_LOCALE
    customers.queue_customer_welcome(newcomer, reseller)  # the customer_welcome email
    customers.add_credit(rita, reseller, newcomer, 7, note="", idempotency_key=None)
    customers.recover_credit(rita, reseller, newcomer, customers.credit_of(newcomer))
    customers.add_credit(rita, reseller, newcomer, 3, note="Omaggio", idempotency_key=None)

    return {
        "reseller": reseller,
        "reseller_values": {"customer_id": customer.id, "order_id": waiting.id, "action": "activate"},
        "customer_values": {"order_id": unpaid.id, "offer_id": safety.id},
        "more_pages": [
            ("reseller", f"/reseller/orders/{by_hand.id}/delete"),
            ("reseller", f"/reseller/customers/{newcomer.id}"),
            ("reseller", f"/reseller/customers/{newcomer.id}/credit"),
            ("reseller", f"/reseller/customers/{newcomer.id}/credit.csv"),
            ("reseller", "/reseller/orders?status=deleted"),
            *[("customer", f"/member/orders/{order.id}") for order in (waiting, activated, by_credit, deleted,
                                                                       by_hand)],
            ("customer", f"/member/orders/{activated.id}/return"),
        ],
    }


def _billing(admin, by_email) -> dict:
    """Invoices of every status: the demo's (partially paid, seats released, waiting and free) with a payment
    reversed, a draft, one paid in two parts that released a seat waiting for it, a cancelled one."""
    from datetime import timedelta

    from app.models import Company, Invoice, Offer, Product, Seat, SeatState
    from app.services.access import today
    from app.services.billing import cancellation, invoices, payments, seats
    from app.services.billing.invoices import InvoiceValues, LineValues
    from app.services.billing.payments import PaymentValues

    rossi_invoice = db.session.scalar(sa.select(Invoice).where(Invoice.payer_name == "Rossi S.r.l."))
    rossi = db.session.scalar(sa.select(Company).where(Company.name == "Rossi S.r.l."))
    customer = by_email["customer@example.com"]
    customer_invoice = db.session.scalar(sa.select(Invoice).where(Invoice.customer_id == customer.id))
    guided = db.session.scalar(sa.select(Offer).join(Product, Offer.product_id == Product.id)
                               .where(Product.name == "Customer Care", Offer.name.like("Guided%")))
    bank = "bank_transfer"

    second = payments.record_payment(admin, rossi_invoice, PaymentValues(
        amount_cents=10000, paid_on=today(), method="card", reference="POS-42", note="Acconto"))
    payments.reverse_payment(admin, rossi_invoice, second.id, reason="Addebito respinto")
    first_payment = next(p for p in rossi_invoice.payments if p.id != second.id and p.kind == "payment")
    waiting_seat = db.session.scalar(sa.select(Seat).where(Seat.invoice_id == rossi_invoice.id,
                                                           Seat.state == SeatState.WAITING.value))

    draft = invoices.create_invoice(admin, InvoiceValues(payer=f"company:{rossi.id}", address="Via Roma 1, Milano",
                                                         due_on=today() + timedelta(days=30), notes="Bozza"))
    invoices.add_line(admin, draft, LineValues(offer_id=guided.id, quantity=3))
    invoices.add_line(admin, draft, LineValues(description="Materiale didattico", quantity=1,
                                               unit_price_cents=2500))

    paid = invoices.create_invoice(admin, InvoiceValues(payer=f"company:{rossi.id}", address="Via Roma 1, Milano",
                                                        due_on=today() + timedelta(days=30)))
    invoices.add_line(admin, paid, LineValues(offer_id=guided.id, quantity=2))
    invoices.issue_invoice(admin, paid)
    seats.link_seat(admin, paid, line_id=paid.lines[0].id, user_id=by_email["dario@example.com"].id,
                    release_mode="after_full_payment")
    for part, reference in ((paid.total_cents // 2, "CRO-1"), (paid.total_cents - paid.total_cents // 2, "CRO-2")):
        payments.record_payment(admin, paid, PaymentValues(amount_cents=part, paid_on=today(), method=bank,
                                                           reference=reference))  # the second: seat_released

    cancelled = invoices.create_invoice(admin, InvoiceValues(payer=f"customer:{customer.id}",
                                                             address="Via Garibaldi 12, Torino",
                                                             due_on=today() + timedelta(days=15)))
    invoices.add_line(admin, cancelled, LineValues(offer_id=guided.id, quantity=1))
    invoices.issue_invoice(admin, cancelled)
    seats.link_seat(admin, cancelled, line_id=cancelled.lines[0].id, user_id=customer.id,
                    release_mode="after_full_payment")
    cancellation.cancel_invoice(admin, cancelled)

    return {
        "values": {"invoice_id": rossi_invoice.id, "payment_id": first_payment.id, "seat_id": waiting_seat.id,
                   "line_id": rossi_invoice.lines[0].id},
        "draft": draft,
        "customer_invoice": customer_invoice,
        "more_pages": [
            *[("platform", f"/platform/invoices/{invoice.id}") for invoice in (draft, paid, cancelled)],
            ("platform", f"/platform/invoices/{paid.id}/print"),
            ("platform", f"/platform/invoices/{paid.id}.pdf"),
            ("platform", f"/platform/invoices/{cancelled.id}.pdf"),
            ("platform", f"/platform/invoices/{customer_invoice.id}/cancel"),
            *[("platform", f"/platform/invoices?status={status}")
              for status in ("draft", "open", "partially_paid", "paid", "cancelled")],
            ("customer", f"/member/invoices/{cancelled.id}"),
        ],
    }


def _crm(admin, by_email, newcomer) -> dict:
    """CRM contacts: the customer given a drip offer by hand (lessons that open on later days) and one of
    its orders' accesses removed; a partner's student moved to another offer of the same product."""
    from app.models import Grant, Offer, Product
    from app.services import access
    from app.services.crm import plans

    customer = by_email["customer@example.com"]
    drip = db.session.scalar(sa.select(Offer).where(Offer.name.like("Drip%")))
    drip_grant = plans.add_product(admin, customer, product_id=drip.product_id, offer_id=drip.id,
                                   start=plans.StartChoice.TODAY, key="pseudo-drip", reason="Prova gratuita")
    excel = next(e for e in drip_grant.enrolments if e.course.title == "Excel Essentials")
    scheduled = next(state.lesson for state in access.lesson_states(excel) if not state.may_open)
    order_grant = db.session.scalar(sa.select(Grant).where(Grant.user_id == customer.id,
                                                           Grant.source_kind == "order_line"))
    plans.remove_access(admin, order_grant, reason="Rimborsato")

    care = db.session.scalar(sa.select(Product).where(Product.name == "Customer Care"))
    guided, self_paced = sorted(care.offers, key=lambda offer: not offer.name.startswith("Guided"))
    moved = plans.add_product(admin, newcomer, product_id=care.id, offer_id=guided.id,
                              start=plans.StartChoice.TODAY, key="pseudo-care", reason="Nuovo piano")
    access.change_offer(admin, moved, self_paced, reason="Preferisce il ritmo libero")
    access.override_settings(admin, moved, {access.Field.LESSONS_AVAILABLE: 2, access.Field.REMOVE_DELAYS: True},
                             reason="Accordo commerciale")

    return {
        "customer_values": {"enrolment_id": excel.id, "lesson_id": excel.course.lessons[0].id,
                            "scheduled_lesson": f"/member/courses/{excel.id}/lessons/{scheduled.id}"},
        "more_pages": [
            ("platform", f"/platform/crm/contacts/{by_email['student@example.com'].id}/details"),
            ("platform", f"/platform/crm/contacts/{customer.id}"),
            ("platform", f"/platform/crm/contacts/{customer.id}/timeline"),
            ("platform", f"/platform/crm/contacts/{customer.id}/grants/{drip_grant.id}/edit"),
            ("platform", f"/platform/crm/contacts/{customer.id}/grants/{order_grant.id}/edit"),
            ("platform", f"/platform/crm/contacts/{newcomer.id}"),
            ("platform", f"/platform/crm/contacts/{newcomer.id}/timeline"),
            ("platform", f"/platform/crm/contacts/{newcomer.id}/grants/{moved.id}/edit"),
            ("platform", "/platform/crm?q=Excel"),
            ("platform", "/platform/audit?object_type=Grant"),
        ],
    }


def _changes(admin) -> None:
    """Changes the audit trail words field by field: an offer's defaults (the CRM timeline of whoever holds
    it shows them), a partner's kind and language, the platform's settings, a lesson's video."""
    from dataclasses import replace

    from app.models import Lesson, Offer
    from app.services.catalog import lessons, products
    from app.services.tenancy import partners, settings

    drip = db.session.scalar(sa.select(Offer).where(Offer.name.like("Drip%")))
    products.update_offer(admin, drip, replace(products.offer_values(drip), price_cents=15900,
                                               review_method="teacher"))
    nord = partners.create_partner(admin, name="Formazione Nord")
    partners.update_partner(admin, nord, name="Formazione Nord", kind="whitelabel", domain="nord.example.com",
                            default_locale="it")
    settings.update_platform_settings(admin, low_balance_threshold=5, refund_on_cancel=True,
                                      seats_on_reversal="revoke")
    lesson = db.session.scalar(sa.select(Lesson).where(Lesson.title == "Hazards"))
    lessons.update_lesson(admin, lesson, lesson.title, lesson.body or "", video_url="https://video.example.com/1")


def _collect_data(world: World) -> None:
    """Every word people typed into the database, and every word Babel writes into dates."""
    data = world.data
    for table in db.metadata.sorted_tables:
        if table.name in GENERATED_TABLES:
            continue
        columns = [c for c in table.columns
                   if isinstance(c.type, (sa.String, sa.Text, sa.JSON)) and c.name not in CODE_COLUMNS]
        if not columns:
            continue
        for row in db.session.execute(sa.select(*columns)):
            for value in row:
                data.add(*(_strings(value)))
    for action, details in db.session.execute(sa.select(AuditEvent.action, AuditEvent.details)):
        data.add(*(value for key, value in (details or {}).items() if key in AUDIT_DATA_KEYS
                   and isinstance(value, str) and not (key == "reason" and action in AUDIT_GENERATED_REASONS)))
    from app.models import Company, Invoice
    from app.services.billing import tax_ids

    data.add(*(tax_ids.formatted(tax_ids.company_vat_kind(vat), vat)  # as people write them: IT12345678901
               for vat in db.session.scalars(sa.select(Company.vat_number).where(Company.vat_number.is_not(None)))),
             *(tax_ids.formatted(kind, value) for kind, value in db.session.execute(
                 sa.select(Invoice.payer_tax_id_kind, Invoice.payer_tax_id)) if value))
    data.add(world.app.config["PLATFORM_NAME"], world.app.config["BABEL_DEFAULT_TIMEZONE"],
             world.app.config["AULA_CURRENCY"], *NOT_LANGUAGE)
    data.add_locale_data(PSEUDO_LOCALE)
    from app.i18n import autonym

    data.add(*(autonym(code) for code in world.app.config["LANGUAGES"]))  # the language menu


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in GENERATED_KEYS:
                yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


# --- who sees what ------------------------------------------------------------------------

AREA_OF_BLUEPRINT = {"platform": ["platform"], "partner": ["partner", "whitelabel"],
                     "member": ["student", "customer"], "reseller": ["reseller"],
                     "auth": ["anonymous"], "public": ["anonymous"]}
# Routes that render nothing to read (or only data: a student's homework file as they sent it).
NOT_PAGES = {"static", "branding.stylesheet", "public.healthz", "public.index", "auth.logout",
             "language.choose", "member.homework_file", "platform.homework_file"}
WHITELABEL_ONLY = ("partner.own_", "partner.look")
# The member area is a student's and a customer's; some of its pages are only one's.
CUSTOMER_ONLY = ("member.shop", "member.place_order", "member.my_orders", "member.order_page", "member.pay",
                 "member.payment_return", "member.test_payment", "member.my_invoice")
STUDENT_ONLY = ("member.certificate",)


def _client(world: World, role: str):
    client = world.app.test_client()
    if role == "anonymous":
        html = client.get("/auth/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        client.post("/language", data={"csrf_token": token, "locale": PSEUDO_LOCALE})
        return client
    html = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/auth/login", data={"email": world.users[role], "password": "demo-pass-2026",
                                                "csrf_token": token})
    assert response.status_code == 302, f"{role} could not sign in"
    return client


def _roles_for(rule) -> list[str]:
    blueprint = rule.endpoint.split(".")[0]
    roles = AREA_OF_BLUEPRINT.get(blueprint, [])
    if blueprint == "partner":
        return ["whitelabel"] if rule.endpoint.startswith(WHITELABEL_ONLY) else ["partner"]
    if blueprint == "member":
        if rule.endpoint.startswith(CUSTOMER_ONLY):
            return ["customer"]
        return ["student"] if rule.endpoint.startswith(STUDENT_ONLY) else ["student", "customer"]
    return roles


def _url(world: World, rule, role: str) -> str:
    values = dict(rule.defaults or {})
    for argument in rule.arguments - set(values):
        key = f"{argument}:{rule.endpoint.rsplit('_', 1)[-1]}"
        pool = world.values.get(role, {})
        if key in pool:
            values[argument] = pool[key]
        elif argument in pool:
            values[argument] = pool[argument]
        else:
            pytest.fail(f"{rule.endpoint} needs a value for <{argument}> as {role}: add it to world.values")
    # This very rule (an endpoint may have several: /invoices/new and /invoices/<id>/edit).
    _domain, path = rule.build(values, append_unknown=False)
    return path


def _pages(world: World):
    for rule in sorted(world.app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in NOT_PAGES or "GET" not in rule.methods:
            continue
        for role in _roles_for(rule):
            yield role, rule


def _texts(response) -> list[str]:
    if not response.data:
        return []
    if response.mimetype == "text/html":
        return visible_texts(response.get_data(as_text=True))
    if response.mimetype == "text/csv":
        return csv_texts(response.get_data(as_text=True))
    if response.mimetype == "application/pdf":
        return [pdf_text(response.data)]
    if "spreadsheetml" in response.mimetype:
        return xlsx_texts(response.data)
    if response.mimetype == "application/json":
        return []
    raise AssertionError(f"a {response.mimetype} response: teach the gate to read it")


def _check(world: World, label: str, texts: list[str], problems: list[str]) -> None:
    leftovers = world.data.leftovers(texts)
    if leftovers:
        problems.append(f"{label}: {', '.join(leftovers[:15])}")


def test_every_page_of_every_role_is_translated(world):
    problems, clients = [], {}
    for role, rule in _pages(world):
        client = clients.setdefault(role, _client(world, role))
        url = _url(world, rule, role)
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, f"GET {url} as {role}: {response.status_code}"
        _check(world, f"GET {url} as {role}", _texts(response), problems)
    for role, url in world.more_pages:
        client = clients.setdefault(role, _client(world, role))
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, f"GET {url} as {role}: {response.status_code}"
        _check(world, f"GET {url} as {role}", _texts(response), problems)
    assert not problems, "Text that did not go through gettext:\n" + "\n".join(problems)


def test_error_pages_are_translated(world):
    problems = []
    for role, url, status in (("student", "/platform/", 403), ("student", "/no/such/page", 404),
                              ("student", world.values["student"]["locked_lesson"], 403),  # behind a checkpoint
                              ("customer", world.values["customer"]["scheduled_lesson"], 403),  # opens later
                              ("customer", "/reseller/", 403)):
        client = _client(world, role)
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code == status, f"GET {url} as {role}: {response.status_code}"
            _check(world, f"GET {url} {headers} as {role}", _texts(response), problems)
    assert not problems, "\n".join(problems)


def test_every_form_refused_empty_is_translated(world):
    """Each POST route, sent with only its CSRF token: validation messages, refusals and flashes."""
    problems = []
    for rule in sorted(world.app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in NOT_PAGES or "POST" not in rule.methods:
            continue
        for role in _roles_for(rule):
            client = _client(world, role)
            url = _url(world, rule, role)
            html = client.get("/auth/login" if role == "anonymous" else "/", follow_redirects=True)
            token = re.search(r'"X-CSRFToken": "([^"]+)"', html.get_data(as_text=True)).group(1)
            for headers in ({}, {"HX-Request": "true"}):
                response = client.post(url, data={"csrf_token": token}, headers=headers, follow_redirects=True)
                assert response.status_code < 500, f"POST {url} as {role}: {response.status_code}"
                _check(world, f"POST {url} {headers} as {role}", _texts(response), problems)
    assert not problems, "Text that did not go through gettext:\n" + "\n".join(problems)


def test_every_email_template_is_translated(world):
    problems = []
    with world.app.app_context():
        sent = db.session.scalars(sa.select(EmailMessage)).all()
        templates = {path.stem for path in (TEMPLATES / "email").glob("*.txt")}
        assert templates <= {email.template for email in sent}, (
            f"no email of {sorted(templates - {e.template for e in sent})}: send one in _populate")
        for email in sent:
            texts = [email.subject, email.body_text, *visible_texts(email.body_html or "")]
            _check(world, f"email {email.template} to {email.recipient}", texts, problems)
    assert not problems, "\n".join(problems)


def test_the_certificate_is_translated(world):
    problems = []
    with world.app.app_context():
        enrolment = db.session.get(Enrolment, world.values["student"]["enrolment_id"])
        from app.services.enrolment.certificate_pdf import certificate_pdf

        with world.app.test_request_context():
            _check(world, "certificate", [pdf_text(certificate_pdf(enrolment.certificate))], problems)
    assert not problems, "\n".join(problems)
