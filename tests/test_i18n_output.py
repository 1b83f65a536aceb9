"""What Aula writes goes out in its reader's language: emails and certificates in the recipient's
(whoever caused them), form messages (WTForms' own too), refusals and flashes in the reader's."""

import re
import uuid

import sqlalchemy as sa
from flask_babel import force_locale

from app.models import EmailMessage, Role, WalletEntry
from app.services.enrolment import enrol as enrol_svc
from app.services.enrolment.certificate_pdf import certificate_pdf
from app.services.enrolment.progress import mark_lesson_done
from app.services.ledger.wallets import InsufficientCredits
from app.services.people.students import create_student
from tests.conftest import csrf_token
from tests.pdf import pdf_text


def _emails(db, template):
    db.session.expire_all()
    return db.session.scalars(sa.select(EmailMessage).where(EmailMessage.template == template)
                              .order_by(EmailMessage.id)).all()


# --- emails --------------------------------------------------------------------------------


def test_an_email_goes_out_in_the_recipients_saved_language_not_the_senders(app, db, factory):
    partner = factory.partner(credits=15, name="Formazione Rossi")
    admin = factory.user(Role.PARTNER_ADMIN, partner=partner)
    admin.locale = "it"
    student = factory.student(partner)
    course = factory.course(title="Sicurezza", value=10)
    with app.test_request_context(headers={"Accept-Language": "pt-BR"}):  # the actor reads Portuguese
        enrol_svc.enrol_student(admin, partner, student, course)  # 15 -> 5: below the threshold of 10
    email = _emails(db, "low_balance")[-1]
    assert email.subject == "Formazione Rossi: saldo crediti basso"
    assert "Il saldo crediti di Formazione Rossi è ora di 5 crediti, sotto la soglia di avviso di 10 crediti." \
        in email.body_text


def test_without_a_saved_language_the_recipient_gets_their_partners_default(app, db, factory):
    partner = factory.partner(name="Parceira Ltda", default_locale="pt_BR")
    with app.test_request_context(headers={"Accept-Language": "it"}):
        create_student(None, partner, "novo@example.com", "Aluno Novo")
    email = _emails(db, "welcome")[-1]
    assert email.subject.startswith("Boas-vindas a ")
    assert email.body_text.startswith("Prezado(a) Aluno Novo,")
    assert "o link funciona uma única vez, por 7 dias" in email.body_text
    assert '<html lang="pt-BR">' in email.body_html


def test_without_any_preference_the_platform_default_writes_the_email(app, db, factory):
    partner = factory.partner(name="Plain Partner")
    with app.test_request_context(headers={"Accept-Language": "it"}):
        create_student(None, partner, "plain@example.com", "Plain Student")
    assert _emails(db, "welcome")[-1].subject.startswith("Welcome to ")


def test_each_recipient_of_one_alert_reads_it_in_their_own_language(app, db, factory):
    partner = factory.partner(credits=5, name="Duo Srl")
    italian = factory.user(Role.PARTNER_ADMIN, partner=partner)
    italian.locale = "it"
    brazilian = factory.user(Role.PARTNER_ADMIN, partner=partner)
    brazilian.locale = "pt_BR"
    course = factory.course(title="Excel", value=8)
    with app.test_request_context():
        enrol_svc.notify_insufficient_credits(partner, course, InsufficientCredits(needed=8, available=5))
    by_recipient = {e.recipient: e for e in _emails(db, "insufficient_credits")}
    assert by_recipient[italian.email].subject == "Duo Srl: crediti insufficienti per l'iscrizione a Excel"
    assert "Mancanti: 3 crediti" in by_recipient[italian.email].body_text
    assert by_recipient[brazilian.email].subject == "Duo Srl: créditos insuficientes para a matrícula em Excel"
    assert "Faltam: 3 créditos" in by_recipient[brazilian.email].body_text


# --- the certificate ------------------------------------------------------------------------------


def test_the_certificate_is_written_in_its_holders_language(app, db, factory):
    partner = factory.partner(credits=20, name="Academia Rio")
    admin = factory.user(Role.PARTNER_ADMIN, partner=partner)
    student = factory.student(partner)
    student.name, student.locale = "Ana Souza", "pt_BR"
    course = factory.course(title="Segurança", value=10)
    enrolment = enrol_svc.enrol_student(admin, partner, student, course)
    for lesson in course.lessons:
        mark_lesson_done(student, enrolment, lesson)
    with app.test_request_context(headers={"Accept-Language": "it"}):  # downloaded by an Italian admin
        text = pdf_text(certificate_pdf(enrolment.certificate))
    assert "Certificado de conclusão" in text and "concluiu o curso" in text
    assert "Attestato" not in text


# --- pages --------------------------------------------------------------------------------------


def test_wtforms_own_messages_reach_the_page_in_the_readers_language(client, login_as):
    login_as(Role.PARTNER_ADMIN)
    token = csrf_token(client, "/partner/students/new")
    html = client.post("/partner/students/new", data={"csrf_token": token, "email": "x@example.com"},
                       headers={"Accept-Language": "it"}).get_data(as_text=True)
    assert "Questo campo è obbligatorio." in html
    html = client.post("/partner/students/new", data={"csrf_token": token, "email": "x@example.com"},
                       headers={"Accept-Language": "pt-BR"}).get_data(as_text=True)
    assert "Este campo é obrigatório." in html


