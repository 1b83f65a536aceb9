"""The credit ledger. The only code that changes a wallet's balance.

Invariants (DESIGN.md §2), kept under concurrency on PostgreSQL and SQLite:

1. balance >= 0: the balance moves by one conditional
   ``UPDATE … SET balance = balance + :amount WHERE balance + :amount >= 0``
   whose RETURNING row says whether it applied; a CHECK backs it up.
2. balance = sum of entries: the UPDATE and the entry are one transaction.
3. entries are append-only: no code updates or deletes them, and a trigger
   refuses it in the database.
4. an idempotency key applies once: the wallet row is locked first
   (``SELECT … FOR UPDATE``; SQLite's BEGIN IMMEDIATE serialises writers),
   so a repeat sees the first one's entry and returns it unchanged; a
   UNIQUE index backs it up. A repeat replays only the same operation (same
   wallet, kind and amount); the same key with anything else is refused
   (``IdempotencyKeyReused``) and changes nothing. Enrolment debits need no
   lookup: their key (``enrolment:<id>:debit``) names an enrolment the
   caller created in this transaction, under this lock, which no earlier
   entry can name; the UNIQUE index still refuses a second debit of it.

An enrolment (single or bulk) locks its wallet once with ``locked_wallet_of``
(the lock and the balance in one statement) and charges through
``debit_for_enrolments``: one conditional UPDATE for the whole batch and its
entries inserted together, each with its running ``balance_after``.

Idempotency keys live in two namespaces that cannot meet. The app's own
keys are built here by each use case and start with their kind
(``enrolment:<id>:debit``, ``refund:<debit id>``). A key a caller supplies
(a form's request key, later a webhook's event id) is checked (1 to 80
letters, digits, ``.``, ``_`` or ``-``: never a ``:``) and stored as
``req:<key>`` (``req:<key>:out`` / ``:in`` for a transfer's two entries),
so no caller can pre-empt or replay an entry the app itself will write.

Functions add and flush; the caller commits once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from flask_babel import lazy_gettext as _l, lazy_pgettext

import sqlalchemy as sa

from app.extensions import db
from app.i18n import credits_text, format_credits
from app.models import EntryKind, Partner, Reseller, User, Wallet, WalletEntry
from app.services import DomainError

MAX_AMOUNT = 1_000_000_000
# The largest balance a wallet may hold: well inside a 32-bit database integer.
MAX_BALANCE = 2_000_000_000


class InvalidAmount(DomainError):
    field = "amount"


class InsufficientCredits(DomainError):
    """The balance does not pay for it: the one wording of that refusal, with the figures."""

    # Set by a use case that tells someone about the refusal: whether this refusal did.
    told: bool | None = None

    def __init__(self, needed: int, available: int):
        super().__init__(_l("Not enough credits: %(needed)s needed, %(available)s available, %(missing)s missing.",
                            needed=format_credits(needed), available=format_credits(available),
                            missing=format_credits(needed - available)))
        self.needed = needed
        self.available = available

    @property
    def missing(self) -> int:
        return self.needed - self.available


class IdempotencyKeyReused(DomainError):
    field = "idempotency_key"


class InvalidRequestKey(DomainError):
    field = "idempotency_key"


KIND_LABELS = {
    # A kind of entry (a noun: "Recarga"), not the button that makes one ("Recarregar").
    EntryKind.RECHARGE.value: lazy_pgettext("wallet entry kind", "Recharge"),
    EntryKind.DEDUCTION.value: _l("Deduction"),
    EntryKind.ENROLMENT_DEBIT.value: _l("Enrolment"),
    EntryKind.ENROLMENT_REFUND.value: _l("Enrolment refund"),
    EntryKind.TRANSFER_IN.value: _l("Transfer in"),
    EntryKind.TRANSFER_OUT.value: _l("Transfer out"),
    EntryKind.ORDER_PAYMENT.value: _l("Order paid with credit"),
    EntryKind.RECOVERY_OUT.value: _l("Credit recovered by the reseller"),
    EntryKind.RECOVERY_IN.value: _l("Credit recovered from a customer"),
}

# --- idempotency keys ----------------------------------------------------------

CALLER_KEY_RE = re.compile(r"[A-Za-z0-9._-]{1,80}", re.ASCII)


def _caller_key(key: str | None) -> str | None:
    """The stored form of a caller's key (``req:<key>``); None when the caller gave none."""
    if key is None or key == "":
        return None
    if not isinstance(key, str) or not CALLER_KEY_RE.fullmatch(key):
        raise InvalidRequestKey(_l("A request key has 1 to 80 letters, digits, '.', '_' or '-'."))
    return f"req:{key}"


