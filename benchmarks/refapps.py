"""The reference apps `make bench` serves beside Aula, with the same gunicorn settings.

- ``hello``: Flask answering a constant string: what the server, the worker model and
  Flask cost on this machine. List pages are measured against it.
- ``debit``: Flask + Flask-SQLAlchemy doing only what an enrolment must do in the
  database: the conditional debit of one wallet and its ledger entry, one transaction.
  The enrolment POST is measured against it. It charges the reference reseller's
  wallet (``BENCH_REF_WALLET_ID``) of the bench database, keeping its ledger right
  (``balance_after`` is the balance the UPDATE returns).
- ``page``: the least a signed-in list page can be on Aula's stack: Flask-Login loads the
  session's user (one SELECT), one keyset SELECT of 50 of the largest partner's students,
  a Jinja page of 50 rows with a CSRF token. Its ``POST /debit`` is the least a signed-in
  HTMX action can be: the user, Flask-WTF's CSRF check, the minimal debit's two statements,
  a small Jinja fragment. No target is held to either: they show how much of an Aula page's
  or action's cost is the stack itself (no layout, no Babel, no ORM objects here).
  ``GET /cached`` is that page served from a whole-page cache, every request a hit: the
  session's user with their tenant's version (stand-in: the wallet's balance) in its one
  SELECT, the body from the worker's memory with the session's CSRF token put in. What a
  page cache could give at best; with ``BENCH_POOL_PRE_PING=0`` without the pool's ping
  before each request's first statement. ``POST /enrol-fewest`` is an enrolment in the
  fewest statements (``FEWEST_SQL``) behind the same sign-in and CSRF check, answering a
  small fragment.
- ``enrol``: the twelve statements of Aula's enrolment POST, as plain SQL in one transaction,
  in a bare Flask + Flask-SQLAlchemy app (no sign-in, no CSRF check, no form, no template):
  what Aula's SQL alone allows, with the wallet row locked where Aula locks it
  (``POST /enrol``) and with the same statements reordered so that the wallet is locked last,
  just before the debit (``POST /enrol-late``). No target is held to either. Every enrolment
  of a partner queues on its one wallet row, so the time that row stays locked (the
  statements, and the Python between them, from the lock to the commit) bounds the rate.
  ``POST /enrol-fewest``: the same enrolment in the fewest statements that keep its rules
  (``FEWEST_SQL``): the user, the course by its id, the student and the low-balance
  threshold, then the debit (which locks the wallet), the student's lock, the enrolment (the
  partial unique index refuses a second participation), the ledger entry and the audit event
  in one statement: four under the lock instead of eight.

gunicorn 'benchmarks.refapps:hello_app()' / 'benchmarks.refapps:debit_app()' / 'benchmarks.refapps:page_app()'
/ 'benchmarks.refapps:enrol_app()'
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask

DEBIT_SQL = "UPDATE wallets SET balance = balance - 1 WHERE id = :id AND balance >= 1 RETURNING balance"
ENTRY_SQL = (
    "INSERT INTO wallet_entries (wallet_id, amount, balance_after, kind, note, created_at)"
    " VALUES (:id, -1, :balance, 'deduction', 'bench reference debit', now())"
)


def hello_app() -> Flask:
    app = Flask("hello")

    @app.get("/")
    def hello():
        return "hello"

    return app


def debit_app() -> Flask:
    from flask_sqlalchemy import SQLAlchemy

    app = Flask("debit")
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}  # as Aula's
    db = SQLAlchemy(app)
    wallet_id = int(os.environ["BENCH_REF_WALLET_ID"])
    debit, entry = sa.text(DEBIT_SQL), sa.text(ENTRY_SQL)

    @app.post("/debit")
    def charge():
        balance = db.session.execute(debit, {"id": wallet_id}).scalar_one_or_none()
        if balance is None:
            db.session.rollback()
            return "not enough credits", 422
        db.session.execute(entry, {"id": wallet_id, "balance": balance})
        db.session.commit()
        return str(balance)

    return app


PAGE_ROWS_SQL = (
    "SELECT id, name, email FROM users WHERE partner_id = :partner AND role = 'student'"
    " ORDER BY lower(name), email, id LIMIT 50"
)
PAGE_TEMPLATE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Students</title></head>
<body><header>{{ user.email }}</header><main><h1>Students</h1>
<form method="post" action="/page"><input name="csrf_token" type="hidden" value="{{ csrf_token() }}"></form>
<table><thead><tr><th>Name and email</th><th>Actions</th></tr></thead><tbody>
{% for row in rows %}<tr id="student-{{ row.id }}">
<td><div>{{ row.name }}</div><div>{{ row.email }}</div></td>
<td><a href="/students/{{ row.id }}/edit">Edit</a></td></tr>
{% endfor %}</tbody></table></main></body></html>"""


