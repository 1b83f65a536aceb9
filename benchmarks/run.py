"""`make bench`: speed targets measured on a throw-away SQLite database (and PostgreSQL
when BENCH_DATABASE_URL is set). Prints one line per measure with its target; exits 1
if a target is missed. Kept out of the test suite on purpose: timings are not unit tests.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import tracemalloc

TARGETS = {
    "enrolment (service + commit), per enrolment": 0.050,  # seconds
    "wallet history page (50 of 20k entries)": 0.300,
    "wallet statement CSV, 20k entries, peak memory MiB": 40,
    **{f"partner report, 100k enrolments, {fmt} {what}": target
       for fmt, (seconds, mib) in {"CSV": (15.0, 50), "XLSX": (30.0, 50)}.items()
       for what, target in (("export time", seconds), ("peak memory MiB", mib))},
    "invoice of 500 seats (3 courses each) released by its payment, one transaction": 20.0,
}


def main() -> int:
    from app import create_app
    from app.config import TestConfig
    from app.extensions import db
    from app.models import Role
    from app.services.enrolment import enrol as enrolments
    from app.services.ledger import wallets
    from app.transactions import commit
    from tests.conftest import Factory

    tmp = tempfile.mkdtemp(prefix="aula-bench-")
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    app = create_app({**config, "SQLALCHEMY_DATABASE_URI": url, "TESTING": False})
    results: dict[str, float] = {}
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        factory = Factory(db)
        partner = factory.partner(credits=1_000_000)
        admin = factory.user(Role.PARTNER_ADMIN, partner=partner)
        course = factory.course(value=1)
        students = [factory.student(partner) for _ in range(300)]
        commit()

        started = time.perf_counter()
        for student in students:
            enrolments.enrol_student(admin, partner, student, course)
            commit()
        results["enrolment (service + commit), per enrolment"] = (time.perf_counter() - started) / len(students)

        wallet = wallets.wallet_of(partner)
        platform_admin = factory.platform_admin()
        for i in range(20_000 - len(students)):
            wallets.recharge(wallet, 1, actor=platform_admin, note=f"bench {i}")
            if i % 1000 == 0:
                commit()
        commit()
        admin_email = platform_admin.email
        partner_id = partner.id  # read while the session is open: afterwards the object is detached

    client = app.test_client()
    from tests.conftest import PASSWORD, login

    login(client, admin_email, PASSWORD)
    client.get(f"/platform/partners/{partner_id}/wallet")  # warm up
    started = time.perf_counter()
    for _ in range(5):
        assert client.get(f"/platform/partners/{partner_id}/wallet").status_code == 200
    results["wallet history page (50 of 20k entries)"] = (time.perf_counter() - started) / 5

    tracemalloc.start()
    response = client.get(f"/platform/partners/{partner_id}/wallet.csv")
    lines = sum(chunk.count(b"\n") for chunk in response.response)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert lines >= 20_000, lines
    results["wallet statement CSV, 20k entries, peak memory MiB"] = peak / 2**20

    _measure_partner_reports(app, results)
    _measure_invoice_release(app, results)

    failed = 0
    for name, value in results.items():
        target = TARGETS[name]
        ok = value <= target
        failed += not ok
        unit = "" if "MiB" in name else " s"
        print(f"{'ok  ' if ok else 'SLOW'} {name}: {value:.4f}{unit} (target <= {target}{unit})")
    return 1 if failed else 0


def _measure_partner_reports(app, results: dict[str, float], rows: int = 100_000) -> None:
    """The partner's enrolment report of ``rows`` enrolments (built by bulk SQL): time, then peak memory."""
    from app.extensions import db
    from app.models import Role
    from tests.conftest import PASSWORD, Factory, login
    from tests.test_reports import insert_enrolments

    with app.app_context():
        factory = Factory(db)
        partner = factory.partner()
        admin = factory.user(Role.PARTNER_ADMIN, partner=partner)
        insert_enrolments(db.session, partner, factory.course(title="Bench report course"), rows)
        db.session.commit()
        admin_email = admin.email
    client = app.test_client()
    login(client, admin_email, PASSWORD)
    for fmt in ("CSV", "XLSX"):
        path = f"/partner/reports/enrolments.{fmt.lower()}"
        for measure_memory in (False, True):
            if measure_memory:
                tracemalloc.start()
            started = time.perf_counter()
            response = client.get(path)
            size = sum(len(chunk) for chunk in response.response)
            response.close()
            elapsed = time.perf_counter() - started
            if measure_memory:
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                results[f"partner report, 100k enrolments, {fmt} peak memory MiB"] = peak / 2**20
            else:
                results[f"partner report, 100k enrolments, {fmt} export time"] = elapsed
            assert response.status_code == 200 and size > rows * 20, (fmt, response.status_code, size)


def _measure_invoice_release(app, results: dict[str, float], seats: int = 500) -> None:
    """The payment that completes an invoice of ``seats`` seats waiting for it: 500 grants, 1,500 enrolments and
    500 outbox rows in the payment's one transaction (service + COMMIT). The emails leave after the commit
    (a worker's job in production; here in-process), not timed."""
    from app.extensions import db
    from app.models import Seat
    from app.transactions import commit
    from tests.conftest import Factory

    with app.app_context():
        factory = Factory(db)
        _product, offer = factory.product(*(factory.course() for _ in range(3)), price_cents=1000)
        invoice = factory.invoice((offer, seats))
        free = db.session.execute(db.select(Seat).where(Seat.invoice_id == invoice.id)).scalars().all()
        students = [factory.student(None) for _ in range(seats)]
        for seat, student in zip(free, students):  # linked in bulk: only the release is measured
            seat.user_id, seat.release_mode, seat.state = student.id, "after_full_payment", "waiting"
        commit()
        started = time.perf_counter()
        factory.pay(invoice)
        db.session.commit()
        results["invoice of 500 seats (3 courses each) released by its payment, one transaction"] = (
            time.perf_counter() - started)
        commit()  # what waited for the commit (the 500 emails) runs now, untimed
        released = db.session.scalar(db.select(db.func.count(Seat.id)).where(
            Seat.invoice_id == invoice.id, Seat.state == "released"))
        assert released == seats, released


if __name__ == "__main__":
    sys.exit(main())
