"""The audit trail reads as sentences a person understands, is filtered and paginated, and
costs a fixed number of queries per page whatever the page holds."""

from __future__ import annotations

import ast
import re
from datetime import timedelta
from html import unescape
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Role
from app.models.base import utcnow
from app.services import audit
from app.services.audit_trail import ACTION_LABELS, SENTENCES, TrailFilters, describe_events, trail_query
from app.services.enrolment.enrol import cancel_enrolment, enrol_student
from app.services.tenancy.companies import create_company, update_company
from app.services.tenancy.partners import deduct_from_partner, recharge_partner, update_partner

APP = Path(__file__).resolve().parent.parent / "app"
PATH = "/platform/audit"


def recorded_actions() -> set[str]:
    """Every action the code records: the string passed to ``audit.record``."""
    actions = set()
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "record"
                    and len(node.args) >= 2):
                arg = node.args[1]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    actions.add(arg.value)
                elif isinstance(arg, ast.IfExp):
                    actions.update(branch.value for branch in (arg.body, arg.orelse) if isinstance(branch, ast.Constant))
    return actions


def test_every_recorded_action_has_a_sentence_and_a_label():
    actions = recorded_actions()
    assert "wallet.recharged" in actions and "student.deactivated" in actions
    assert actions - set(SENTENCES) == set()
    assert actions - set(ACTION_LABELS) == set()


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture
def anna(factory):
    admin = factory.platform_admin()
    admin.name = "Anna Rossi"
    return admin


@pytest.fixture
def demo(factory):
    return factory.partner(name="Demo Partner")


def sentences(db, **filters):
    events = db.session.execute(trail_query(TrailFilters(**filters))).scalars().all()
    return [line.sentence for line in describe_events(events)]


def test_a_recharge_reads_as_a_sentence_naming_who_and_which_partner(db, anna, demo):
    recharge_partner(anna, demo, 50, reason="Opening", idempotency_key=None)
    assert sentences(db, action="wallet.recharged") == [
        "Anna Rossi (platform admin) recharged Demo Partner's wallet by 50 credits."]


def test_events_name_people_and_objects_never_ids_or_dict_reprs(app, db, factory, anna, demo):
    admin = factory.user(Role.PARTNER_ADMIN, partner=demo)
    admin.name = "Paola Bianchi"
    student = factory.student(demo, email="sara@example.com")
    student.name = "Sara Verdi"
    course = factory.course(title="Fire Safety", value=10)
    recharge_partner(anna, demo, 1_500, reason="Q3", idempotency_key=None)
    with app.test_request_context():
        enrolment = enrol_student(admin, demo, student, course)
        cancel_enrolment(admin, demo, enrolment)
    company = create_company(admin, demo, "Acme S.r.l.")
    update_company(admin, demo, company, name="Acme S.p.A.")
    update_partner(anna, demo, name="Demo Partner Srl", kind="default")
    deduct_from_partner(anna, demo, 5, reason="Fix", idempotency_key=None)

    said = sentences(db)
    assert "Anna Rossi (platform admin) deducted 5 credits from Demo Partner Srl's wallet." in said
    assert "Paola Bianchi (admin of Demo Partner Srl) enrolled Sara Verdi <sara@example.com> in Fire Safety " \
           "for 10 credits." in said
    assert any(s.startswith("Paola Bianchi (admin of Demo Partner Srl) cancelled the enrolment of Sara Verdi")
               for s in said)
    assert "Paola Bianchi (admin of Demo Partner Srl) changed the client company Acme S.p.A. of Demo Partner Srl." \
        in said
    assert "Anna Rossi (platform admin) changed the details of Demo Partner Srl." in said
    events = db.session.execute(trail_query()).scalars().all()
    notes = {label: value for line in describe_events(events) for label, value in line.notes}
    assert notes["Name"] in ("Demo Partner → Demo Partner Srl", "Acme S.r.l. → Acme S.p.A.")
    assert notes["Reason"] in ("Q3", "Fix")
    joined = " ".join(said) + " ".join(f"{k} {v}" for k, v in notes.items())
    assert not re.search(r"[{}\[\]]|User \d|WalletEntry|Enrolment \d|None", joined), joined


