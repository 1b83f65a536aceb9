"""The admin commands scripts rely on (DESIGN.md §4)."""

import sqlalchemy as sa

from app.models import Course, Invoice, Offer, Partner, Product, User, Wallet, WalletEntry
from app.services.demo import DEMO_PASSWORD
from app.services.people.users import authenticate


def _counts(db):
    return {m.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(m))
            for m in (User, Partner, Wallet, WalletEntry, Course, Product, Offer, Invoice)}


def test_seed_demo_creates_the_demo_accounts_and_is_idempotent(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    first = _counts(db)
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert _counts(db) == first

    expected = {
        "admin@example.com": ("platform_admin", None),
        "partner@example.com": ("partner_admin", "Demo Partner"),
        "wl@example.com": ("partner_admin", "Academy WL"),
        "reseller@example.com": ("reseller", None),
        "customer@example.com": ("customer", None),
        "student@example.com": ("student", "Demo Partner"),
    }
    for email, (role, partner_name) in expected.items():
        user = authenticate(email, DEMO_PASSWORD)
        assert user is not None, email
        assert user.role == role
        if partner_name:
            assert user.partner.name == partner_name
    demo = db.session.execute(sa.select(Partner).where(Partner.name == "Demo Partner")).scalar_one()
    assert demo.wallet.balance == 100
    academy = db.session.execute(sa.select(Partner).where(Partner.name == "Academy WL")).scalar_one()
    assert (academy.kind, academy.domain) == ("whitelabel", "academy.localhost")
    customer = authenticate("customer@example.com", DEMO_PASSWORD)
    assert customer.reseller.name == authenticate("reseller@example.com", DEMO_PASSWORD).reseller.name
    assert first["Invoice"] >= 1 and first["Offer"] >= 1 and first["Course"] >= 1


def test_create_admin_asks_for_a_password(app, db):
    result = app.test_cli_runner().invoke(args=["create-admin", "Boss@Example.com"],
                                          input="a long password\na long password\n")
    assert result.exit_code == 0, result.output
    user = authenticate("boss@example.com", "a long password")
    assert user is not None and user.role == "platform_admin"


def test_create_admin_refuses_a_short_password_or_a_taken_email(app, db, factory):
    runner = app.test_cli_runner()
    short = runner.invoke(args=["create-admin", "x@example.com"], input="short\nshort\n")
    assert short.exit_code != 0 and "at least 10" in short.output
    taken = factory.user(__import__("app.models", fromlist=["Role"]).Role.STUDENT)
    again = runner.invoke(args=["create-admin", taken.email], input="a long password\na long password\n")
    assert again.exit_code != 0 and "already exists" in again.output


def test_audit_ledger_passes_then_fails_listing_the_broken_wallet(app, db, factory):
    from app.services.ledger import wallets

    wallet = wallets.wallet_of(factory.partner(name="Rossi Formazione"))
    wallets.recharge(wallet, 10, actor=factory.platform_admin())
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["audit-ledger"])
    assert ok.exit_code == 0 and "Ledger audit passed" in ok.output

    db.session.execute(sa.update(Wallet).where(Wallet.id == wallet.id).values(balance=11))
    broken = runner.invoke(args=["audit-ledger"])
    assert broken.exit_code == 1
    assert f"wallet {wallet.id} partner Rossi Formazione: balance 11 but entries sum to 10" in broken.output
