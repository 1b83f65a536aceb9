"""Seats: linking users to the access units of an invoice, and releasing them exactly once.

A seat is one unit of an access line (the invoice's issue creates ``quantity``
free seats per line). Rules:
- Linking takes the invoice's row lock, then a free seat of the line: never
  more users than seats, never the same user twice on one line (the partial
  UNIQUE index on live seats backs the service's refusal).
- Release *now* grants at once; *after full payment* waits until a payment
  makes the invoice paid in full (``payments.record_payment`` calls
  ``release_waiting`` in its own transaction, under the same lock). A seat
  linked after full payment on an invoice already paid is released at once.
- Releasing is ``access.grant_products`` (one grant per seat, source
  ``GrantSource.invoice_seat(seat.id)``, the seats in one batch) after a conditional
  ``UPDATE … WHERE state = 'waiting'`` on the seats: a seat is released once,
  whoever asks twice. The users' row locks are taken together in id order,
  after the invoice's. Each user gets one email per release, listing what
  was released.
- A user who already has a course another way keeps one enrolment (the
  grant links to it); the seat still counts as released.
- Unlinking frees a waiting seat; a released seat is not unlinked (cancel the
  invoice to revoke it).
- Withdrawing revokes a released seat's grant and marks the seat ``revoked``;
  after a reversal a new waiting seat takes its place (``replaces_seat_id``),
  so the next full payment releases it again under a source of its own.

Functions add and flush; the caller commits once.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import (
    Invoice, InvoiceLine, InvoiceStatus, Payment, PaymentKind, Role, Seat, SeatReleaseMode, SeatState, User,
)
from app.models.base import MAX_ID, utcnow
from app.services import access, audit
from app.services.billing.invoices import InvoiceRefused, SeatCounts, is_live, line_seat_counts, lock_invoice
from app.services.catalog.courses import like
from app.services.outbox.email import queue_email
from app.services.tenancy import sites

PICKER_LIMIT = 10
MEMBER_ROLES = (Role.STUDENT.value, Role.CUSTOMER.value)


class SeatRefused(InvoiceRefused):
    """The seat cannot be linked, unlinked or released as asked."""


# --- choosing a user and a line ------------------------------------------------------------------


def user_choices(q: str | None) -> list[User]:
    """Active students and customers whose name or email matches ``q`` (a few, for search-as-you-type)."""
    text = " ".join((q or "").split())
    if len(text) < 2:
        return []
    pattern = like(text)
    return db.session.execute(
        sa.select(User).where(User.role.in_(MEMBER_ROLES), User.is_active_account.is_(True), sa.or_(
            sa.func.lower(User.name).like(pattern, escape="\\"), sa.func.lower(User.email).like(pattern, escape="\\"),
        )).order_by(sa.func.lower(User.email), User.id).limit(PICKER_LIMIT)
    ).scalars().all()


def seat_user(user_id: int | None) -> User | None:
    """The chosen user, checked by one lookup: an active student or customer."""
    if user_id is None or not 0 < user_id <= MAX_ID:
        return None
    return db.session.execute(
        sa.select(User).where(User.id == user_id, User.role.in_(MEMBER_ROLES), User.is_active_account.is_(True))
    ).scalar_one_or_none()


def lines_with_free_seats(invoice: Invoice) -> list[tuple[InvoiceLine, SeatCounts]]:
    """The access lines that still have a free seat, with their counts."""
    counts = line_seat_counts(invoice)
    return [(line, counts[line.id]) for line in invoice.lines
            if line.is_access and line.id in counts and counts[line.id].free > 0]


def seats_of(invoice: Invoice, *, include_revoked: bool = True) -> list[Seat]:
    """The invoice's seats with user and line loaded, by line then id."""
    query = (sa.select(Seat).where(Seat.invoice_id == invoice.id)
             .options(sa.orm.joinedload(Seat.user), sa.orm.joinedload(Seat.line))
             .order_by(Seat.line_id, Seat.id))
    if not include_revoked:
        query = query.where(Seat.state != SeatState.REVOKED.value)
    return db.session.execute(query).scalars().all()


def linked_seats_of(invoice: Invoice) -> list[Seat]:
    """The seats given to someone (waiting, released, revoked), with user and line loaded, by line then id."""
    return db.session.execute(
        sa.select(Seat).where(Seat.invoice_id == invoice.id, Seat.state != SeatState.FREE.value)
        .options(sa.orm.joinedload(Seat.user), sa.orm.joinedload(Seat.line))
        .order_by(Seat.line_id, Seat.id)
    ).scalars().all()


