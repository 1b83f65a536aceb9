"""``flask audit-invoices``: re-checks every invoice against its lines, payments, seats and grants.

For each invoice:
1. the total is the sum of its lines; the paid amount is the sum of its payments, within 0..total;
2. the status follows from them (a draft has no number, payment or seat; a cancelled invoice has nothing paid
   and no seat linked);
3. every access line of an issued invoice has exactly ``quantity`` live seats, at most ``quantity`` released;
4. every released seat has its active grant (source ``invoice_seat:<id>``, same user, product and offer) and a
   participating enrolment in each course of the product, held by that grant; a revoked seat's grant is revoked;
5. no seat in "after full payment" mode was released before the invoice was paid in full (its releasing
   payment brought the payments to the total), and none still waits on a paid invoice;
6. a reversal undoes one payment of the same invoice, whole.

Read-only; returns what it found for the command to print.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    ISSUED, PARTICIPATING, Enrolment, Grant, GrantSourceKind, GrantStatus, Invoice, InvoiceLine, InvoiceStatus,
    Payment, PaymentKind, Seat, SeatReleaseMode, SeatState, grant_enrolments, product_courses,
)
from app.services.billing.invoices import status_for


@dataclass
class InvoiceProblem:
    invoice_id: int
    number: str
    problem: str


def audit_invoices() -> tuple[int, list[InvoiceProblem]]:
    """Check every invoice. Returns (invoices checked, problems)."""
    invoices = {row.id: row for row in db.session.execute(
        sa.select(Invoice.id, Invoice.number, Invoice.status, Invoice.total_cents, Invoice.paid_cents)
        .order_by(Invoice.id)).all()}
    problems: list[InvoiceProblem] = []

    def report(invoice_id: int, problem: str) -> None:
        problems.append(InvoiceProblem(invoice_id, invoices[invoice_id].number or "draft", problem))

    payments, seats, line_totals = _payments_by_invoice(), _seats_by_invoice(), _line_totals()
    for invoice_id, invoice in invoices.items():
        if line_totals.get(invoice_id, 0) != invoice.total_cents:
            report(invoice_id, f"total {invoice.total_cents} but its lines add up to {line_totals.get(invoice_id, 0)}")
        _check_money(invoice, payments.get(invoice_id, []), report)
        _check_seats(invoice, seats.get(invoice_id, []), payments.get(invoice_id, []), report)
    _check_lines(invoices, report)
    _check_grants(invoices, report)
    return len(invoices), problems


def _line_totals() -> dict[int, int]:
    return {invoice_id: int(total or 0) for invoice_id, total in db.session.execute(
        sa.select(InvoiceLine.invoice_id, sa.func.sum(InvoiceLine.quantity * sa.cast(InvoiceLine.unit_price_cents,
                                                                                    sa.BigInteger)))
        .group_by(InvoiceLine.invoice_id)).all()}


def _payments_by_invoice() -> dict[int, list]:
    found = defaultdict(list)
    for row in db.session.execute(
        sa.select(Payment.id, Payment.invoice_id, Payment.kind, Payment.amount_cents, Payment.reverses_payment_id)
        .order_by(Payment.invoice_id, Payment.id)
    ).all():
        found[row.invoice_id].append(row)
    return found


def _seats_by_invoice() -> dict[int, list]:
    found = defaultdict(list)
    for row in db.session.execute(
        sa.select(Seat.id, Seat.invoice_id, Seat.state, Seat.release_mode, Seat.released_by_payment_id)
        .order_by(Seat.id)
    ).all():
        found[row.invoice_id].append(row)
    return found


def _check_money(invoice, payments, report) -> None:
    paid = sum(p.amount_cents for p in payments)
    if paid != invoice.paid_cents:
        report(invoice.id, f"paid {invoice.paid_cents} but its payments add up to {paid}")
    if not 0 <= paid <= invoice.total_cents:
        report(invoice.id, f"payments add up to {paid}, outside 0..{invoice.total_cents}")
    if invoice.status == InvoiceStatus.DRAFT:
        if invoice.number is not None or payments:
            report(invoice.id, "a draft with a number or payments")
    elif invoice.status == InvoiceStatus.CANCELLED:
        if paid != 0:
            report(invoice.id, f"cancelled with {paid} still paid")
    elif invoice.status != status_for(invoice.total_cents, paid):
        report(invoice.id, f"status {invoice.status} but payments of {paid} of {invoice.total_cents} make it "
                           f"{status_for(invoice.total_cents, paid).value}")
    by_id = {p.id: p for p in payments}
    for p in payments:
        if p.kind == PaymentKind.REVERSAL:
            original = by_id.get(p.reverses_payment_id)
            if original is None or original.kind != PaymentKind.PAYMENT or original.amount_cents != -p.amount_cents:
                report(invoice.id, f"reversal {p.id} does not undo one whole payment of this invoice")


def _check_seats(invoice, seats, payments, report) -> None:
    if invoice.status == InvoiceStatus.DRAFT:
        if seats:
            report(invoice.id, "a draft with seats")
        return
    if invoice.status == InvoiceStatus.CANCELLED:
        linked = [s.id for s in seats if s.state in (SeatState.WAITING, SeatState.RELEASED)]
        if linked:
            report(invoice.id, f"cancelled with seats still linked: {linked}")
        return
    cumulative, running = {}, 0
    for p in payments:
        running += p.amount_cents
        cumulative[p.id] = running
    for seat in seats:
        if seat.state == SeatState.RELEASED and seat.release_mode == SeatReleaseMode.AFTER_FULL_PAYMENT:
            if cumulative.get(seat.released_by_payment_id) != invoice.total_cents:
                report(invoice.id, f"seat {seat.id} (after full payment) released before the invoice was paid in full")
        if seat.state == SeatState.WAITING and invoice.status == InvoiceStatus.PAID:
            report(invoice.id, f"seat {seat.id} still waits although the invoice is paid in full")


def _check_lines(invoices, report) -> None:
    def count(*states):
        return sa.func.sum(sa.case((Seat.state.in_([s.value for s in states]), 1), else_=0))

    rows = db.session.execute(
        sa.select(InvoiceLine.id, InvoiceLine.invoice_id, InvoiceLine.quantity,
                  count(SeatState.FREE, SeatState.WAITING, SeatState.RELEASED), count(SeatState.RELEASED))
        .outerjoin(Seat, Seat.line_id == InvoiceLine.id)
        .where(InvoiceLine.product_id.is_not(None)).group_by(InvoiceLine.id, InvoiceLine.invoice_id, InvoiceLine.quantity)
    ).all()
    for line_id, invoice_id, quantity, live, released in rows:
        if invoices[invoice_id].status not in ISSUED:
            continue
        if int(released or 0) > quantity:
            report(invoice_id, f"line {line_id}: {released} seats released, more than its quantity {quantity}")
        if int(live or 0) != quantity:
            report(invoice_id, f"line {line_id}: {live or 0} seats for a quantity of {quantity}")


def _check_grants(invoices, report) -> None:
    """Released seats have their active grant and enrolments; revoked seats that were released, a revoked grant."""
    rows = db.session.execute(
        sa.select(Seat.id, Seat.invoice_id, Seat.user_id, Seat.state, InvoiceLine.product_id, InvoiceLine.offer_id,
                  Grant.id.label("grant_id"), Grant.user_id.label("grant_user"),
                  Grant.product_id.label("grant_product"), Grant.offer_id.label("grant_offer"),
                  Grant.status.label("grant_status"))
        .join(InvoiceLine, InvoiceLine.id == Seat.line_id)
        .outerjoin(Grant, sa.and_(Grant.source_kind == GrantSourceKind.INVOICE_SEAT.value,
                                  Grant.source_id == sa.cast(Seat.id, sa.String)))
        .where(sa.or_(Seat.state == SeatState.RELEASED.value,
                      sa.and_(Seat.state == SeatState.REVOKED.value, Seat.released_at.is_not(None))))
        .order_by(Seat.id)
    ).all()
    courses = defaultdict(set)
    for product_id, course_id in db.session.execute(sa.select(product_courses.c.product_id,
                                                              product_courses.c.course_id)).all():
        courses[product_id].add(course_id)
    held = defaultdict(set)
    grant_ids = [row.grant_id for row in rows if row.grant_id is not None and row.state == SeatState.RELEASED]
    for start in range(0, len(grant_ids), 500):
        for grant_id, course_id in db.session.execute(
            sa.select(grant_enrolments.c.grant_id, Enrolment.course_id)
            .join(Enrolment, Enrolment.id == grant_enrolments.c.enrolment_id)
            .where(grant_enrolments.c.grant_id.in_(grant_ids[start:start + 500]),
                   Enrolment.status.in_([s.value for s in PARTICIPATING]))
        ).all():
            held[grant_id].add(course_id)
    for row in rows:
        if row.state == SeatState.REVOKED:
            if row.grant_id is not None and row.grant_status != GrantStatus.REVOKED:
                report(row.invoice_id, f"seat {row.id} is revoked but its grant {row.grant_id} is still active")
            continue
        if row.grant_id is None:
            report(row.invoice_id, f"seat {row.id} is released but has no grant")
            continue
        if (row.grant_user, row.grant_product, row.grant_offer) != (row.user_id, row.product_id, row.offer_id):
            report(row.invoice_id, f"seat {row.id}: grant {row.grant_id} is for another user, product or offer")
        if row.grant_status != GrantStatus.ACTIVE:
            report(row.invoice_id, f"seat {row.id} is released but its grant {row.grant_id} is revoked")
        missing = courses[row.product_id] - held[row.grant_id]
        if missing:
            report(row.invoice_id, f"seat {row.id}: no participating enrolment for course(s) {sorted(missing)}")
