"""Code run in separate processes by test_access_concurrency.py (each with its own app and pool)."""

from __future__ import annotations


def _app(database_url: str):
    from app import create_app
    from app.config import TestConfig

    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    return create_app({**config, "SQLALCHEMY_DATABASE_URI": database_url})


def grant_same_source(database_url: str, user_id: int, product_id: int, offer_id: int, key: str,
                      start, results) -> None:
    from app.extensions import db
    from app.models import Offer, Product, User
    from app.services import access
    from app.transactions import commit

    app = _app(database_url)
    with app.app_context():
        start.wait(30)
        grant = access.grant_product(None, db.session.get(User, user_id), db.session.get(Product, product_id),
                                     db.session.get(Offer, offer_id), source=access.GrantSource.order_line(key))
        grant_id = grant.id
        commit()
        db.engine.dispose()
    results.put({"grant_id": grant_id})


def move_lessons(database_url: str, course_id: int, moves: list[tuple[int, str]], start, results) -> None:
    from app.extensions import db
    from app.models import Lesson
    from app.services.catalog import lessons
    from app.transactions import commit

    app = _app(database_url)
    moved = 0
    with app.app_context():
        start.wait(30)
        for lesson_id, direction in moves:
            moved += lessons.move_lesson(None, db.session.get(Lesson, lesson_id), direction)
            commit()
        db.engine.dispose()
    results.put({"moved": moved})