def free_seats_by_line(invoice: Invoice) -> list[tuple[InvoiceLine, int]]:
    """How many seats of each line are still free: one row per line, however many seats (one query)."""
    rows = db.session.execute(
        sa.select(InvoiceLine, sa.func.count(Seat.id)).join(Seat, Seat.line_id == InvoiceLine.id)
        .where(Seat.invoice_id == invoice.id, Seat.state == SeatState.FREE.value)
        .group_by(InvoiceLine.id).order_by(InvoiceLine.id)
    ).all()
    return [(line, count) for line, count in rows]


# --- link and unlink -----------------------------------------------------------------------------------


def _refuse_unless_live(invoice: Invoice) -> None:
    if invoice.status == InvoiceStatus.DRAFT:
        raise SeatRefused(_l("Issue the invoice first: its seats exist once it is issued."))
    if not is_live(invoice):
        raise SeatRefused(_l("Invoice %(number)s is cancelled: its seats cannot change.", number=invoice.number))


def link_seat(actor: User | None, invoice: Invoice, *, line_id: int | None, user_id: int | None,
              release_mode: str | None) -> Seat:
    """Give ``user`` a free seat of the line, released now or once the invoice is paid in full."""
    lock_invoice(invoice)
    _refuse_unless_live(invoice)
    if release_mode not in SeatReleaseMode.values():
        raise SeatRefused(_l("Choose when the access is released."), field="release_mode")
    line = next((line for line in invoice.lines if line.id == line_id and line.is_access), None)
    if line is None:
        raise SeatRefused(_l("This product is not on the invoice: choose one of its lines."), field="line_id")
    user = seat_user(user_id)
    if user is None:
        raise SeatRefused(_l("Choose a student or customer from the list."), field="user_id")
    taken = db.session.execute(sa.select(Seat.id).where(
        Seat.line_id == line.id, Seat.user_id == user.id, Seat.state != SeatState.REVOKED.value)).first()
    if taken is not None:
        raise SeatRefused(_l("%(user)s already has a seat of %(product)s on this invoice.",
                             user=user.email, product=line.description), field="user_id")
    seat = db.session.execute(
        sa.select(Seat).where(Seat.line_id == line.id, Seat.state == SeatState.FREE.value)
        .order_by(Seat.id).limit(1)
    ).scalar_one_or_none()
    if seat is None:
        raise SeatRefused(_l("No free seat left of %(product)s: all %(n)s are linked.",
                             product=line.description, n=line.quantity), field="line_id")
    seat.user_id, seat.release_mode, seat.state = user.id, release_mode, SeatState.WAITING.value
    seat.linked_at, seat.linked_by_id = utcnow(), actor.id if actor else None
    db.session.flush()
    audit.record(actor, "seat.linked", invoice, seat_id=seat.id, user=user.email, product=line.description,
                 release_mode=release_mode)
    if release_mode == SeatReleaseMode.NOW:
        release(actor, invoice, [seat])
    elif invoice.status == InvoiceStatus.PAID:
        release(actor, invoice, [seat], payment=completing_payment(invoice))
    return seat


def unlink_seat(actor: User | None, invoice: Invoice, seat_id: int) -> Seat:
    """Free a seat that is waiting for payment; a released seat stays (cancel the invoice to revoke it)."""
    lock_invoice(invoice)
    _refuse_unless_live(invoice)
    seat = db.session.execute(
        sa.select(Seat).where(Seat.id == seat_id, Seat.invoice_id == invoice.id)).scalar_one_or_none()
    if seat is None or seat.state in (SeatState.FREE, SeatState.REVOKED):
        raise SeatRefused(_l("This seat is not linked to anyone."))
    if seat.state == SeatState.RELEASED:
        raise SeatRefused(_l("%(user)s already has this access: a released seat is not unlinked "
                             "(cancelling the invoice revokes it).", user=seat.user.email))
    email = seat.user.email
    seat.user_id, seat.release_mode, seat.state = None, None, SeatState.FREE.value
    seat.linked_at = seat.linked_by_id = None
    db.session.flush()
    audit.record(actor, "seat.unlinked", invoice, seat_id=seat.id, user=email)
    return seat