CHARGED_TEMPLATE = ('<div id="balance" hx-swap-oob="true">{{ balance }} credits</div>'
                    '<div class="alert alert-success">{{ user.email }} charged 1 credit.</div>')
REFUSED_TEMPLATE = '<div class="alert alert-warning">Not enough credits.</div>'
ENROLLED_TEMPLATE = ('<div id="balance" hx-swap-oob="true">{{ balance }} credits</div>'
                     '<div class="alert alert-success">{{ student }} enrolled by {{ user.email }}.</div>'
                     '{% if low %}<div class="alert alert-warning">Credits are running low.</div>{% endif %}')


def page_app() -> Flask:
    from flask import render_template, request
    from jinja2 import DictLoader
    from flask_login import LoginManager, UserMixin, current_user, login_required, login_user
    from flask_sqlalchemy import SQLAlchemy
    from flask_wtf.csrf import CSRFProtect, generate_csrf

    app = Flask("page")
    # Named templates, compiled once per worker like Aula's (render_template_string would compile every request).
    app.jinja_loader = DictLoader({"page.html": PAGE_TEMPLATE, "charged.html": CHARGED_TEMPLATE,
                                   "refused.html": REFUSED_TEMPLATE, "enrolled.html": ENROLLED_TEMPLATE})
    app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    # As Aula's; BENCH_POOL_PRE_PING=0 spares each request the pool's ping (what a cache could drop too).
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": os.environ.get("BENCH_POOL_PRE_PING", "1") == "1"}
    db = SQLAlchemy(app)
    CSRFProtect(app)
    logins = LoginManager(app)
    user_id, partner_id = int(os.environ["BENCH_REF_USER_ID"]), int(os.environ["BENCH_REF_PARTNER_ID"])
    # The user with their tenant's version (what a page cache keys on; stand-in: the wallet's balance),
    # in one statement, as Aula reads a user with their tenant.
    user_sql = sa.text("SELECT u.id, u.email, w.balance AS version FROM users u"
                       " LEFT JOIN wallets w ON w.partner_id = u.partner_id WHERE u.id = :id")
    rows_sql = sa.text(PAGE_ROWS_SQL)

    class User(UserMixin):
        def __init__(self, row):
            self.id, self.email, self.version = row.id, row.email, row.version

    @logins.user_loader
    def load(session_id: str):
        row = db.session.execute(user_sql, {"id": int(session_id)}).one_or_none()
        return User(row) if row else None

    @app.get("/login")
    def login():  # the bench's one user, signed in without a password: this app only serves the bench
        login_user(User(db.session.execute(user_sql, {"id": user_id}).one()))
        return "signed in"

    @app.get("/page")
    @login_required
    def page():
        rows = db.session.execute(rows_sql, {"partner": partner_id}).all()
        return render_template("page.html", user=current_user, rows=rows)

    wallet_id = int(os.environ["BENCH_REF_WALLET_ID"])
    debit, entry = sa.text(DEBIT_SQL), sa.text(ENTRY_SQL)

    @app.post("/debit")
    @login_required
    def charge():  # CSRFProtect has checked the X-CSRFToken header before this runs
        balance = db.session.execute(debit, {"id": wallet_id}).scalar_one_or_none()
        if balance is None:
            db.session.rollback()
            return render_template("refused.html"), 422
        db.session.execute(entry, {"id": wallet_id, "balance": balance})
        db.session.commit()
        return render_template("charged.html", user=current_user, balance=balance)

    pages: dict[tuple, str] = {}  # (tenant, version, URL) -> the page with a mark where the CSRF token goes
    token_mark = "\x00csrf\x00"

    @app.get("/cached")
    @login_required
    def cached():
        key = (partner_id, current_user.version, request.full_path)
        if key not in pages:
            rows = db.session.execute(rows_sql, {"partner": partner_id}).all()
            pages[key] = render_template("page.html", user=current_user, rows=rows).replace(generate_csrf(),
                                                                                          token_mark)
        return pages[key].replace(token_mark, generate_csrf())

    @app.post("/enrol-fewest")
    @login_required
    def enrol_fewest():  # CSRFProtect has checked the X-CSRFToken header before this runs
        status, answer = fewest_from_form(db, actor=int(current_user.id), partner=partner_id)
        if status != 200:
            return answer, status
        low = answer.threshold is not None and answer.balance < answer.threshold
        return render_template("enrolled.html", user=current_user, student=answer.email,
                               balance=answer.balance, low=low)

    return app


