"""A 500-seat invoice released by the payment that completes it, in one transaction (issue 13).

500 grants, 1,500 enrolments and 500 outbox rows in the payment's transaction
(service + COMMIT). The emails leave after the commit (a worker's job in
production; here in-process) and are not timed. Runs in this process against
the benchmark database; what it creates stays there (a new invoice each run).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import logging
import time

SEATS = 500
MAX_SECONDS = 20.0


def release_seconds(app, seats: int = SEATS) -> float:
    from app.extensions import db
    from app.models import Seat, SeatReleaseMode, SeatState
    from app.transactions import commit
    from tests import factories
    from tests.factories import Factory

    # The factories number names and emails from 1 in each process; the dataset ("Partner 1"…) and
    # earlier runs' rows are in this database, so this run numbers from a point none of them reached.
    factories._seq = itertools.count(time.time_ns() // 1000)
    with app.app_context():
        factory = Factory(db)
        # Courses of the product only, not in every partner's catalog: the next runs' pages stay the same.
        _product, offer = factory.product(*(factory.course(assign_to_all=False) for _ in range(3)), price_cents=1000)
        invoice = factory.invoice((offer, seats))
        free = db.session.execute(db.select(Seat).where(Seat.invoice_id == invoice.id)).scalars().all()
        partner = factory.partner()  # one client company's students
        students = [factory.student(partner) for _ in range(seats)]
        for seat, student in zip(free, students):  # linked in bulk: only the release is measured
            seat.user_id = student.id
            seat.release_mode, seat.state = SeatReleaseMode.AFTER_FULL_PAYMENT, SeatState.WAITING
        commit()
        started = time.perf_counter()
        factory.pay(invoice)
        db.session.commit()
        seconds = time.perf_counter() - started
        with _quiet_emails():
            commit()  # what waited for the commit (the emails) runs now, untimed
        released = db.session.scalar(db.select(db.func.count(Seat.id)).where(
            Seat.invoice_id == invoice.id, Seat.state == SeatState.RELEASED))
        if released != seats:
            raise AssertionError(f"{released} of {seats} seats released")
        return seconds


@contextlib.contextmanager
def _quiet_emails():
    """Without a mail server each email is logged and printed: 500 of them would bury the bench's report."""
    email_log = logging.getLogger("app.services.outbox.email")
    level = email_log.level
    email_log.setLevel(logging.WARNING)
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        email_log.setLevel(level)