# --- wallets -----------------------------------------------------------------


def wallet_of(owner: Partner | Reseller | User) -> Wallet:
    """The owner's wallet, created empty the first time it is asked for."""
    column = {Partner: Wallet.partner_id, Reseller: Wallet.reseller_id, User: Wallet.user_id}[type(owner)]
    wallet = db.session.execute(db.select(Wallet).where(column == owner.id)).scalar_one_or_none()
    if wallet is None:
        wallet = Wallet(balance=0, **{column.key: owner.id})
        db.session.add(wallet)
        db.session.flush()
    return wallet


def locked_wallet_of(owner: Partner | Reseller | User) -> Wallet:
    """The owner's wallet, its row locked (``SELECT … FOR UPDATE``) and its balance read under the lock.

    One statement when the wallet exists; the first time it is created empty, then locked.
    """
    column = {Partner: Wallet.partner_id, Reseller: Wallet.reseller_id, User: Wallet.user_id}[type(owner)]
    wallet = db.session.execute(
        db.select(Wallet).where(column == owner.id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if wallet is None:
        wallet = wallet_of(owner)
        lock_wallets(wallet.id)
    return wallet


def lock_wallets(*wallet_ids: int) -> None:
    """Lock the wallet rows (in id order, so two transfers never deadlock)."""
    db.session.execute(
        sa.select(Wallet.id).where(Wallet.id.in_(wallet_ids)).order_by(Wallet.id).with_for_update()
    ).all()


def _replay(wallet_id: int, key: str | None, kind: EntryKind, delta: int) -> WalletEntry | None:
    """The entry ``key`` already wrote for this very operation, or None; any other use is refused."""
    if key is None:
        return None
    entry = db.session.execute(
        db.select(WalletEntry).where(WalletEntry.idempotency_key == key)
    ).scalar_one_or_none()
    if entry is None:
        return None
    if entry.wallet_id != wallet_id:
        raise IdempotencyKeyReused(_l(
            "This request key was already used for another wallet: nothing was changed."))
    if (entry.kind, entry.amount) != (kind.value, delta):
        raise IdempotencyKeyReused(_l(
            "This request key was already used for another operation (%(kind)s of %(credits)s): "
            "nothing was changed.", kind=KIND_LABELS.get(entry.kind, entry.kind),
            credits=credits_text(abs(entry.amount))))
    entry.replayed = True
    return entry


def _check_amount(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise InvalidAmount(_l("The amount must be a whole number of credits."))
    if amount <= 0:
        raise InvalidAmount(_l("The amount must be a positive whole number."))
    if amount > MAX_AMOUNT:
        raise InvalidAmount(_l("The amount may be at most %(n)s.", n=format_credits(MAX_AMOUNT)))


def _move(
    wallet: Wallet,
    delta: int,
    kind: EntryKind,
    *,
    actor: User | None,
    note: str = "",
    idempotency_key: str | None = None,
    enrolment_id: int | None = None,
    reverses_entry_id: int | None = None,
    counterpart_wallet_id: int | None = None,
) -> WalletEntry:
    """Change the balance by ``delta`` and append the entry. Wallet must be locked."""
    table = Wallet.__table__
    if delta > 0:
        current = db.session.execute(sa.select(table.c.balance).where(table.c.id == wallet.id)).scalar_one()
        if current + delta > MAX_BALANCE:  # the row is locked: this read cannot go stale
            raise InvalidAmount(_l("A wallet may hold at most %(n)s credits.", n=format_credits(MAX_BALANCE)))
    new_balance = db.session.execute(
        sa.update(table)
        .where(table.c.id == wallet.id, table.c.balance + delta >= 0)
        .values(balance=table.c.balance + delta)
        .returning(table.c.balance)
    ).scalar_one_or_none()
    if new_balance is None:
        available = db.session.execute(
            sa.select(table.c.balance).where(table.c.id == wallet.id)
        ).scalar_one()
        raise InsufficientCredits(needed=-delta, available=available)
    # Keep the ORM object in step with the row we just changed.
    sa.orm.attributes.set_committed_value(wallet, "balance", new_balance)
    entry = WalletEntry(
        wallet_id=wallet.id,
        amount=delta,
        balance_after=new_balance,
        kind=kind.value,
        actor_id=actor.id if actor is not None else None,
        note=(note or "")[:500],
        idempotency_key=idempotency_key or None,
        enrolment_id=enrolment_id,
        reverses_entry_id=reverses_entry_id,
        counterpart_wallet_id=counterpart_wallet_id,
    )
    entry.replayed = False
    entry.balance_before = new_balance - delta
    db.session.add(entry)
    db.session.flush()
    return entry


def _single(wallet, delta, kind, *, idempotency_key=None, **kwargs) -> WalletEntry:
    """One entry under the wallet's lock; ``idempotency_key`` is already namespaced."""
    lock_wallets(wallet.id)
    replay = _replay(wallet.id, idempotency_key, kind, delta)
    if replay is not None:
        return replay
    return _move(wallet, delta, kind, idempotency_key=idempotency_key, **kwargs)


# --- use cases -----------------------------------------------------------------


def recharge(wallet: Wallet, amount: int, *, actor: User, note: str = "", idempotency_key: str | None = None) -> WalletEntry:
    """A platform admin adds credits. ``idempotency_key``: the caller's (see the module docstring)."""
    _check_amount(amount)
    return _single(wallet, amount, EntryKind.RECHARGE, actor=actor, note=note,
                   idempotency_key=_caller_key(idempotency_key))


def deduct(wallet: Wallet, amount: int, *, actor: User, note: str = "", idempotency_key: str | None = None) -> WalletEntry:
    """A platform admin removes credits; refused (nothing changes) beyond the balance."""
    _check_amount(amount)
    return _single(wallet, -amount, EntryKind.DEDUCTION, actor=actor, note=note,
                   idempotency_key=_caller_key(idempotency_key))


def debit_for_enrolments(
    wallet: Wallet, amount: int, enrolment_ids: list[int], *, actor: User | None, notes: list[str],
) -> int:
    """Charge ``amount`` for each of these new enrolments, in order (keys ``enrolment:<id>:debit``); the new balance.

    The caller holds the wallet's lock (``locked_wallet_of``) and created the
    enrolments in this transaction (so no key can have been used: see the
    module docstring). One conditional UPDATE moves the balance by the whole
    total, or raises ``InsufficientCredits`` and changes nothing; the entries
    follow in one batch insert, each with its running ``balance_after``. A
    free course (amount 0) leaves no entry.
    """
    if amount == 0 or not enrolment_ids:
        return wallet.balance
    _check_amount(amount)
    table = Wallet.__table__
    total = amount * len(enrolment_ids)
    new_balance = db.session.execute(
        sa.update(table).where(table.c.id == wallet.id, table.c.balance - total >= 0)
        .values(balance=table.c.balance - total).returning(table.c.balance)
    ).scalar_one_or_none()
    if new_balance is None:
        available = db.session.execute(sa.select(table.c.balance).where(table.c.id == wallet.id)).scalar_one()
        raise InsufficientCredits(needed=total, available=available)
    sa.orm.attributes.set_committed_value(wallet, "balance", new_balance)
    actor_id = actor.id if actor is not None else None
    # balance_after: the running balance, from the balance before the batch down to new_balance.
    db.session.execute(sa.insert(WalletEntry), [
        dict(wallet_id=wallet.id, amount=-amount, balance_after=new_balance + total - amount * n,
             kind=EntryKind.ENROLMENT_DEBIT.value, actor_id=actor_id, note=(note or "")[:500],
             idempotency_key=f"enrolment:{enrolment_id}:debit", enrolment_id=enrolment_id)
        for n, (enrolment_id, note) in enumerate(zip(enrolment_ids, notes, strict=True), start=1)
    ])
    return new_balance


def refund(debit: WalletEntry, *, actor: User | None, note: str = "") -> WalletEntry:
    """Give back what an enrolment debit took, once (key ``refund:<debit id>``), as a new entry that references it."""
    if debit.kind != EntryKind.ENROLMENT_DEBIT.value:
        raise DomainError(_l("Only an enrolment debit can be refunded."))
    return _single(
        debit.wallet, -debit.amount, EntryKind.ENROLMENT_REFUND, actor=actor, note=note,
        enrolment_id=debit.enrolment_id, reverses_entry_id=debit.id,
        idempotency_key=f"refund:{debit.id}",
    )


@dataclass
class Transfer:
    out_entry: WalletEntry
    in_entry: WalletEntry


def transfer(source: Wallet, target: Wallet, amount: int, *, actor: User, note: str = "", idempotency_key: str | None = None) -> Transfer:
    """Move credits between wallets: two entries in one transaction."""
    _check_amount(amount)
    if source.id == target.id:
        raise DomainError(_l("A transfer needs two different wallets."))
    key = _caller_key(idempotency_key)
    lock_wallets(source.id, target.id)
    out_key = f"{key}:out" if key else None
    in_key = f"{key}:in" if key else None
    replay = _replay(source.id, out_key, EntryKind.TRANSFER_OUT, -amount)
    if replay is not None:
        return Transfer(replay, _replay(target.id, in_key, EntryKind.TRANSFER_IN, amount))
    out_entry = _move(source, -amount, EntryKind.TRANSFER_OUT, actor=actor, note=note,
                      idempotency_key=out_key, counterpart_wallet_id=target.id)
    in_entry = _move(target, amount, EntryKind.TRANSFER_IN, actor=actor, note=note,
                     idempotency_key=in_key, counterpart_wallet_id=source.id)
    return Transfer(out_entry, in_entry)


# --- reseller sales: orders paid with credit, credit recovered (keys owned by the app) --------


def pay_order(wallet: Wallet, amount: int, *, order_id: int, actor: User | None, note: str = "") -> WalletEntry:
    """A customer pays order ``order_id`` with credit: refused (nothing changes) beyond the balance.

    Keyed ``order:<id>:pay``: an order is paid once, however often it is asked.
    """
    _check_amount(amount)
    return _single(wallet, -amount, EntryKind.ORDER_PAYMENT, actor=actor, note=note,
                   idempotency_key=f"order:{order_id}:pay")


class NothingToRecover(DomainError):
    """The customer's credit is zero: nothing was written."""


class BalanceChanged(DomainError):
    """The balance is not the one the confirmation showed: nothing was moved."""

    def __init__(self, shown: int, now: int):
        super().__init__(_l("The balance changed since you opened this dialog (%(shown)s then, %(now)s now). "
                            "Nothing was moved: check the balance and confirm again.", shown=shown, now=now))
        self.now = now


def last_entry_id(wallet: Wallet) -> int:
    """The id of the wallet's newest entry (0 without entries): what a shown balance was read up to."""
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(WalletEntry.id), 0)).where(WalletEntry.wallet_id == wallet.id)
    )