# Aula's enrolment POST statement by statement (tests.querycount counts the same twelve): the
# signed-in user, the partner's catalog, the student, the low-balance threshold, the wallet's
# lock, the student's lock, the participation check, the enrolment, the debit, its entry, the
# audit event, the balance the answer shows.
ENROL_SQL = {
    "user": "SELECT id, email, role, is_active, partner_id, session_version FROM users WHERE id = :actor",
    "catalog": "SELECT id, title, value_per_enrolment, assign_to_all_partners FROM courses"
               " WHERE owner_partner_id IS NULL AND (assign_to_all_partners IS true OR id IN"
               " (SELECT course_id FROM course_partners WHERE partner_id = :partner)) ORDER BY title",
    "student": "SELECT id, email, is_active FROM users WHERE id = :student AND partner_id = :partner"
               " AND role = 'student'",
    "wallet_lock": "SELECT id, balance FROM wallets WHERE partner_id = :partner FOR UPDATE",
    "student_lock": "SELECT id FROM users WHERE id = :student FOR UPDATE",
    "participating": "SELECT id FROM enrolments WHERE user_id = :student AND course_id = :course"
                     " AND status IN ('active', 'completed')",
    "enrolment": "INSERT INTO enrolments (user_id, course_id, partner_id, status, start_date, credits_charged,"
                 " enrolled_by_id, created_at, completed_at, cancelled_at, ended_at) VALUES (:student, :course,"
                 " :partner, 'active', :today, :price, :actor, now(), NULL, NULL, NULL) RETURNING id",
    "debit": "UPDATE wallets SET balance = balance - :price WHERE id = :wallet AND balance >= :price RETURNING balance",
    "entry": "INSERT INTO wallet_entries (wallet_id, amount, balance_after, kind, actor_id, note, enrolment_id,"
             " idempotency_key, created_at) VALUES (:wallet, -:price, :balance, 'enrolment_debit', :actor, :note,"
             " :enrolment, :key, now()) RETURNING id",
    "audit": "INSERT INTO audit_events (actor_id, action, object_type, object_id, partner_id, details, created_at)"
             " VALUES (:actor, 'enrolment.created', 'Enrolment', :enrolment, :partner, :details, now())"
             " RETURNING id",
    "threshold": "SELECT low_balance_threshold FROM platform_settings LIMIT 1",
    "balance": "SELECT balance FROM wallets WHERE partner_id = :partner",
}
ENROL = {name: sa.text(statement) for name, statement in ENROL_SQL.items()}


def platform_today(now: datetime | None = None) -> date:
    """The day in the platform's time zone, as Aula dates an enrolment (``participation.today``).

    Not the database's ``current_date``: in its zone (UTC) the day starts an hour or two later.
    """
    zone = ZoneInfo(os.environ.get("AULA_TIMEZONE") or "Europe/Rome")
    return (now or datetime.now(zone)).astimezone(zone).date()


