"""Every list page sends as many SQL statements for 100 rows as for 10 (issue 9).

Each list eager-loads what its rows show (and raises on any other lazy load), so a
page is a constant number of statements however many rows it holds; a new list page
gets its test here.
"""

import pytest
import sqlalchemy as sa

from app.models import Role
from app.services.enrolment.enrol import enrol_student
from app.services.ledger import wallets
from tests.querycount import assert_constant_queries

@pytest.fixture
def admin(login_as, factory):
    return login_as(Role.PARTNER_ADMIN, partner=factory.partner(credits=1_000))


@pytest.fixture
def platform_admin(login_as):
    return login_as(Role.PLATFORM_ADMIN)


def students_maker(factory, partner):
    return lambda n: [factory.student(partner) for _ in range(n)]


def enrolments_maker(factory, admin):
    course = factory.course(value=1)

    def make(n):
        for _ in range(n):
            enrol_student(admin, admin.partner, factory.student(admin.partner), course)

    return make


def test_the_counter_sees_every_statement_of_the_block(db, queries):
    db.session.execute(sa.text("SELECT 1"))  # the test's transaction has begun: no SAVEPOINT inside the block
    with queries() as counter:
        for _ in range(3):
            db.session.execute(sa.text("SELECT 1"))
    assert counter.count == 3


def test_the_students_list_sends_as_many_queries_for_100_students_as_for_10(client, factory, admin):
    assert_constant_queries(client, "/partner/students", students_maker(factory, admin.partner))


def test_the_enrolment_rows_send_as_many_queries_for_100_enrolments_as_for_10(client, factory, admin):
    assert_constant_queries(client, "/partner/enrolments/rows", enrolments_maker(factory, admin),
                            headers={"HX-Request": "true"})


def test_the_participants_list_sends_as_many_queries_for_100_participants_as_for_10(client, factory, admin):
    assert_constant_queries(client, "/partner/participants", enrolments_maker(factory, admin))


def test_the_wallet_history_sends_as_many_queries_for_100_entries_as_for_10(client, factory, login_as):
    admin = login_as(Role.PARTNER_ADMIN, partner=factory.partner(credits=0))
    wallet = wallets.wallet_of(admin.partner)
    platform_admin = factory.platform_admin()

    def recharges(n):
        for _ in range(n):
            wallets.recharge(wallet, 1, actor=platform_admin)

    assert_constant_queries(client, "/partner/wallet", recharges)


def test_the_platform_partners_list_sends_as_many_queries_for_100_partners_as_for_10(
    client, factory, platform_admin,
):
    assert_constant_queries(client, "/platform/partners", lambda n: [factory.partner() for _ in range(n)])


def test_the_enrolments_page_with_its_form_sends_as_many_queries_for_100_enrolments_as_for_10(
    client, factory, admin,
):
    assert_constant_queries(client, "/partner/enrolments", enrolments_maker(factory, admin))


def test_a_search_of_the_enrolments_sends_as_many_queries_for_100_matches_as_for_10(client, factory, admin):
    assert_constant_queries(client, "/partner/enrolments/rows?q=example&status=active",
                            enrolments_maker(factory, admin), headers={"HX-Request": "true"})


def test_a_search_of_the_participants_sends_as_many_queries_for_100_matches_as_for_10(client, factory, admin):
    assert_constant_queries(client, "/partner/participants?q=example&status=active",
                            enrolments_maker(factory, admin))


def test_a_completed_participant_with_a_certificate_costs_no_more_queries(client, factory, admin, db):
    from app.models import Enrolment, EnrolmentStatus
    from app.services.enrolment.progress import issue_certificate

    make = enrolments_maker(factory, admin)

    def completed(n):
        make(n)
        for enrolment in db.session.execute(sa.select(Enrolment).where(
                Enrolment.partner_id == admin.partner_id, Enrolment.status == "active")).scalars():
            enrolment.status = EnrolmentStatus.COMPLETED.value
            issue_certificate(enrolment)

    assert_constant_queries(client, "/partner/participants", completed)


def test_the_student_picker_reads_one_bounded_page_of_matches(client, factory, admin, queries, db):
    for n in range(30):
        factory.student(admin.partner, email=f"anna-{n:02d}@example.com")
    db.session.flush()
    with queries() as counter:
        html = client.get("/partner/enrolments/students?student_q=anna", headers={"HX-Request": "true"}).get_data(
            as_text=True)
    assert html.count('role="option"') == 20 and "More than 20 students match" in html
    app_statements = [s for s in counter.statements if "SAVEPOINT" not in s]
    assert len(app_statements) == 3, app_statements  # the signed-in user, their partner, the matches


def enrolment_post(client, factory, admin, queries):
    from app.services.tenancy.settings import settings
    from tests.conftest import csrf_token

    settings()  # the platform's settings row exists, as in any installed platform
    student, course = factory.student(admin.partner), factory.course(value=1)
    data = {"student_id": student.id, "course_id": course.id, "csrf_token": csrf_token(client, "/partner/enrolments")}
    with queries() as counter:
        response = client.post("/partner/enrolments", headers={"HX-Request": "true"}, data=data)
    assert response.status_code == 200
    # The test's own savepoints (the app's commit inside the test's transaction) are not the app's.
    return [s for s in counter.statements if "SAVEPOINT" not in s]


def test_an_enrolment_post_sends_at_most_13_statements(client, factory, admin, queries):
    statements = enrolment_post(client, factory, admin, queries)
    assert len(statements) <= 13, "\n".join(statements)


def test_an_enrolment_post_locks_the_wallet_once_then_the_student(client, factory, admin, queries, db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite locks the whole database (BEGIN IMMEDIATE), not rows")
    locks = [s for s in enrolment_post(client, factory, admin, queries) if "FOR UPDATE" in s]
    assert len(locks) == 2 and "FROM wallets" in locks[0] and "FROM users" in locks[1], locks


def test_an_enrolment_post_reads_the_low_balance_threshold_before_locking_the_wallet(client, factory, admin, queries):
    """Every enrolment of a partner queues on its wallet's row: nothing that does not need the lock is read under it."""
    statements = enrolment_post(client, factory, admin, queries)
    lock = next(n for n, s in enumerate(statements) if "FROM wallets" in s)  # FOR UPDATE (SQLite: BEGIN IMMEDIATE)
    threshold = next(n for n, s in enumerate(statements) if "FROM platform_settings" in s)
    assert threshold < lock, "\n".join(statements)


def test_the_email_log_sends_as_many_queries_for_100_emails_as_for_10(client, factory, platform_admin):
    from app.services.outbox.email import queue_email

    def emails(n):
        for _ in range(n):
            queue_email("low_balance", platform_admin, "A subject", partner=factory.partner(), balance=1,
                        threshold=10, platform_name="Aula")

    assert_constant_queries(client, "/platform/emails", emails)