def recover_credit(customer_wallet: Wallet, reseller_wallet: Wallet, shown_balance: int, *, shown_up_to: int,
                   actor: User, note: str = "") -> Transfer:
    """Move a customer's whole balance, exactly ``shown_balance``, to the reseller: two linked entries.

    Both wallets are locked first. Refused with nothing moved if the balance is
    no longer ``shown_balance`` (``BalanceChanged``) or is zero
    (``NothingToRecover``). Keyed ``recover:<wallet>:<shown_up_to>`` (the newest
    entry when the balance was shown): the same confirmation sent twice moves once.
    """
    if customer_wallet.id == reseller_wallet.id:
        raise DomainError(_l("A transfer needs two different wallets."))
    lock_wallets(customer_wallet.id, reseller_wallet.id)
    key = f"recover:{customer_wallet.id}:{shown_up_to}"
    replay = _replay(customer_wallet.id, f"{key}:out", EntryKind.RECOVERY_OUT, -shown_balance)
    if replay is not None:
        return Transfer(replay, _replay(reseller_wallet.id, f"{key}:in", EntryKind.RECOVERY_IN, shown_balance))
    table = Wallet.__table__
    balance = db.session.execute(sa.select(table.c.balance).where(table.c.id == customer_wallet.id)).scalar_one()
    if balance != shown_balance:
        raise BalanceChanged(shown_balance, balance)
    if balance == 0:
        raise NothingToRecover(_l("This customer has no credit to recover: nothing was moved."))
    out_entry = _move(customer_wallet, -balance, EntryKind.RECOVERY_OUT, actor=actor, note=note,
                      idempotency_key=f"{key}:out", counterpart_wallet_id=reseller_wallet.id)
    in_entry = _move(reseller_wallet, balance, EntryKind.RECOVERY_IN, actor=actor, note=note,
                     idempotency_key=f"{key}:in", counterpart_wallet_id=customer_wallet.id,
                     reverses_entry_id=out_entry.id)
    return Transfer(out_entry, in_entry)