def enrol_statements(run, *, actor: int, partner: int, student: int, course: int,
                     wallet_last: bool, today: date | None = None) -> tuple[int, str]:
    """One enrolment by ``ENROL_SQL`` through ``run`` (a session's execute): (status, answer).

    On a refusal (422) the caller rolls back; on 200 it commits. ``wallet_last``: the
    wallet's lock just before the debit instead of where Aula takes it (before the
    student's lock). ``today``: the enrolment's start (default ``platform_today()``).
    """
    run(ENROL["user"], {"actor": actor}).one()
    chosen = next((row for row in run(ENROL["catalog"], {"partner": partner}) if row.id == course), None)
    row = run(ENROL["student"], {"student": student, "partner": partner}).one_or_none()
    if chosen is None or row is None or not row.is_active:
        return 422, "refused"
    price = chosen.value_per_enrolment
    threshold = run(ENROL["threshold"]).scalar()
    if not wallet_last:
        wallet = run(ENROL["wallet_lock"], {"partner": partner}).one()
    run(ENROL["student_lock"], {"student": student}).one()
    if run(ENROL["participating"], {"student": student, "course": course}).first() is not None:
        return 422, "already enrolled"
    enrolment = run(ENROL["enrolment"], {"student": student, "course": course, "partner": partner,
                                         "price": price, "actor": actor,
                                         "today": today or platform_today()}).scalar_one()
    if wallet_last:
        wallet = run(ENROL["wallet_lock"], {"partner": partner}).one()
    balance = run(ENROL["debit"], {"price": price, "wallet": wallet.id}).scalar_one_or_none()
    if balance is None:
        return 422, "not enough credits"
    run(ENROL["entry"], {"wallet": wallet.id, "price": price, "balance": balance, "actor": actor,
                         "note": f"{row.email} — {chosen.title}", "enrolment": enrolment,
                         "key": f"enrolment:{enrolment}:debit"})
    details = json.dumps({"student": row.email, "course": chosen.title, "credits": price})
    run(ENROL["audit"], {"actor": actor, "enrolment": enrolment, "partner": partner, "details": details})
    shown = run(ENROL["balance"], {"partner": partner}).scalar_one()
    return 200, f"{row.email} enrolled; {shown} credits left (alert below {threshold})"


# The same enrolment in the fewest statements that keep its rules. The course is read by its id
# with the partner's price (a whitelabel partner's own course free for it), not the whole
# catalog; the low-balance threshold before any lock. Under the wallet's lock: the debit
# (lock, balance check and debit in one UPDATE), the student's row lock (every change of a
# user's participations takes it after the wallet's: app.services.access), the enrolment
# (the partial unique index uq_enrolments_participating_user_course refuses a second
# participation: ON CONFLICT … DO NOTHING, no row, and the caller rolls the debit back), the
# ledger entry and the audit event in one statement. Four statements under the lock instead of
# eight, no balance read again. The signed-in user is read before them (Flask-Login's loader,
# or ENROL["user"] without it).
FEWEST_SQL = {
    "course": "SELECT c.id, c.title, CASE WHEN c.owner_partner_id IS NOT NULL THEN 0"
              " WHEN c.assign_to_all_partners THEN c.value_per_enrolment"
              " ELSE coalesce(cp.custom_value, c.value_per_enrolment) END AS value_per_enrolment"
              " FROM courses c LEFT JOIN course_partners cp"
              " ON cp.course_id = c.id AND cp.partner_id = :partner"
              " WHERE c.id = :course AND (c.owner_partner_id IS NULL"
              " AND (c.assign_to_all_partners IS true OR cp.partner_id IS NOT NULL)"
              " OR c.owner_partner_id = :partner AND EXISTS (SELECT 1 FROM partners p"
              " WHERE p.id = :partner AND p.kind = 'whitelabel'))",
    "student": ENROL_SQL["student"],
    "threshold": ENROL_SQL["threshold"],
    "debit": "UPDATE wallets SET balance = balance - :price WHERE partner_id = :partner AND balance >= :price"
             " RETURNING id, balance",
    "student_lock": ENROL_SQL["student_lock"],
    "enrolment": "INSERT INTO enrolments (user_id, course_id, partner_id, status, start_date, credits_charged,"
                 " enrolled_by_id, created_at) VALUES (:student, :course, :partner, 'active', :today, :price,"
                 " :actor, now()) ON CONFLICT (user_id, course_id) WHERE status IN ('active', 'completed')"
                 " DO NOTHING RETURNING id",
    # A free course (price 0) leaves no entry, as in Aula; PostgreSQL runs the WITH's INSERT either way.
    "entry_and_audit": "WITH entry AS (INSERT INTO wallet_entries (wallet_id, amount, balance_after, kind, actor_id,"
                       " note, enrolment_id, idempotency_key, created_at) SELECT :wallet, -:price, :balance,"
                       " 'enrolment_debit', :actor, :note, :enrolment, :key, now() WHERE :price > 0)"
                       " INSERT INTO audit_events (actor_id, action, object_type, object_id, partner_id, details,"
                       " created_at) VALUES (:actor, 'enrolment.created', 'Enrolment', :enrolment, :partner,"
                       " :details, now())",
}
FEWEST = {name: sa.text(statement) for name, statement in FEWEST_SQL.items()}


