"""The bench's enrolment reference is Aula's enrolment in plain SQL (issue 9).

`make bench` compares Aula's enrolment POST with ``refapps.enrol_app``: the same
statements without the app around them. The comparison only means something while the
reference sends what Aula sends and writes what Aula writes, so these tests hold it to
that. Its SQL is PostgreSQL's (``FOR UPDATE``), as the bench's database is.
"""

import re
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Enrolment, Role, WalletEntry
from app.services.access import participation
from app.services.ledger.wallets import ledger_problems, wallet_of
from benchmarks.refapps import enrol_statements, fewest_statements, platform_today
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


# A column a WHERE clause tests (``users.id = …``, ``status IN (…)``, ``balance - … >=``, ``… IS NULL``).
TESTED_COLUMN = re.compile(r"(?:\b[a-z_]+\.)?\b([a-z_]+)\s*(?:=|>=|<=| IN\b| IS\b| -)")


def signature(statement: str) -> str:
    """What a statement does: ``SELECT wallets [partner_id] FOR UPDATE``, ``INSERT enrolments (user_id, …)``."""
    text = " ".join(statement.split())
    verb = text.split()[0]
    if verb == "WITH":  # a statement led by a common table expression: named by it (``WITH entry``)
        return " ".join(text.split()[:2])
    if verb == "INSERT":
        table, columns = re.match(r"INSERT INTO (\w+) \(([^)]*)\)", text).groups()
        return f"INSERT {table} ({', '.join(column.strip() for column in columns.split(','))})"
    table = text.split()[1] if verb == "UPDATE" else text.split(" FROM ")[1].split()[0]
    tested = sorted(set(TESTED_COLUMN.findall(text.split(" WHERE ", 1)[1]))) if " WHERE " in text else []
    return f"{verb} {table} {tested}" + (" FOR UPDATE" if "FOR UPDATE" in text else "")


def after_the_session(statements: list[str]) -> list[str]:
    """From the catalog on: what comes before is the signed-in user (with their tenant, in production one statement)."""
    signatures = [signature(s) for s in statements]
    first = next(n for n, s in enumerate(signatures) if s.startswith("SELECT courses"))
    return signatures[first:]


def test_the_reference_sends_aulas_enrolment_statements_in_aulas_order(client, factory, admin, queries, db):
    aula = enrolment_post(client, factory, admin, queries)
    _status, _answer, reference = reference_enrolment(db, queries, admin, factory.student(admin.partner),
                                                      factory.course(value=1))
    assert after_the_session(reference) == after_the_session(aula)
    assert [s.split(" [")[0].split(" (")[0] for s in after_the_session(reference)] == [
        "SELECT courses", "SELECT users", "SELECT platform_settings", "SELECT wallets", "SELECT users",
        "SELECT enrolments", "INSERT enrolments", "UPDATE wallets", "INSERT wallet_entries", "INSERT audit_events",
        "SELECT wallets"]
    # Before them, the signed-in user alone (in production Aula reads them with their tenant in one statement).
    assert len(reference) == 12 and signature(reference[0]) == "SELECT users ['id']"


def test_the_wallet_last_reference_sends_the_same_statements_with_the_wallet_locked_after_the_enrolment(
        factory, admin, queries, db):
    course = factory.course(value=1)
    _status, _answer, aulas_order = reference_enrolment(db, queries, admin, factory.student(admin.partner), course)
    status, _answer, wallet_last = reference_enrolment(db, queries, admin, factory.student(admin.partner), course,
                                                       wallet_last=True)
    assert status == 200 and sorted(map(signature, wallet_last)) == sorted(map(signature, aulas_order))
    assert [s.split(" [")[0].split(" (")[0] for s in after_the_session(wallet_last)[4:7]] == [
        "SELECT enrolments", "INSERT enrolments", "SELECT wallets"]
    assert after_the_session(wallet_last)[6].endswith("FOR UPDATE")


def written(db, enrolment: Enrolment) -> dict:
    """What an enrolment left in the ledger and the audit trail, its student and id written as placeholders."""
    email, key = enrolment.user.email, str(enrolment.id)
    entry = db.session.execute(sa.select(WalletEntry).where(WalletEntry.enrolment_id == enrolment.id)).scalar_one()
    event = db.session.execute(sa.select(AuditEvent).where(AuditEvent.object_id == enrolment.id,
                                                           AuditEvent.object_type == "Enrolment")).scalar_one()
    return dict(enrolment=(enrolment.course_id, enrolment.partner_id, enrolment.status, enrolment.credits_charged,
                           enrolment.start_date, enrolment.enrolled_by_id),
                entry=(entry.amount, entry.kind, entry.actor_id, entry.note.replace(email, "<student>"),
                       entry.idempotency_key.replace(key, "<id>")),
                event=(event.action, event.actor_id, event.partner_id,
                       {k: v.replace(email, "<student>") if isinstance(v, str) else v
                        for k, v in event.details.items()}))


def aulas_enrolment(client, factory, admin, queries, db) -> Enrolment:
    """One enrolment by Aula's POST: what a reference's must match, in the same course."""
    enrolment_post(client, factory, admin, queries)
    return db.session.execute(sa.select(Enrolment).where(Enrolment.partner_id == admin.partner_id)).scalar_one()


