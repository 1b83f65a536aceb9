"""Code run in separate processes by test_sales_concurrency.py (each with its own app and pool)."""

from __future__ import annotations


def _app(database_url: str):
    from app import create_app
    from app.config import TestConfig

    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    return create_app({**config, "SQLALCHEMY_DATABASE_URI": database_url})


def activate_many(database_url: str, order_id: int, actor_id: int, attempts: list, start, results) -> None:
    """Each attempt is ("button",), ("stripe", body, signature) or ("paypal", body, headers)."""
    from app.extensions import db
    from app.models import Order, User
    from app.services.sales import activation, payments
    from app.transactions import commit

    app = _app(database_url)
    outcome = {"activated": 0, "other": 0, "duplicates": 0}
    with app.app_context(), app.test_request_context():
        start.wait(30)
        for attempt in attempts:
            if attempt[0] == "button":
                result = activation.activate_order(db.session.get(User, actor_id), db.session.get(Order, order_id),
                                                   mark_paid=True)
                activated, duplicate = result.activated, False
            else:
                handler = payments.handle_stripe_webhook if attempt[0] == "stripe" else payments.handle_paypal_webhook
                result = handler(attempt[1], attempt[2])
                activated, duplicate = result.outcome == "activated", result.duplicate
            commit()
            outcome["activated" if activated else "other"] += 1
            outcome["duplicates"] += duplicate
        db.engine.dispose()
    results.put(outcome)


def recover_once(database_url: str, reseller_id: int, actor_id: int, customer_id: int, balance: int, up_to: int,
                 start, results) -> None:
    from app.extensions import db
    from app.models import Reseller, User
    from app.services import DomainError
    from app.services.sales import customers
    from app.transactions import commit, rollback

    app = _app(database_url)
    with app.app_context(), app.test_request_context():
        start.wait(30)
        try:
            moved = customers.recover_credit(db.session.get(User, actor_id), db.session.get(Reseller, reseller_id),
                                             db.session.get(User, customer_id), customers.CreditShown(balance, up_to))
            outcome = "replayed" if moved.out_entry.replayed else "moved"
            commit()
        except DomainError:
            rollback()
            outcome = "refused"
        db.engine.dispose()
    results.put({"outcome": outcome})


def pay_with_credit(database_url: str, customer_id: int, offer_id: int, attempts: int, start, results) -> None:
    from app.extensions import db
    from app.models import User
    from app.services.ledger.wallets import InsufficientCredits
    from app.services.sales import orders
    from app.transactions import commit, rollback

    app = _app(database_url)
    outcome = {"paid": 0, "refused": 0}
    with app.app_context(), app.test_request_context():
        start.wait(30)
        for _ in range(attempts):
            try:
                orders.place_order(db.session.get(User, customer_id), offer_id, "credit")
                commit()
                outcome["paid"] += 1
            except InsufficientCredits:
                rollback()
                outcome["refused"] += 1
        db.engine.dispose()
    results.put(outcome)