@dataclass(frozen=True)
class Enrolled:
    email: str
    balance: int
    threshold: int | None  # the answer warns below it, as Aula's does


def fewest_statements(run, *, actor: int, partner: int, student: int, course: int,
                      today: date | None = None) -> tuple[int, Enrolled | str]:
    """One enrolment by ``FEWEST_SQL`` through ``run``: (200, Enrolled) or (422, why); on 422 the caller rolls back."""
    chosen = run(FEWEST["course"], {"course": course, "partner": partner}).one_or_none()
    row = run(FEWEST["student"], {"student": student, "partner": partner}).one_or_none()
    if chosen is None or row is None or not row.is_active:
        return 422, "refused"
    price = chosen.value_per_enrolment
    threshold = run(FEWEST["threshold"]).scalar()
    wallet = run(FEWEST["debit"], {"price": price, "partner": partner}).one_or_none()
    if wallet is None:
        return 422, "not enough credits"
    run(FEWEST["student_lock"], {"student": student}).one()
    enrolment = run(FEWEST["enrolment"], {"student": student, "course": course, "partner": partner, "price": price,
                                          "actor": actor, "today": today or platform_today()}).scalar_one_or_none()
    if enrolment is None:
        return 422, "already enrolled"
    run(FEWEST["entry_and_audit"], {
        "wallet": wallet.id, "price": price, "balance": wallet.balance, "actor": actor, "partner": partner,
        "note": f"{row.email} — {chosen.title}", "enrolment": enrolment, "key": f"enrolment:{enrolment}:debit",
        "details": json.dumps({"student": row.email, "course": chosen.title, "credits": price}),
    })
    return 200, Enrolled(row.email, wallet.balance, threshold)


def fewest_from_form(db, *, actor: int, partner: int) -> tuple[int, Enrolled | str]:
    """``fewest_statements`` for the request's form, committed when it enrols, rolled back when it refuses."""
    from flask import request

    status, answer = fewest_statements(db.session.execute, actor=actor, partner=partner,
                                       student=int(request.form["student_id"]),
                                       course=int(request.form["course_id"]))
    db.session.commit() if status == 200 else db.session.rollback()
    return status, answer


def enrol_app() -> Flask:
    from flask import request
    from flask_sqlalchemy import SQLAlchemy

    app = Flask("enrol")
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}  # as Aula's
    db = SQLAlchemy(app)
    actor, partner = int(os.environ["BENCH_REF_USER_ID"]), int(os.environ["BENCH_REF_PARTNER_ID"])

    def enrol(*, wallet_last: bool):
        status, answer = enrol_statements(db.session.execute, actor=actor, partner=partner,
                                          student=int(request.form["student_id"]),
                                          course=int(request.form["course_id"]), wallet_last=wallet_last)
        db.session.commit() if status == 200 else db.session.rollback()
        return answer, status

    app.add_url_rule("/enrol", "enrol", lambda: enrol(wallet_last=False), methods=["POST"])
    app.add_url_rule("/enrol-late", "enrol_late", lambda: enrol(wallet_last=True), methods=["POST"])

    @app.post("/enrol-fewest")
    def enrol_fewest():
        db.session.execute(ENROL["user"], {"actor": actor}).one()  # what signing in reads
        status, answer = fewest_from_form(db, actor=actor, partner=partner)
        if status != 200:
            return answer, status
        return f"{answer.email} enrolled; {answer.balance} credits left (alert below {answer.threshold})"

    return app
