"""The two reference apps `make bench` serves beside Aula, with the same gunicorn settings.

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
- ``enrol``: the twelve statements of Aula's enrolment POST, as plain SQL in one transaction,
  in a bare Flask + Flask-SQLAlchemy app (no sign-in, no CSRF check, no form, no template):
  what Aula's SQL alone allows, with the wallet row locked where Aula locks it
  (``POST /enrol``) and with the same statements reordered so that the wallet is locked last,
  just before the debit (``POST /enrol-late``). No target is held to either. Every enrolment
  of a partner queues on its one wallet row, so the time that row stays locked (the
  statements, and the Python between them, from the lock to the commit) bounds the rate.

gunicorn 'benchmarks.refapps:hello_app()' / 'benchmarks.refapps:debit_app()' / 'benchmarks.refapps:page_app()'
/ 'benchmarks.refapps:enrol_app()'
"""

from __future__ import annotations

import json
import os
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


def page_app() -> Flask:
    from flask import render_template
    from jinja2 import DictLoader
    from flask_login import LoginManager, UserMixin, current_user, login_required, login_user
    from flask_sqlalchemy import SQLAlchemy
    from flask_wtf.csrf import CSRFProtect

    app = Flask("page")
    # Named templates, compiled once per worker like Aula's (render_template_string would compile every request).
    app.jinja_loader = DictLoader({"page.html": PAGE_TEMPLATE, "charged.html": CHARGED_TEMPLATE,
                                   "refused.html": REFUSED_TEMPLATE})
    app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}  # as Aula's
    db = SQLAlchemy(app)
    CSRFProtect(app)
    logins = LoginManager(app)
    user_id, partner_id = int(os.environ["BENCH_REF_USER_ID"]), int(os.environ["BENCH_REF_PARTNER_ID"])
    user_sql, rows_sql = sa.text("SELECT id, email FROM users WHERE id = :id"), sa.text(PAGE_ROWS_SQL)

    class User(UserMixin):
        def __init__(self, row):
            self.id, self.email = row.id, row.email

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
    return app