def test_the_reference_writes_what_aula_writes_and_keeps_the_ledger(client, factory, admin, queries, db):
    aulas = aulas_enrolment(client, factory, admin, queries, db)
    student = factory.student(admin.partner)
    status, answer, _statements = reference_enrolment(db, queries, admin, student, aulas.course)
    assert status == 200 and "998 credits left" in answer

    reference = db.session.execute(sa.select(Enrolment).where(Enrolment.user_id == student.id)).scalar_one()
    assert written(db, reference) == written(db, aulas)
    entry = db.session.execute(sa.select(WalletEntry).where(WalletEntry.enrolment_id == reference.id)).scalar_one()
    assert entry.balance_after == 998
    db.session.expire_all()
    assert wallet_of(admin.partner).balance == 998
    assert list(ledger_problems()) == []


def test_the_reference_refuses_a_second_enrolment_and_what_the_wallet_cannot_pay(factory, admin, queries, db):
    student, course = factory.student(admin.partner), factory.course(value=1)
    assert reference_enrolment(db, queries, admin, student, course)[0] == 200
    assert reference_enrolment(db, queries, admin, student, course)[:2] == (422, "already enrolled")
    poor = reference_enrolment(db, queries, admin, factory.student(admin.partner), factory.course(value=5_000))
    assert poor[:2] == (422, "not enough credits")


@pytest.mark.parametrize("utc", ["2026-12-01T22:59:00", "2026-12-01T23:30:00", "2026-07-01T22:30:00"])
def test_the_reference_dates_an_enrolment_by_the_platforms_day_as_aula_does(app, utc):
    # Near midnight the database's current_date (UTC) is still yesterday in Rome's terms: an enrolment
    # the reference made at 00:30 in Rome started a day before Aula's (found by CI at 23:5x UTC).
    now = datetime.fromisoformat(utc).replace(tzinfo=timezone.utc)
    with app.app_context():
        assert platform_today(now) == participation.today(now)


# The enrolment in the fewest statements (refapps.FEWEST_SQL): the bench's measure of what the
# enrolment's rules cost in SQL at the least. It only means that while it keeps those rules.

def fewest_enrolment(db, queries, admin, student, course):
    with queries() as counter:
        status, answer = fewest_statements(db.session.execute, actor=admin.id, partner=admin.partner_id,
                                           student=student.id, course=course.id)
    if status != 200:
        db.session.rollback()
    return status, answer, [s for s in counter.statements if "SAVEPOINT" not in s]


def test_the_fewest_statements_write_what_aula_writes_and_keep_the_ledger(client, factory, admin, queries, db):
    aulas = aulas_enrolment(client, factory, admin, queries, db)
    student = factory.student(admin.partner)
    status, answer, statements = fewest_enrolment(db, queries, admin, student, aulas.course)

    assert status == 200 and (answer.email, answer.balance) == (student.email, 998)
    assert [signature(s).split(" [")[0].split(" (")[0] for s in statements] == [
        "SELECT courses", "SELECT users", "SELECT platform_settings", "UPDATE wallets", "SELECT users",
        "INSERT enrolments", "WITH entry"]
    # The wallet first (the debit's UPDATE), then the student, as every change of participations locks them.
    assert statements[4].endswith("FOR UPDATE")
    reference = db.session.execute(sa.select(Enrolment).where(Enrolment.user_id == student.id)).scalar_one()
    assert written(db, reference) == written(db, aulas)
    db.session.expire_all()
    assert wallet_of(admin.partner).balance == 998
    assert list(ledger_problems()) == []


def test_the_fewest_statements_refuse_what_aula_refuses_and_charge_nothing(factory, admin, queries, db):
    course, student = factory.course(value=1), factory.student(admin.partner)
    assert fewest_enrolment(db, queries, admin, student, course)[0] == 200
    db.session.commit()

    status, answer, _statements = fewest_enrolment(db, queries, admin, student, course)
    assert (status, answer) == (422, "already enrolled")  # the partial unique index, the debit rolled back
    other_partners = factory.student(factory.partner(credits=10))
    assert fewest_enrolment(db, queries, admin, other_partners, course)[:2] == (422, "refused")
    private = factory.course(value=1, owner_partner_id=factory.partner().id)
    assert fewest_enrolment(db, queries, admin, factory.student(admin.partner), private)[:2] == (422, "refused")
    expensive = factory.course(value=5_000)
    assert fewest_enrolment(db, queries, admin, factory.student(admin.partner), expensive)[:2] == (
        422, "not enough credits")
    not_shared = factory.course(value=1, assign_to_all=False, partners={factory.partner(): None})
    assert fewest_enrolment(db, queries, admin, factory.student(admin.partner), not_shared)[:2] == (422, "refused")
    whitelabel = factory.partner(kind="whitelabel", credits=1)
    own = factory.course(value=9, owner_partner_id=whitelabel.id)
    owner = factory.user(Role.PARTNER_ADMIN, partner=whitelabel)
    status, answer, _statements = fewest_enrolment(db, queries, owner, factory.student(whitelabel), own)
    assert status == 200 and answer.balance == 1  # a whitelabel partner's own course is free for it
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WalletEntry)
                             .where(WalletEntry.kind == "enrolment_debit", WalletEntry.amount == 0)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.partner_id == whitelabel.id,
                                    AuditEvent.action == "enrolment.created")) == 1
    at_the_partners_price = factory.course(value=7, assign_to_all=False, partners={admin.partner: 3})
    status, answer, _statements = fewest_enrolment(db, queries, admin, factory.student(admin.partner),
                                                   at_the_partners_price)
    assert status == 200 and answer.balance == 996
    db.session.commit()

    db.session.expire_all()
    assert wallet_of(admin.partner).balance == 996
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Enrolment)
                             .where(Enrolment.partner_id == admin.partner_id)) == 2
    assert list(ledger_problems()) == []
