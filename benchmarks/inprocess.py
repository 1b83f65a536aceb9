"""What `make bench` measures inside one process, against the benchmark database.

- SQL statements per list page at 10 and at 100 rows (``tests.querycount``, the same
  helpers the test suite uses), and per enrolment POST;
- bulk enrolment of 1,000 students through the services (request, then the run the
  background job does), beside the same debits and inserts done row by row in one
  transaction with plain SQL (rolled back).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa

from tests.querycount import count_page, count_queries


@dataclass(frozen=True)
class QueryCount:
    small: int
    large: int
    shown_small: list[int]
    shown_large: list[int]

    @property
    def paginated(self) -> bool:
        return bool(self.shown_small or self.shown_large)


@dataclass(frozen=True)
class BulkResult:
    seconds: float
    statements: int
    enrolled: int
    reference_seconds: float
    reference_statements: int


def make_app(database_url: str):
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": False,
                       "RATELIMIT_ENABLED": False, "SESSION_COOKIE_SECURE": False,
                       "EXTRA_TRUSTED_HOSTS": ["localhost"]})  # the test client's host


def signed_in_client(app, email: str):
    from app.extensions import db
    from app.models import User

    with app.app_context():
        # What Flask-Login keeps in the session: the id and the session version (User.get_id).
        session_id = db.session.execute(sa.select(User).where(User.email == email)).scalar_one().get_id()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    return client


def page_queries(app, client, path: str, *, htmx: bool = False, small: int = 10, large: int = 100) -> QueryCount:
    """The statements one GET of ``path`` sends with pages of ``small`` and of ``large`` rows."""
    from app.extensions import db

    headers = {"HX-Request": "true"} if htmx else {}
    with app.app_context():
        engine = db.engine
        client.get(path, headers=headers)  # warm: templates compiled, caches filled
    few = count_page(client, path, engine, page_size=small, headers=headers)
    many = count_page(client, path, engine, page_size=large, headers=headers)
    return QueryCount(few.count, many.count, few.shown, many.shown)


def post_statements(app, client, path: str, body: dict, *, htmx: bool = True) -> tuple[int, int]:
    """(status, statements) of one POST."""
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    headers = {"HX-Request": "true"} if htmx else {}
    with count_queries(engine) as counter:
        response = client.post(path, data=body, headers=headers)
    return response.status_code, counter.count


def bulk_enrolment(app, *, admin_email: str, partner_id: int, course_id: int, student_ids: list[int]) -> BulkResult:
    """Bulk-enrol ``student_ids`` through the services (committed), after the plain-SQL reference."""
    from app.extensions import db
    from app.models import Course, Partner, User
    from app.services.enrolment.bulk import (
        Outcome, preview_bulk_enrolment, request_bulk_enrolment, run_bulk_enrolment,
    )
    from app.transactions import commit

    with app.app_context():
        engine = db.engine
        partner = db.session.get(Partner, partner_id)
        course = db.session.get(Course, course_id)
        price = preview_bulk_enrolment(partner, course, students=student_ids).price  # as the page does first
        reference_seconds, reference_statements = _reference_bulk(engine, partner_id, course_id, price,
                                                                  student_ids)
        actor = db.session.execute(sa.select(User).where(User.email == admin_email)).scalar_one()
        db.session.commit()
        with count_queries(engine) as counter:
            started = time.perf_counter()
            bulk = request_bulk_enrolment(actor, partner, course, student_ids, expected_price=price)
            commit()
            bulk = run_bulk_enrolment(bulk.id)
            commit()
            seconds = time.perf_counter() - started
        enrolled = sum(1 for row in bulk.results if row.get("outcome") == Outcome.ENROLLED.value)
        return BulkResult(seconds, counter.count, enrolled, reference_seconds, reference_statements)


def _reference_bulk(engine, partner_id: int, course_id: int, price: int, student_ids: list[int]):
    """The same rows written one by one in one transaction with plain SQL, then rolled back."""
    lock = sa.text("SELECT id FROM wallets WHERE partner_id = :partner FOR UPDATE")
    debit = sa.text("UPDATE wallets SET balance = balance - :price WHERE id = :wallet AND balance >= :price"
                    " RETURNING balance")
    enrol = sa.text("INSERT INTO enrolments (user_id, course_id, partner_id, status, start_date, credits_charged,"
                    " created_at) VALUES (:user, :course, :partner, 'active', current_date, :price, now())"
                    " RETURNING id")
    entry = sa.text("INSERT INTO wallet_entries (wallet_id, amount, balance_after, kind, note, enrolment_id,"
                    " idempotency_key, created_at) VALUES (:wallet, -:price, :balance, 'enrolment_debit', '',"
                    " :enrolment, 'bench-reference:' || :enrolment, now())")
    with engine.connect() as conn, count_queries(engine) as counter:
        started = time.perf_counter()
        transaction = conn.begin()
        wallet = conn.execute(lock, {"partner": partner_id}).scalar_one()
        for user_id in student_ids:
            balance = conn.execute(debit, {"price": price, "wallet": wallet}).scalar_one()
            enrolment = conn.execute(enrol, {"user": user_id, "course": course_id, "partner": partner_id,
                                             "price": price}).scalar_one()
            conn.execute(entry, {"wallet": wallet, "price": price, "balance": balance, "enrolment": enrolment})
        seconds = time.perf_counter() - started
        transaction.rollback()
    return seconds, counter.count
