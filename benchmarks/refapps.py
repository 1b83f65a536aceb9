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

gunicorn 'benchmarks.refapps:hello_app()' / 'benchmarks.refapps:debit_app()' / 'benchmarks.refapps:page_app()'
"""

from __future__ import annotations

import os

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
    import sqlalchemy as sa
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
    import sqlalchemy as sa
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
