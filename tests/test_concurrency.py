"""The ledger under real concurrency: several processes, each with its own connections.

Runs on a SQLite file always, and on PostgreSQL when TEST_DATABASE_URL is set
(in a database of its own, created and dropped here, because these processes
must commit for real).
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models import AuditEvent, Enrolment, Role, Wallet, WalletEntry
from app.services.enrolment.enrol import enrol_student
from app.services.ledger import wallets
from app.services.ledger.wallets import audit_ledger
from app.transactions import commit
from tests import concurrency_worker
from tests.conftest import TEST_DATABASE_URL, Factory, _config_dict, sqlalchemy_url

pytestmark = pytest.mark.slow

PROCESSES = 6
ATTEMPTS_PER_PROCESS = 10
PRICE = 3
CREDITS = 30  # pays for exactly 10 enrolments out of 60 attempts

BACKENDS = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL else [])


@pytest.fixture(params=BACKENDS)
def committed_database(request, tmp_path):
    """A migrated database that several processes share, and its URL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'concurrency.db'}"
        yield url, _migrated_app(url)
        return
    admin_url = sqlalchemy_url(TEST_DATABASE_URL)
    name = f"aula_conc_{uuid.uuid4().hex[:10]}"
    admin_engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    app = _migrated_app(url)
    try:
        yield url, app
    finally:
        with app.app_context():
            db.engine.dispose()
        with admin_engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


def _migrated_app(url: str):
    app = create_app({**_config_dict(), "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
    return app


def _run(target, args_per_process):
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    results = ctx.Queue()
    processes = [ctx.Process(target=target, args=(*args, start, results)) for args in args_per_process]
    for p in processes:
        p.start()
    start.set()
    outcomes = [results.get(timeout=120) for _ in processes]
    for p in processes:
        p.join(timeout=60)
        assert p.exitcode == 0
    return outcomes


def _audit_cli(url: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "FLASK_APP": "wsgi.py", "AULA_INSTANCE_DIR": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "flask", "audit-ledger"], env=env, capture_output=True,
                          text=True, cwd=Path(__file__).resolve().parent.parent, timeout=120)


def test_concurrent_enrolments_never_overspend(committed_database, tmp_path):
    url, app = committed_database
    with app.app_context():
        factory = Factory(db)
        partner = factory.partner(credits=CREDITS)
        admin = factory.user(Role.PARTNER_ADMIN, partner=partner)
        course = factory.course(value=PRICE)
        students = [factory.student(partner).id for _ in range(PROCESSES * ATTEMPTS_PER_PROCESS)]
        commit()
        ids = (partner.id, admin.id, course.id)

    chunks = [students[i::PROCESSES] for i in range(PROCESSES)]
    outcomes = _run(concurrency_worker.enrol_many,
                    [(url, ids[0], ids[1], chunk, ids[2]) for chunk in chunks])

    enrolled = sum(o["enrolled"] for o in outcomes)
    assert enrolled == CREDITS // PRICE
    assert sum(o["insufficient"] for o in outcomes) == len(students) - enrolled
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Enrolment.id)).where(Enrolment.partner_id == ids[0])) == enrolled
        wallet = db.session.execute(sa.select(Wallet).where(Wallet.partner_id == ids[0])).scalar_one()
        assert wallet.balance == CREDITS - enrolled * PRICE == 0
        debits = db.session.scalar(sa.select(sa.func.count()).where(
            WalletEntry.wallet_id == wallet.id, WalletEntry.kind == "enrolment_debit"))
        assert debits == enrolled
        checked, problems = audit_ledger()
        assert problems == []
        db.session.remove()
    result = _audit_cli(url, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Ledger audit passed" in result.stdout


def test_concurrent_enrolments_of_the_same_student_charge_once(committed_database):
    url, app = committed_database
    with app.app_context():
        factory = Factory(db)
        partner = factory.partner(credits=CREDITS)
        admin = factory.user(Role.PARTNER_ADMIN, partner=partner)
        course = factory.course(value=PRICE)
        student = factory.student(partner)
        commit()
        ids = (partner.id, admin.id, student.id, course.id)

    outcomes = _run(concurrency_worker.enrol_many,
                    [(url, ids[0], ids[1], [ids[2]] * 3, ids[3]) for _ in range(PROCESSES)])

    assert sum(o["enrolled"] for o in outcomes) == 1
    assert sum(o["already"] for o in outcomes) == PROCESSES * 3 - 1
    with app.app_context():
        wallet = db.session.execute(sa.select(Wallet).where(Wallet.partner_id == ids[0])).scalar_one()
        assert wallet.balance == CREDITS - PRICE
        assert audit_ledger()[1] == []
        db.session.remove()


def test_concurrent_retries_with_one_idempotency_key_apply_once(committed_database):
    url, app = committed_database
    with app.app_context():
        factory = Factory(db)
        wallet = wallets.wallet_of(factory.partner())
        admin = factory.platform_admin()
        commit()
        ids = (wallet.id, admin.id)

    key = f"dialog-{uuid.uuid4()}"
    outcomes = _run(concurrency_worker.recharge_same_key, [(url, ids[0], ids[1], key) for _ in range(PROCESSES)])

    assert sorted(o["replayed"] for o in outcomes) == [False] + [True] * (PROCESSES - 1)
    with app.app_context():
        assert db.session.get(Wallet, ids[0]).balance == 7
        assert audit_ledger()[1] == []
        db.session.remove()


def test_concurrent_cancels_of_one_enrolment_refund_and_record_it_once(committed_database):
    url, app = committed_database
    with app.app_context():
        factory = Factory(db)
        partner = factory.partner(credits=CREDITS)
        admin = factory.user(Role.PARTNER_ADMIN, partner=partner)
        enrolment = enrol_student(admin, partner, factory.student(partner), factory.course(value=PRICE))
        commit()
        ids = (partner.id, admin.id, enrolment.id)

    ready = multiprocessing.get_context("spawn").Barrier(PROCESSES)
    outcomes = _run(concurrency_worker.cancel_loaded_enrolment, [(url, *ids, ready) for _ in range(PROCESSES)])

    assert sorted(outcomes) == ["cancelled"] + ["refused"] * (PROCESSES - 1)
    with app.app_context():
        refunds = db.session.scalar(sa.select(sa.func.count()).where(
            WalletEntry.enrolment_id == ids[2], WalletEntry.kind == "enrolment_refund"))
        events = db.session.scalar(sa.select(sa.func.count()).where(
            AuditEvent.action == "enrolment.cancelled", AuditEvent.object_id == ids[2]))
        assert (refunds, events) == (1, 1)
        wallet = db.session.execute(sa.select(Wallet).where(Wallet.partner_id == ids[0])).scalar_one()
        assert wallet.balance == CREDITS
        assert audit_ledger()[1] == []
        db.session.remove()