# --- release ---------------------------------------------------------------------------------------------


def completing_payment(invoice: Invoice) -> Payment | None:
    """The payment that made a paid invoice paid in full: its latest payment (nothing is reversed after it)."""
    return db.session.execute(
        sa.select(Payment).where(Payment.invoice_id == invoice.id, Payment.kind == PaymentKind.PAYMENT.value)
        .order_by(Payment.id.desc()).limit(1)
    ).scalar_one_or_none()


def release_waiting(actor: User | None, invoice: Invoice, payment: Payment) -> list[Seat]:
    """Release every seat of the (locked, now paid) invoice that waits for full payment."""
    waiting = db.session.execute(
        sa.select(Seat).where(Seat.invoice_id == invoice.id, Seat.state == SeatState.WAITING.value)
    ).scalars().all()
    return release(actor, invoice, waiting, payment=payment)


def release(actor: User | None, invoice: Invoice, seats: list[Seat], *, payment: Payment | None = None) -> list[Seat]:
    """Release waiting seats of the locked invoice: one conditional UPDATE, then one grant per seat (in one batch).

    Returns the seats this call released (a seat released already is left alone).
    """
    if not seats:
        return []
    table = Seat.__table__
    released_ids = set(db.session.execute(
        sa.update(table).where(table.c.id.in_([seat.id for seat in seats]), table.c.state == SeatState.WAITING.value)
        .values(state=SeatState.RELEASED.value, released_at=utcnow(),
                released_by_payment_id=payment.id if payment is not None else None)
        .returning(table.c.id)
    ).scalars())
    released = db.session.execute(
        sa.select(Seat).where(Seat.id.in_(released_ids)).execution_options(populate_existing=True)
        .options(sa.orm.joinedload(Seat.user), sa.orm.joinedload(Seat.line).joinedload(InvoiceLine.product),
                 sa.orm.joinedload(Seat.line).joinedload(InvoiceLine.offer))
        .order_by(Seat.user_id, Seat.id)
    ).unique().scalars().all() if released_ids else []
    access.grant_products(actor, [access.GrantAsked(seat.user, seat.line.product, seat.line.offer,
                                                    access.GrantSource.invoice_seat(seat.id)) for seat in released])
    products = defaultdict(list)
    for seat in released:
        products[seat.user].append(seat.line.product.name)
    for user, names in products.items():
        _queue_released_email(user, invoice, names)
    if released:
        audit.record(actor, "seats.released", invoice, seats=[seat.id for seat in released],
                     payment_id=payment.id if payment is not None else None)
    return released


def _queue_released_email(user: User, invoice: Invoice, product_names: list[str]) -> None:
    queue_email("seat_released", user.email, _("Your access is ready: %(products)s", products=", ".join(
        dict.fromkeys(product_names))), user=user, invoice=invoice, products=list(dict.fromkeys(product_names)),
        member_url=sites.external_url("member.home", user.partner))  # never from the request's Host


# --- withdraw -----------------------------------------------------------------------------------------------


def withdraw(actor: User | None, invoice: Invoice, seats: list[Seat], *, replace: bool) -> list[Seat]:
    """Revoke the grants of released seats and mark the seats revoked; ``replace`` puts a waiting seat in place.

    The invoice is locked by the caller. Returns the new waiting seats.
    """
    now, replacements = utcnow(), []
    for seat in sorted(seats, key=lambda s: (s.user_id or 0, s.id)):
        if seat.state == SeatState.RELEASED:
            grant = access.find_grant(access.GrantSource.invoice_seat(seat.id))
            if grant is not None:
                access.revoke_grant(actor, grant)
        seat.state, seat.revoked_at = SeatState.REVOKED.value, now
        db.session.flush()
        if replace:
            replacements.append(Seat(invoice_id=invoice.id, line_id=seat.line_id, user_id=seat.user_id,
                                     release_mode=seat.release_mode, state=SeatState.WAITING.value, linked_at=now,
                                     linked_by_id=actor.id if actor else None, replaces_seat_id=seat.id))
    db.session.add_all(replacements)
    db.session.flush()
    if seats:
        audit.record(actor, "seats.revoked", invoice, seats=[seat.id for seat in seats],
                     replaced_by=[seat.id for seat in replacements])
    return replacements
