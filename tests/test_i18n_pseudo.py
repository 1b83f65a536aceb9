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
    Course, EmailMessage, Enrolment, Partner, User,
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
                "password_hash", "locale", "default_locale", "review_method", "last_error"}
# Tables whose text Aula wrote itself (emails, the audit trail): what they say is checked, not data.
GENERATED_TABLES = {"email_log", "audit_events", "alembic_version"}
# Keys of stored JSON rows whose value is a message, not data.
GENERATED_KEYS = {"message", "outcome"}

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
    data: DataWords = field(default_factory=DataWords)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    translations = build_pseudo_catalog(tmp_path_factory.mktemp("pseudo-locale"))
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path_factory.mktemp('pseudo-db') / 'pseudo.db'}",
        LANGUAGES=[*TestConfig.LANGUAGES, PSEUDO_LOCALE],
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
    # today, the last lesson beyond those available; the homework handed in as a file, sent
    # back, handed in again with text and a file (waiting in the review queue).
    grant = access.grants_of(student)[0]
    guided = grant.enrolments[0]
    checkpoint = next(lesson for lesson in guided.course.lessons if lesson.has_homework)
    access.override_settings(admin, grant, {access.Field.lesson_release(checkpoint.position): 0,
                                            access.Field.LESSONS_AVAILABLE: len(guided.course.lessons) - 1},
                             reason="Recupero")
    scheduled = next(lesson for lesson in guided.course.lessons if lesson.position < checkpoint.position
                     and not access.lesson_state(guided, lesson).may_open)
    returned = homework.submit_homework(student, guided, checkpoint, file_name="compito.pdf",
                                        file_data=b"%PDF-1.4 compito")
    homework.return_homework(admin, returned, "Manca la conclusione.")
    homework.submit_homework(student, guided, checkpoint, text="La mia risposta.", file_name="risposta.pdf",
                             file_data=b"%PDF-1.4 risposta " * 100)
    failed = db.session.scalar(sa.select(EmailMessage).order_by(EmailMessage.id))
    failed.status, failed.last_error = "failed", "SMTPServerDisconnected: test"
    commit()

    world.users = {"platform": admin.email, "partner": partner_admin.email, "whitelabel": wl_admin.email,
                   "student": student.email, "customer": "customer@example.com",
                   "reseller": "reseller@example.com"}
    world.values = {
        "platform": {"partner_id": demo.id, "course_id": safety.id, "email_id": failed.id,
                     "operation": "recharge", "lesson_id": safety.lessons[0].id, "product_id": grant.product_id, "offer_id": grant.offer_id,
                     "submission_id": returned.id},
        "partner": {"enrolment_id": completed.id, "student_id": newcomer.id, "company_id": company.id,
                    "bulk_id": bulk.id, "student_id:reactivate": inactive.id},
        "whitelabel": {"course_id": own.id, "lesson_id": lesson.id},
        "student": {"enrolment_id": completed.id, "lesson_id": safety.lessons[0].id,
                    "submission_id": returned.id,
                    # the course and lesson pages: the guided course, at its checkpoint
                    "enrolment_id:member.course": guided.id, "enrolment_id:member.lesson": guided.id,
                    "lesson_id:member.lesson": checkpoint.id,
                    "locked_lesson": f"/member/courses/{guided.id}/lessons/{scheduled.id}"},
        "anonymous": {"token": tokens.make_set_password_token(newcomer), "code": completed.certificate.code},
    }
    _collect_data(world)


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
WHITELABEL_ONLY = ("partner.own_",)


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
        return ["student"]
    return roles


def _url(world: World, rule, role: str) -> str:
    values = {}
    for argument in rule.arguments:
        key = f"{argument}:{rule.endpoint.rsplit('_', 1)[-1]}"
        pool = world.values.get(role, {})
        if key in pool:
            values[argument] = pool[key]
        elif argument in pool:
            values[argument] = pool[argument]
        else:
            pytest.fail(f"{rule.endpoint} needs a value for <{argument}> as {role}: add it to world.values")
    with world.app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


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
    assert not problems, "Text that did not go through gettext:\n" + "\n".join(problems)


def test_error_pages_are_translated(world):
    problems = []
    student = _client(world, "student")
    locked_lesson = world.values["student"]["locked_lesson"]
    for url, status in (("/platform/", 403), ("/no/such/page", 404), (locked_lesson, 403)):
        for headers in ({}, {"HX-Request": "true"}):
            response = student.get(url, headers=headers)
            assert response.status_code == status
            _check(world, f"GET {url} {headers}", _texts(response), problems)
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
