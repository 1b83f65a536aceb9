"""Grants and lesson order under real concurrency: several processes, each with its own connections."""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Enrolment, Grant, Lesson
from app.services.catalog import lessons as lesson_svc
from app.transactions import commit
from tests import access_concurrency_worker as worker
from tests.conftest import Factory
from tests.test_concurrency import PROCESSES, _run, committed_database  # noqa: F401 (a fixture)

pytestmark = pytest.mark.slow


def test_concurrent_grants_of_one_source_make_one_grant(committed_database):  # noqa: F811
    url, app = committed_database
    with app.app_context():
        factory = Factory(db)
        student = factory.student(factory.partner())
        product, offer = factory.product(factory.course(), factory.course())
        commit()
        ids = (student.id, product.id, offer.id)

    outcomes = _run(worker.grant_same_source, [(url, *ids, "line-42") for _ in range(PROCESSES)])

    assert len({o["grant_id"] for o in outcomes}) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Grant.id))) == 1
        assert db.session.scalar(sa.select(sa.func.count(Enrolment.id)).where(Enrolment.user_id == ids[0])) == 2
        db.session.remove()


def test_concurrent_moves_keep_positions_unique_and_gap_free(committed_database):  # noqa: F811
    url, app = committed_database
    with app.app_context():
        course = Factory(db).course()
        for n in range(4, 9):
            lesson_svc.add_lesson(None, course, f"Lesson {n}")
        commit()
        lesson_ids = [lesson.id for lesson in course.lessons]
        course_id = course.id
    rng = random.Random(7)
    plans = [[(rng.choice(lesson_ids), rng.choice(["up", "down"])) for _ in range(8)] for _ in range(PROCESSES)]

    _run(worker.move_lessons, [(url, course_id, plan) for plan in plans])

    with app.app_context():
        positions = db.session.execute(sa.select(Lesson.position).where(Lesson.course_id == course_id)
                                       .order_by(Lesson.position)).scalars().all()
        assert positions == list(range(1, 9))
        db.session.remove()