def test_a_domain_refusal_is_shown_in_the_readers_language(client, factory, login_as):
    partner = factory.partner(credits=5)
    admin = login_as(Role.PARTNER_ADMIN, partner=partner)
    student = factory.student(partner)
    course = factory.course(value=8)
    token = csrf_token(client, "/partner/enrolments")
    html = client.post("/partner/enrolments", data={"csrf_token": token, "student_id": student.id,
                                                    "course_id": course.id},
                       headers={"Accept-Language": "it", "HX-Request": "true"}).get_data(as_text=True)
    assert "Crediti insufficienti: nessuno è stato iscritto e non è stato addebitato nulla." in html
    assert "Mancanti: 3 crediti" in html
    assert admin.partner_id == partner.id


def test_a_flash_is_shown_in_the_readers_language(client, login_as):
    login_as(Role.PARTNER_ADMIN)
    token = csrf_token(client, "/partner/companies/new")
    response = client.post("/partner/companies/new", data={"csrf_token": token, "name": "Rossi Srl"},
                           headers={"Accept-Language": "pt-BR"}, follow_redirects=True)
    assert "Empresa Rossi Srl criada." in response.get_data(as_text=True)


def test_dates_and_numbers_on_a_page_follow_the_readers_language(client, factory, login_as):
    partner = factory.partner(credits=1234)
    login_as(Role.PARTNER_ADMIN, partner=partner)
    html = client.get("/partner/wallet", headers={"Accept-Language": "it"}).get_data(as_text=True)
    assert re.search(r"balance\">1\.234<", html)
    html = client.get("/partner/wallet", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert re.search(r"balance\">1,234<", html)


def test_a_refusal_counts_its_credits_by_the_readers_plural_rule(client, factory, login_as):
    login_as(Role.PLATFORM_ADMIN)
    partner = factory.partner(credits=1, name="Duo Srl")
    prefix = f"deduct-{partner.id}"
    token = csrf_token(client, "/platform/partners")
    for language, expected in (("it", "È disponibile solo 1 credito: a Duo Srl non se ne possono togliere 5."),
                               ("pt-BR", "Só há 1 crédito disponível: não é possível tirar 5 de Duo Srl."),
                               ("en", "Only 1 credit is available: Duo Srl cannot lose 5.")):
        html = client.post(f"/platform/partners/{partner.id}/deduct", headers={"Accept-Language": language}, data={
            f"{prefix}-csrf_token": token, f"{prefix}-amount": "5", f"{prefix}-reason": "Prova",
            f"{prefix}-idempotency_key": str(uuid.uuid4())}).get_data(as_text=True)
        assert expected in html


# --- the audit trail ----------------------------------------------------------------------------


def test_an_access_settings_change_reads_in_the_readers_language(app, db, factory):
    from app.services import access
    from app.services.audit_trail import TrailFilters, describe_events, trail_query

    student = factory.user(Role.STUDENT)
    product, offer = factory.product(factory.course())
    grant = factory.grant(student, product, offer)
    access.override_settings(None, grant, {access.Field.LESSONS_AVAILABLE: 2, access.Field.REVIEW_METHOD: "teacher",
                                           access.Field.CHECKPOINTS: access.INHERIT}, reason="Recupero")
    event = db.session.scalars(trail_query(TrailFilters(action="grant.settings_overridden"))).first()
    with app.test_request_context(), force_locale("it"):
        [line] = describe_events([event])
        assert "Recupero" in line.sentence and "impostazioni di accesso" in line.sentence
        assert dict(line.notes) == {"Lezioni disponibili": "2", "Revisione dei compiti": "Da un docente",
                                    "Punti di controllo": "Il valore dell'offerta"}
    with app.test_request_context(), force_locale("pt_BR"):
        [line] = describe_events([event])
        assert dict(line.notes) == {"Aulas disponíveis": "2", "Revisão da tarefa": "Por um professor",
                                    "Pontos de controle": "O valor da oferta"}


def test_a_refused_activation_is_kept_as_a_code_and_read_in_each_readers_language(app, db, factory):
    from app.services.audit_trail import TrailFilters, describe_events, trail_query
    from app.services.sales import activation

    reseller, product, offer = factory.shop()
    factory.policy(reseller, card="automatic")
    order = factory.order(factory.customer(reseller), offer, "card")
    product.courses = []  # emptied after the order: the grant is refused when the payment lands
    with app.test_request_context(headers={"Accept-Language": "it"}):  # whoever delivered the event
        assert activation.confirm_payment(order, reference="pi_1").outcome == "refused"
    event = db.session.scalars(trail_query(TrailFilters(action="order.activation_refused"))).first()
    assert event.details["refusal"] == "This product has no course yet."
    with app.test_request_context(), force_locale("pt_BR"):
        [line] = describe_events([event])
        assert line.sentence.endswith("Este produto ainda não tem nenhum curso.")
    with app.test_request_context(), force_locale("it"):
        [line] = describe_events([event])
        assert line.sentence.endswith("Questo prodotto non ha ancora nessun corso.")


def test_wallet_entries_the_app_writes_keep_no_translated_note(app, db, factory):
    from app.services.sales import customers

    reseller, _product, offer = factory.shop(price_credits=5)
    customer = factory.customer(reseller, credits=8)
    staff = factory.reseller_user(reseller)
    with app.test_request_context(headers={"Accept-Language": "it"}):
        order = factory.order(customer, offer, "credit")
        customers.recover_credit(staff, reseller, customer, customers.credit_of(customer))
    entries = db.session.scalars(sa.select(WalletEntry).order_by(WalletEntry.id)).all()
    assert {entry.note for entry in entries if entry.kind in ("order_payment", "recovery_out", "recovery_in")} \
        <= {order.number, ""}