@pytest.fixture
def trail(db, factory, anna, demo):
    """Ten events of several kinds, by two people, about two partners."""
    other = factory.partner(name="Other Partner")
    paola = factory.user(Role.PARTNER_ADMIN, partner=demo, email="paola@example.com")
    for n in range(3):
        recharge_partner(anna, demo, 10 + n, reason="r", idempotency_key=None)
    recharge_partner(anna, other, 7, reason="r", idempotency_key=None)
    create_company(paola, demo, "Acme")
    create_company(paola, demo, "Beta")
    return {"other": other, "paola": paola}


def test_the_trail_is_filtered_by_actor_action_object_partner_and_date(db, trail, demo):
    assert len(sentences(db, actor="PAOLA@")) == len(sentences(db, actor="paola")) == 2
    assert len(sentences(db, action="wallet.recharged")) == 4
    assert len(sentences(db, object_type="Company")) == 2
    assert len(sentences(db, action="wallet.recharged", partner_id=trail["other"].id)) == 1
    today = utcnow().date()
    assert len(sentences(db, action="wallet.recharged", date_from=today - timedelta(days=1),
                         date_to=today + timedelta(days=1))) == 4
    assert sentences(db, action="wallet.recharged", date_to=today - timedelta(days=2)) == []


def test_the_page_filters_and_answers_htmx_with_the_list_alone(client, login_as, trail):
    login_as(Role.PLATFORM_ADMIN)
    response = client.get(f"{PATH}?action=company.created&actor=paola", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith("<section id=\"audit-events\"")
    assert html.count('data-action="company.created"') == 2
    assert "added the client company Acme to Demo Partner" in text_of(html)


@pytest.mark.parametrize("query", ["date_from=31-12-2026", "date_from=2026-05-02&date_to=2026-05-01",
                                   "action=drop.tables", "partner=abc"])
def test_bad_filters_are_refused_with_a_message_not_a_500(client, login_as, query):
    login_as(Role.PLATFORM_ADMIN)
    response = client.get(f"{PATH}?{query}")
    assert response.status_code == 422
    assert "Correct the filters" in response.get_data(as_text=True)


def _events(db, factory, anna, demo, n):
    """``n`` events of varied kinds (each naming a different person, company or partner)."""
    course = factory.course()
    for i in range(n):
        kind = i % 4
        if kind == 0:
            recharge_partner(anna, factory.partner(), 1, reason="r", idempotency_key=None)
        elif kind == 1:
            create_company(anna, demo, f"Company {factory.n()}")
        elif kind == 2:
            student = factory.student(demo)
            enrol_student(anna, demo, student, course)
        else:
            audit.record(factory.user(Role.STUDENT, partner=demo), "auth.login", None, partner_id=demo.id)


def test_a_page_costs_the_same_queries_with_8_events_or_48(app, client, db, factory, login_as, count_queries,
                                                            anna, demo):
    login_as(user=anna)
    recharge_partner(anna, demo, 1000, reason="r", idempotency_key=None)
    with app.test_request_context():
        _events(db, factory, anna, demo, 8)
    db.session.execute(sa.delete(AuditEvent).where(AuditEvent.action == "auth.login",
                                                   AuditEvent.actor_id == anna.id))
    db.session.commit()
    with count_queries() as few:
        assert client.get(PATH).status_code == 200
    with app.test_request_context():
        _events(db, factory, anna, demo, 40)
    db.session.commit()
    with count_queries() as many:
        html = client.get(PATH).get_data(as_text=True)
    assert html.count('<li class="audit-event"') >= 48
    assert many.count == few.count, "\n".join(many.statements)
