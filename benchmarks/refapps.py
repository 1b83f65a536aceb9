"""The two reference apps `make bench` serves beside Aula, with the same gunicorn settings.

- ``hello``: Flask answering a constant string: what the server, the worker model and
  Flask cost on this machine. List pages are measured against it.
- ``debit``: Flask + Flask-SQLAlchemy doing only what an enrolment must do in the
  database: the conditional debit of one wallet and its ledger entry, one transaction.
  The enrolment POST is measured against it. It charges the reference reseller's
  wallet (``BENCH_REF_WALLET_ID``) of the bench database, keeping its ledger right
  (``balance_after`` is the balance the UPDATE returns).

gunicorn 'benchmarks.refapps:hello_app()' / 'benchmarks.refapps:debit_app()'
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
