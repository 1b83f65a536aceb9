"""The bench's enrolment reference is Aula's enrolment in plain SQL (issue 9).

`make bench` compares Aula's enrolment POST with ``refapps.enrol_app``: the same
statements without the app around them. The comparison only means something while the
reference sends what Aula sends and writes what Aula writes, so these tests hold it to
that. Its SQL is PostgreSQL's (``FOR UPDATE``), as the bench's database is.
"""

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Enrolment, Role, WalletEntry
from app.services.ledger.wallets import ledger_problems, wallet_of
from benchmarks.refapps import enrol_statements
from tests.test_query_counts import enrolment_post


@pytest.fixture(autouse=True)
def postgresql_only(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the bench's reference SQL is PostgreSQL's, as its database is")


@pytest.fixture
def admin(login_as, factory):
    return login_as(Role.PARTNER_ADMIN, partner=factory.partner(credits=1_000))


def reference_enrolment(db, queries, admin, student, course, *, wallet_last=False):
    with queries() as counter:
        status, answer = enrol_statements(db.session.execute, actor=admin.id, partner=admin.partner_id,
                                          student=student.id, course=course.id, wallet_last=wallet_last)
    return status, answer, [s for s in counter.statements if "SAVEPOINT" not in s]


def signature(statement: str) -> str:
    """What a statement does, as ``SELECT wallets FOR UPDATE`` or ``INSERT enrolments``."""
    words = statement.replace("\n", " ").split()
    verb = words[0]
    table = words[words.index("FROM" if verb == "SELECT" else "INTO") + 1] if verb != "UPDATE" else words[1]
    return f"{verb} {table}" + (" FOR UPDATE" if "FOR UPDATE" in statement else "")


def after_the_session(statements: list[str]) -> list[str]:
    """From the catalog on: what comes before is the signed-in user (with their tenant, in production one statement)."""
    signatures = [signature(s) for s in statements]
    return signatures[signatures.index("SELECT courses"):]


def test_the_reference_sends_aulas_enrolment_statements_in_aulas_order(client, factory, admin, queries, db):
    aula = enrolment_post(client, factory, admin, queries)
    _status, _answer, reference = reference_enrolment(db, queries, admin, factory.student(admin.partner),
                                                      factory.course(value=1))
    assert after_the_session(reference) == after_the_session(aula) == [
        "SELECT courses", "SELECT users", "SELECT wallets FOR UPDATE", "SELECT users FOR UPDATE", "SELECT enrolments",
        "INSERT enrolments", "UPDATE wallets", "INSERT wallet_entries", "INSERT audit_events",
        "SELECT platform_settings", "SELECT wallets"]
    assert [signature(s) for s in reference[:1]] == ["SELECT users"]  # the session's user: 12 statements in all


def test_the_wallet_last_reference_sends_the_same_statements_with_the_wallet_locked_after_the_enrolment(
        factory, admin, queries, db):
    course = factory.course(value=1)
    _status, _answer, aulas_order = reference_enrolment(db, queries, admin, factory.student(admin.partner), course)
    status, _answer, wallet_last = reference_enrolment(db, queries, admin, factory.student(admin.partner), course,
                                                       wallet_last=True)
    assert status == 200 and sorted(map(signature, wallet_last)) == sorted(map(signature, aulas_order))
    assert after_the_session(wallet_last)[3:7] == [
        "SELECT enrolments", "INSERT enrolments", "SELECT platform_settings", "SELECT wallets FOR UPDATE"]


def test_the_reference_writes_what_aula_writes_and_keeps_the_ledger(factory, admin, queries, db):
    course, student = factory.course(value=3), factory.student(admin.partner)
    status, answer, _statements = reference_enrolment(db, queries, admin, student, course)
    assert status == 200 and "997 credits left" in answer

    enrolment = db.session.execute(sa.select(Enrolment).where(Enrolment.user_id == student.id)).scalar_one()
    assert (enrolment.course_id, enrolment.partner_id, enrolment.credits_charged, enrolment.status) == (
        course.id, admin.partner_id, 3, "active")
    entry = db.session.execute(sa.select(WalletEntry).where(WalletEntry.enrolment_id == enrolment.id)).scalar_one()
    assert (entry.amount, entry.balance_after, entry.idempotency_key) == (-3, 997, f"enrolment:{enrolment.id}:debit")
    db.session.expire_all()
    assert wallet_of(admin.partner).balance == 997
    assert db.session.execute(sa.select(AuditEvent.action).where(AuditEvent.object_id == enrolment.id,
                                                                  AuditEvent.object_type == "Enrolment")
                              ).scalar_one() == "enrolment.created"
    assert list(ledger_problems()) == []


def test_the_reference_refuses_a_second_enrolment_and_what_the_wallet_cannot_pay(factory, admin, queries, db):
    student, course = factory.student(admin.partner), factory.course(value=1)
    assert reference_enrolment(db, queries, admin, student, course)[0] == 200
    assert reference_enrolment(db, queries, admin, student, course)[:2] == (422, "already enrolled")
    poor = reference_enrolment(db, queries, admin, factory.student(admin.partner), factory.course(value=5_000))
    assert poor[:2] == (422, "not enough credits")