# --- reading -----------------------------------------------------------------


def history_query(wallet: Wallet, *, kind: str | None = None, since=None, until=None):
    """Entries of a wallet, newest first, optionally by kind and [since, until)."""
    query = db.select(WalletEntry).where(WalletEntry.wallet_id == wallet.id)
    if kind:
        query = query.where(WalletEntry.kind == kind)
    if since is not None:
        query = query.where(WalletEntry.created_at >= since)
    if until is not None:
        query = query.where(WalletEntry.created_at < until)
    return query.order_by(WalletEntry.id.desc())


# --- audit -------------------------------------------------------------------


@dataclass
class LedgerProblem:
    wallet_id: int
    owner: str
    problem: str


# Problem rows read from the database at a time (a broken ledger may have many).
AUDIT_BATCH = 1000


def audit_ledger() -> tuple[int, list[LedgerProblem]]:
    """Check invariants 1-4 for every wallet. Returns (wallets checked, problems)."""
    return wallet_count(), list(ledger_problems())


def wallet_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Wallet.id)))


def ledger_problems() -> Iterator[LedgerProblem]:
    """Every break of invariants 1-4, wallet by wallet, found by set-based SQL.

    The database does the work (a window function compares each entry with the
    one before it; a GROUP BY sums each wallet); only the problems come back,
    streamed in batches, so memory stays flat whatever the ledger's size.
    Each entry is checked against the one before it, so a break is reported
    once, not on every entry after it.
    """
    owners = _OwnerLabels()
    for wallet_id, balance in db.session.execute(
        sa.select(Wallet.id, Wallet.balance).where(Wallet.balance < 0).order_by(Wallet.id)
    ):
        yield LedgerProblem(wallet_id, owners(wallet_id), f"negative balance {balance}")
    before = sa.func.lag(WalletEntry.balance_after, 1, 0).over(partition_by=WalletEntry.wallet_id,
                                                               order_by=WalletEntry.id)
    steps = sa.select(WalletEntry.wallet_id, WalletEntry.id, WalletEntry.amount, WalletEntry.balance_after,
                      before.label("before")).subquery()
    breaks = db.session.execute(
        sa.select(steps).where(sa.or_(steps.c.balance_after != steps.c.before + steps.c.amount,
                                      steps.c.balance_after < 0))
        .order_by(steps.c.wallet_id, steps.c.id).execution_options(yield_per=AUDIT_BATCH)
    )
    for wallet_id, entry_id, amount, balance_after, previous in breaks:
        if balance_after != previous + amount:
            yield LedgerProblem(wallet_id, owners(wallet_id),
                                f"entry {entry_id}: balance after {balance_after}, expected {previous + amount}")
        if balance_after < 0:
            yield LedgerProblem(wallet_id, owners(wallet_id), f"entry {entry_id}: negative balance after")
    total = sa.func.coalesce(sa.func.sum(WalletEntry.amount), 0)
    for wallet_id, balance, summed in db.session.execute(
        sa.select(Wallet.id, Wallet.balance, total).outerjoin(WalletEntry, WalletEntry.wallet_id == Wallet.id)
        .group_by(Wallet.id, Wallet.balance).having(Wallet.balance != total).order_by(Wallet.id)
    ):
        yield LedgerProblem(wallet_id, owners(wallet_id), f"balance {balance} but entries sum to {summed}")
    for wallet_id, key, count in db.session.execute(
        sa.select(WalletEntry.wallet_id, WalletEntry.idempotency_key, sa.func.count())
        .where(WalletEntry.idempotency_key.is_not(None))
        .group_by(WalletEntry.wallet_id, WalletEntry.idempotency_key)
        .having(sa.func.count() > 1)
    ):
        yield LedgerProblem(wallet_id, "", f"idempotency key {key!r} applied {count} times")


class _OwnerLabels:
    """Who owns a wallet (``partner Rossi``), read once per broken wallet."""

    def __init__(self):
        self.labels: dict[int, str] = {}

    def __call__(self, wallet_id: int) -> str:
        if wallet_id not in self.labels:
            wallet = db.session.get(Wallet, wallet_id)
            self.labels[wallet_id] = wallet.owner_label if wallet is not None else ""
        return self.labels[wallet_id]
