"""The ledger's rules, one by one (DESIGN.md §2, invariants 1-4)."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.models import EntryKind, Wallet, WalletEntry
from app.services import DomainError
from app.services.ledger import wallets
from app.services.ledger.wallets import (
    IdempotencyKeyReused, InsufficientCredits, InvalidAmount, InvalidRequestKey, audit_ledger,
)


@pytest.fixture
def admin(factory):
    return factory.platform_admin()


@pytest.fixture
def wallet(factory):
    return wallets.wallet_of(factory.partner())


def entries(db, wallet):
    return db.session.execute(
        sa.select(WalletEntry).where(WalletEntry.wallet_id == wallet.id).order_by(WalletEntry.id)
    ).scalars().all()


def test_recharge_adds_credits_and_one_entry(db, wallet, admin):
    entry = wallets.recharge(wallet, 40, actor=admin, note="first payment")
    assert wallet.balance == 40
    assert (entry.amount, entry.balance_after, entry.kind, entry.actor_id, entry.note) == (
        40, 40, "recharge", admin.id, "first payment")
    db.session.expire_all()
    assert db.session.get(Wallet, wallet.id).balance == 40


def test_deduction_beyond_balance_is_refused_and_changes_nothing(db, wallet, admin):
    wallets.recharge(wallet, 10, actor=admin)
    with pytest.raises(InsufficientCredits) as refused:
        wallets.deduct(wallet, 11, actor=admin)
    assert (refused.value.needed, refused.value.available, refused.value.missing) == (11, 10, 1)
    db.session.expire_all()
    assert db.session.get(Wallet, wallet.id).balance == 10
    assert len(entries(db, wallet)) == 1


def test_deduction_down_to_zero_is_allowed(db, wallet, admin):
    wallets.recharge(wallet, 10, actor=admin)
    entry = wallets.deduct(wallet, 10, actor=admin, note="correction")
    assert (wallet.balance, entry.amount, entry.balance_after, entry.kind) == (0, -10, 0, "deduction")


@pytest.mark.parametrize("amount", [0, -5, 1.5, "7", True, wallets.MAX_AMOUNT + 1])
def test_amounts_must_be_positive_whole_numbers(db, wallet, admin, amount):
    with pytest.raises(InvalidAmount):
        wallets.recharge(wallet, amount, actor=admin)
    assert entries(db, wallet) == []


def test_same_idempotency_key_applies_once(db, wallet, admin):
    first = wallets.recharge(wallet, 25, actor=admin, idempotency_key="dialog-abc")
    again = wallets.recharge(wallet, 25, actor=admin, idempotency_key="dialog-abc")
    assert again.id == first.id and again.replayed
    assert wallet.balance == 25
    assert len(entries(db, wallet)) == 1


def test_idempotency_key_of_another_wallet_is_refused(db, factory, wallet, admin):
    wallets.recharge(wallet, 5, actor=admin, idempotency_key="k-1")
    other = wallets.wallet_of(factory.partner())
    with pytest.raises(IdempotencyKeyReused):
        wallets.recharge(other, 5, actor=admin, idempotency_key="k-1")
    assert other.balance == 0


def test_a_replay_with_another_amount_is_refused_and_changes_nothing(db, wallet, admin):
    wallets.recharge(wallet, 25, actor=admin, idempotency_key="dialog-abc")
    with pytest.raises(IdempotencyKeyReused, match=r"another operation \(Recharge of 25 credits\)"):
        wallets.recharge(wallet, 30, actor=admin, idempotency_key="dialog-abc")
    assert wallet.balance == 25
    assert len(entries(db, wallet)) == 1


def test_a_replay_of_another_kind_is_refused_and_changes_nothing(db, wallet, admin):
    wallets.recharge(wallet, 25, actor=admin, idempotency_key="dialog-abc")
    with pytest.raises(IdempotencyKeyReused):
        wallets.deduct(wallet, 25, actor=admin, idempotency_key="dialog-abc")
    assert wallet.balance == 25
    assert len(entries(db, wallet)) == 1


def test_a_caller_key_is_kept_apart_from_the_apps_own_keys(db, wallet, admin):
    entry = wallets.recharge(wallet, 5, actor=admin, idempotency_key="dialog-abc")
    assert entry.idempotency_key == "req:dialog-abc"


@pytest.mark.parametrize("key", ["enrolment:1:debit", "refund:1", "a b", "x" * 81, "caf\u00e9", 7])
def test_a_caller_key_of_another_shape_is_refused(db, wallet, admin, key):
    with pytest.raises(InvalidRequestKey):
        wallets.recharge(wallet, 5, actor=admin, idempotency_key=key)
    assert entries(db, wallet) == []


def test_a_recharge_keyed_like_the_next_enrolment_does_not_make_it_free(db, factory, admin):
    from app.models import Role
    from app.services.enrolment.enrol import enrol_student

    partner = factory.partner(credits=20)
    partner_admin = factory.user(Role.PARTNER_ADMIN, partner=partner)
    course = factory.course(value=7)
    first = enrol_student(partner_admin, partner, factory.student(partner), course)
    wallet = wallets.wallet_of(partner)
    try:
        wallets.recharge(wallet, 7, actor=admin, idempotency_key=f"enrolment:{first.id + 1}:debit")
    except InvalidRequestKey:
        pass
    before = wallet.balance

    second = enrol_student(partner_admin, partner, factory.student(partner), course)

    assert second.id == first.id + 1
    assert wallet.balance == before - 7
    debit = db.session.execute(sa.select(WalletEntry).where(
        WalletEntry.enrolment_id == second.id, WalletEntry.kind == EntryKind.ENROLMENT_DEBIT.value)).scalar_one()
    assert (debit.amount, debit.idempotency_key) == (-7, f"enrolment:{second.id}:debit")


def test_database_refuses_a_negative_balance(db, wallet):
    """Invariant 1 holds even for code that bypasses the service."""
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.execute(sa.update(Wallet).where(Wallet.id == wallet.id).values(balance=-1))


def test_entries_cannot_be_edited_or_deleted(db, wallet, admin):
    """Invariant 3: a trigger refuses UPDATE and DELETE on the ledger."""
    entry = wallets.recharge(wallet, 5, actor=admin)
    with pytest.raises(DBAPIError, match="append-only"):
        with db.session.begin_nested():
            db.session.execute(sa.update(WalletEntry).where(WalletEntry.id == entry.id).values(amount=500))
    with pytest.raises(DBAPIError, match="append-only"):
        with db.session.begin_nested():
            db.session.execute(sa.delete(WalletEntry).where(WalletEntry.id == entry.id))
    db.session.expire_all()
    assert db.session.get(WalletEntry, entry.id).amount == 5


def test_transfer_moves_credits_as_two_linked_entries(db, factory, admin):
    source = wallets.wallet_of(factory.partner(credits=30))
    target = wallets.wallet_of(factory.reseller())
    result = wallets.transfer(source, target, 30, actor=admin, idempotency_key="recover-1")
    assert (source.balance, target.balance) == (0, 30)
    assert (result.out_entry.kind, result.out_entry.amount, result.out_entry.counterpart_wallet_id) == (
        "transfer_out", -30, target.id)
    assert (result.in_entry.kind, result.in_entry.amount, result.in_entry.counterpart_wallet_id) == (
        "transfer_in", 30, source.id)
    replay = wallets.transfer(source, target, 30, actor=admin, idempotency_key="recover-1")
    assert replay.out_entry.id == result.out_entry.id and replay.out_entry.replayed
    assert (source.balance, target.balance) == (0, 30)


def test_a_transfer_replay_with_another_amount_is_refused(db, factory, admin):
    source = wallets.wallet_of(factory.partner(credits=30))
    target = wallets.wallet_of(factory.reseller())
    wallets.transfer(source, target, 10, actor=admin, idempotency_key="recover-1")
    with pytest.raises(IdempotencyKeyReused):
        wallets.transfer(source, target, 20, actor=admin, idempotency_key="recover-1")
    assert (source.balance, target.balance) == (20, 10)


def test_transfer_beyond_balance_moves_nothing(db, factory, admin):
    source = wallets.wallet_of(factory.partner(credits=5))
    target = wallets.wallet_of(factory.reseller())
    with pytest.raises(InsufficientCredits):
        wallets.transfer(source, target, 6, actor=admin)
    db.session.expire_all()
    assert (db.session.get(Wallet, source.id).balance, db.session.get(Wallet, target.id).balance) == (5, 0)
    assert entries(db, target) == []


def test_transfer_to_the_same_wallet_is_refused(db, wallet, admin):
    with pytest.raises(DomainError):
        wallets.transfer(wallet, wallet, 1, actor=admin)


def test_history_is_newest_first_and_filters_by_kind(db, wallet, admin):
    wallets.recharge(wallet, 10, actor=admin)
    wallets.deduct(wallet, 3, actor=admin)
    wallets.recharge(wallet, 1, actor=admin)
    rows = db.session.execute(wallets.history_query(wallet)).scalars().all()
    assert [e.amount for e in rows] == [1, -3, 10]
    only = db.session.execute(wallets.history_query(wallet, kind=EntryKind.RECHARGE.value)).scalars().all()
    assert [e.amount for e in only] == [1, 10]


def test_audit_passes_on_a_healthy_ledger(db, wallet, admin):
    wallets.recharge(wallet, 10, actor=admin)
    wallets.deduct(wallet, 4, actor=admin)
    checked, problems = audit_ledger()
    assert checked >= 1
    assert [p for p in problems if p.wallet_id == wallet.id] == []


def test_audit_finds_a_balance_that_does_not_match_its_entries(db, wallet, admin):
    wallets.recharge(wallet, 10, actor=admin)
    # Simulate corruption by a hand-made UPDATE that bypasses the service.
    db.session.execute(sa.update(Wallet).where(Wallet.id == wallet.id).values(balance=12))
    _, problems = audit_ledger()
    assert any(p.wallet_id == wallet.id and "entries sum to 10" in p.problem for p in problems)


def test_audit_finds_a_broken_chain(db, wallet, admin):
    wallets.recharge(wallet, 10, actor=admin)
    db.session.add(WalletEntry(wallet_id=wallet.id, amount=5, balance_after=99, kind="recharge"))
    db.session.execute(sa.update(Wallet).where(Wallet.id == wallet.id).values(balance=15))
    db.session.flush()
    _, problems = audit_ledger()
    assert any(p.wallet_id == wallet.id and "balance after 99, expected 15" in p.problem for p in problems)


def test_audit_reports_a_break_once_not_on_every_entry_after_it(db, wallet, admin):
    wallets.recharge(wallet, 10, actor=admin)
    db.session.add(WalletEntry(wallet_id=wallet.id, amount=5, balance_after=99, kind="recharge"))
    db.session.flush()
    db.session.add(WalletEntry(wallet_id=wallet.id, amount=1, balance_after=100, kind="recharge"))
    db.session.execute(sa.update(Wallet).where(Wallet.id == wallet.id).values(balance=16))
    db.session.flush()
    _, problems = audit_ledger()
    chain = [p.problem for p in problems if p.wallet_id == wallet.id and "balance after" in p.problem]
    assert len(chain) == 1 and "balance after 99, expected 15" in chain[0]


def test_a_wallet_never_exceeds_the_largest_balance(db, factory):
    wallet = wallets.wallet_of(factory.partner())
    admin = factory.platform_admin()
    wallets.recharge(wallet, wallets.MAX_AMOUNT, actor=admin)
    wallets.recharge(wallet, wallets.MAX_AMOUNT, actor=admin)
    with pytest.raises(wallets.InvalidAmount):
        wallets.recharge(wallet, 1, actor=admin)
    assert wallet.balance == wallets.MAX_BALANCE
