"""Invoices, payments and seats: the billing service's rules, one per test."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, DatabaseError

from app.models import (
    EmailMessage, Enrolment, Grant, GrantStatus, Invoice, InvoiceStatus, Payment, Role, Seat, SeatState,
)
from app.services import DomainError, access
from app.services.access import today
from app.services.billing import cancellation, invoices, payments, seats
from app.services.billing.audit import audit_invoices
from app.services.billing.invoices import InvoiceRefused, InvoiceValues, LineValues
from app.services.billing.payments import PaymentRefused, PaymentValues
from app.services.billing.seats import SeatRefused
from app.services.tenancy.settings import settings


@pytest.fixture
def combo(factory):
    """An access product of three courses, one offer at 100.00."""
    return factory.product(factory.course(), factory.course(), factory.course(), price_cents=10000)


@pytest.fixture
def students(factory):
    partner = factory.partner()
    return [factory.student(partner) for _ in range(6)]


def released_emails(db, user):
    return db.session.execute(sa.select(EmailMessage).where(
        EmailMessage.recipient == user.email, EmailMessage.template == "seat_released")).scalars().all()


def grants_of_invoice(db, invoice):
    seat_ids = [str(s.id) for s in db.session.execute(sa.select(Seat).where(Seat.invoice_id == invoice.id)).scalars()]
    return db.session.execute(sa.select(Grant).where(Grant.source_kind == "invoice_seat",
                                                     Grant.source_id.in_(seat_ids))).scalars().all()


def assert_audit_passes():
    checked, problems = audit_invoices()
    assert problems == []


# --- drafts, lines, numbers -----------------------------------------------------------------------


def test_a_draft_has_no_number_and_issuing_gives_the_years_next_one(db, factory, combo):
    _product, offer = combo
    first = factory.invoice((offer, 1), issue=False)
    assert first.status == InvoiceStatus.DRAFT and first.number is None
    invoices.issue_invoice(None, first)
    second = factory.invoice((offer, 1))
    year = today().year
    assert (first.number, second.number) == (f"{year}-0001", f"{year}-0002")
    assert first.issued_on == today() and first.status == InvoiceStatus.OPEN


def test_numbers_continue_after_a_cancelled_invoice_and_are_never_reused(db, factory, combo):
    _product, offer = combo
    cancelled = factory.invoice((offer, 1))
    cancellation.cancel_invoice(None, cancelled)
    following = factory.invoice((offer, 1))
    assert cancelled.number != following.number
    assert following.number.endswith("-0002")


def test_an_issued_invoice_has_one_free_seat_per_unit_of_each_access_line(db, factory, combo):
    _product, offer = combo
    invoice = factory.invoice((offer, 5), ("Setup fee", 1, 5000))
    assert invoice.total_cents == 5 * 10000 + 5000
    assert [s.state for s in seats.seats_of(invoice)] == [SeatState.FREE] * 5


@pytest.mark.parametrize("quantity", [0, -1, -50])
def test_a_quantity_of_zero_or_less_is_refused_and_adds_no_line(db, factory, combo, quantity):
    _product, offer = combo
    invoice = factory.invoice(issue=False)
    with pytest.raises(InvoiceRefused) as refused:
        invoices.add_line(None, invoice, LineValues(offer_id=offer.id, quantity=quantity))
    assert refused.value.field == "quantity" and "at least 1" in str(refused.value.message)
    assert invoice.lines == [] and invoice.total_cents == 0


def test_an_access_line_takes_the_offers_price_unless_one_is_typed(db, factory, combo):
    _product, offer = combo
    invoice = factory.invoice((offer, 2), issue=False)
    assert invoice.lines[0].unit_price_cents == 10000 and invoice.total_cents == 20000


def test_an_issued_invoice_can_no_longer_be_edited(db, factory, combo):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    with pytest.raises(InvoiceRefused, match="can no longer be edited"):
        invoices.add_line(None, invoice, LineValues(description="Extra", quantity=1, unit_price_cents=100))


def test_an_invoice_totalling_zero_is_not_issued(db, factory):
    invoice = factory.invoice(("Free welcome pack", 1, 0), issue=False)
    with pytest.raises(InvoiceRefused, match="nothing to invoice"):
        invoices.issue_invoice(None, invoice)
    assert invoice.number is None


def test_a_payer_tax_id_with_a_wrong_check_digit_is_refused(db, factory):
    customer = factory.user(Role.CUSTOMER)
    with pytest.raises(DomainError) as refused:
        invoices.create_invoice(None, InvoiceValues(payer=f"customer:{customer.id}", tax_id_kind="br_cpf",
                                                    tax_id="529.982.247-24", due_on=today()))
    assert refused.value.field == "tax_id" and "check digit" in str(refused.value.message)
    assert db.session.scalar(sa.select(sa.func.count(Invoice.id))) == 0


def test_a_company_pays_with_its_vat_number_when_no_tax_id_is_typed(db, factory):
    company = factory.company(vat_number="11222333000181")
    invoice = invoices.create_invoice(None, InvoiceValues(payer=f"company:{company.id}", due_on=today()))
    assert (invoice.payer_name, invoice.payer_tax_id_kind, invoice.payer_tax_id) == (
        company.name, "br_cnpj", "11222333000181")


def test_an_unknown_payer_is_refused(db):
    with pytest.raises(InvoiceRefused) as refused:
        invoices.create_invoice(None, InvoiceValues(payer="customer:999999", due_on=today()))
    assert refused.value.field == "payer"


# --- the counts ---------------------------------------------------------------------------------------------


def test_five_products_of_three_courses_count_as_five_accesses(db, factory, combo, students):
    _product, offer = combo
    invoice = factory.invoice((offer, 5))
    for student in students[:5]:
        factory.link(invoice, student, mode="now")
    counts = invoices.seat_counts([invoice.id])[invoice.id]
    assert (counts.seats, counts.linked, counts.released, counts.pending) == (5, 5, 5, 0)
    assert len(grants_of_invoice(db, invoice)) == 5
    assert db.session.scalar(sa.select(sa.func.count(Enrolment.id))) == 15


def test_pending_counts_the_seats_waiting_for_payment(db, factory, combo, students):
    _product, offer = combo
    invoice = factory.invoice((offer, 4))
    factory.link(invoice, students[0], mode="now")
    factory.link(invoice, students[1])
    factory.link(invoice, students[2])
    counts = invoices.seat_counts([invoice.id])[invoice.id]
    assert (counts.seats, counts.linked, counts.pending, counts.free) == (4, 3, 2, 1)


# --- release modes ------------------------------------------------------------------------------------------


def test_release_now_grants_every_course_at_once_and_emails_the_user(db, factory, combo, students):
    product, offer = combo
    invoice = factory.invoice((offer, 2))
    seat = factory.link(invoice, students[0], mode="now")
    assert seat.state == SeatState.RELEASED and invoice.status == InvoiceStatus.OPEN
    grant = access.find_grant(access.GrantSource.invoice_seat(seat.id))
    assert grant.user_id == students[0].id and {e.course_id for e in grant.enrolments} == {
        c.id for c in product.courses}
    [email] = released_emails(db, students[0])
    assert product.name in email.body_text and invoice.number in email.body_text


def test_after_full_payment_waits_and_gives_nothing_before(db, factory, combo, students):
    _product, offer = combo
    invoice = factory.invoice((offer, 2))
    seat = factory.link(invoice, students[0])
    factory.pay(invoice, 10000)
    assert seat.state == SeatState.WAITING and invoice.status == InvoiceStatus.PARTIALLY_PAID
    assert access.find_grant(access.GrantSource.invoice_seat(seat.id)) is None
    assert released_emails(db, students[0]) == []


def test_partial_payments_move_the_status_and_the_last_one_releases_the_waiting_seats(db, factory, combo, students):
    _product, offer = combo
    invoice = factory.invoice((offer, 3))
    waiting = [factory.link(invoice, student) for student in students[:3]]
    assert invoice.status == InvoiceStatus.OPEN
    first = factory.pay(invoice, 12000)
    assert invoice.status == InvoiceStatus.PARTIALLY_PAID and invoice.paid_cents == 12000
    last = factory.pay(invoice, 18000)
    assert invoice.status == InvoiceStatus.PAID and invoice.due_cents == 0
    assert {seat.state for seat in waiting} == {SeatState.RELEASED}
    assert {seat.released_by_payment_id for seat in waiting} == {last.id} and first.id != last.id
    assert [len(released_emails(db, s)) for s in students[:3]] == [1, 1, 1]
    assert_audit_passes()


def test_a_user_with_two_seats_released_together_gets_one_email(db, factory, students):
    _p1, offer1 = factory.product(factory.course())
    _p2, offer2 = factory.product(factory.course())
    invoice = factory.invoice((offer1, 1), (offer2, 1))
    factory.link(invoice, students[0], line=invoice.lines[0])
    factory.link(invoice, students[0], line=invoice.lines[1])
    factory.pay(invoice)
    [email] = released_emails(db, students[0])
    assert invoice.lines[0].product.name in email.body_text and invoice.lines[1].product.name in email.body_text


def test_linking_after_full_payment_on_a_paid_invoice_releases_at_once(db, factory, combo, students):
    _product, offer = combo
    invoice = factory.invoice((offer, 2))
    payment = factory.pay(invoice)
    seat = factory.link(invoice, students[0])
    assert seat.state == SeatState.RELEASED and seat.released_by_payment_id == payment.id
    assert_audit_passes()


def test_a_user_who_already_has_a_course_keeps_one_enrolment_and_the_seat_still_counts(db, factory, students):
    shared = factory.course()
    product, offer = factory.product(shared, factory.course())
    other_product, other_offer = factory.product(shared)
    factory.grant(students[0], other_product, other_offer)
    invoice = factory.invoice((offer, 1))
    factory.link(invoice, students[0], mode="now")
    enrolments = db.session.execute(sa.select(Enrolment).where(
        Enrolment.user_id == students[0].id, Enrolment.course_id == shared.id)).scalars().all()
    assert len(enrolments) == 1
    assert invoices.seat_counts([invoice.id])[invoice.id].released == 1
    assert_audit_passes()


# --- linking refused ------------------------------------------------------------------------------------------


def test_linking_beyond_the_seats_is_refused(db, factory, combo, students):
    _product, offer = combo
    invoice = factory.invoice((offer, 2))
    factory.link(invoice, students[0])
    factory.link(invoice, students[1])
    with pytest.raises(SeatRefused) as refused:
        factory.link(invoice, students[2])
    assert refused.value.field == "line_id" and "No free seat left" in str(refused.value.message)
    assert invoices.seat_counts([invoice.id])[invoice.id].linked == 2


def test_the_same_user_twice_on_one_line_is_refused(db, factory, combo, students):
    _product, offer = combo
    invoice = factory.invoice((offer, 3))
    factory.link(invoice, students[0])
    with pytest.raises(SeatRefused, match="already has a seat") as refused:
        factory.link(invoice, students[0], mode="now")
    assert refused.value.field == "user_id"


def test_a_product_not_on_the_invoice_is_refused(db, factory, combo, students):
    _product, offer = combo
    invoice = factory.invoice((offer, 1), ("Setup fee", 1, 5000))
    other = factory.invoice((offer, 1))
    for line_id in (other.lines[0].id, invoice.lines[1].id, 999_999):
        with pytest.raises(SeatRefused, match="not on the invoice"):
            seats.link_seat(None, invoice, line_id=line_id, user_id=students[0].id, release_mode="now")


def test_only_an_active_student_or_customer_gets_a_seat(db, factory, combo):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    admin = factory.user(Role.PARTNER_ADMIN)
    with pytest.raises(SeatRefused) as refused:
        factory.link(invoice, admin)
    assert refused.value.field == "user_id"


def test_a_draft_or_cancelled_invoice_links_no_seat(db, factory, combo, students):
    _product, offer = combo
    draft = factory.invoice((offer, 1), issue=False)
    with pytest.raises(SeatRefused, match="Issue the invoice first"):
        seats.link_seat(None, draft, line_id=draft.lines[0].id, user_id=students[0].id, release_mode="now")
    cancelled = factory.invoice((offer, 1))
    cancellation.cancel_invoice(None, cancelled)
    with pytest.raises(SeatRefused, match="cancelled"):
        factory.link(cancelled, students[0])


def test_unlinking_a_waiting_seat_frees_it_for_someone_else(db, factory, combo, students):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    seat = factory.link(invoice, students[0])
    seats.unlink_seat(None, invoice, seat.id)
    assert seat.state == SeatState.FREE and seat.user_id is None
    assert factory.link(invoice, students[1]).id == seat.id


def test_a_released_seat_is_not_unlinked(db, factory, combo, students):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    seat = factory.link(invoice, students[0], mode="now")
    with pytest.raises(SeatRefused, match="released seat is not unlinked"):
        seats.unlink_seat(None, invoice, seat.id)
    assert seat.state == SeatState.RELEASED


def test_the_database_refuses_a_second_live_seat_for_one_user_on_one_line(db, factory, combo, students):
    _product, offer = combo
    invoice = factory.invoice((offer, 2))
    factory.link(invoice, students[0])
    free = next(s for s in seats.seats_of(invoice) if s.state == SeatState.FREE)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(sa.update(Seat).where(Seat.id == free.id).values(
            user_id=students[0].id, state="waiting", release_mode="now"))


# --- payments refused ------------------------------------------------------------------------------------------


def test_an_overpayment_is_refused_with_what_is_still_due(db, factory, combo):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    factory.pay(invoice, 4000)
    with pytest.raises(PaymentRefused) as refused:
        factory.pay(invoice, 6001)
    assert refused.value.field == "amount" and "never overpaid" in str(refused.value.message)
    assert "60.00" in str(refused.value.message)
    assert invoice.paid_cents == 4000


def test_a_duplicate_reference_is_refused_ignoring_case(db, factory, combo):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    factory.pay(invoice, 1000, reference="CRO 0042")
    with pytest.raises(PaymentRefused, match="already recorded") as refused:
        factory.pay(invoice, 1000, reference="  cro   0042 ")
    assert refused.value.field == "reference" and invoice.paid_cents == 1000


@pytest.mark.parametrize("first, again", [("ÀB-1", "àb-1"), ("ＣＯＮＣ-1", "ＣＯＮＣ-1"), ("ＣＯＮＣ-2", "conc-2"),
                                          ("Straße 7", "STRASSE 7")])
def test_a_duplicate_reference_in_any_script_or_width_is_refused_in_words(db, factory, combo, first, again):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    factory.pay(invoice, 1000, reference=first)
    with pytest.raises(PaymentRefused, match="already recorded"):
        factory.pay(invoice, 1000, reference=again)
    assert invoice.paid_cents == 1000


def test_a_reversed_payments_reference_says_how_to_record_it_again(db, factory, combo):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    payment = factory.pay(invoice, 1000, reference="TRN-3")
    payments.reverse_payment(factory.platform_admin(), invoice, payment.id, reason="bounced")
    with pytest.raises(PaymentRefused, match="TRN-3-2"):
        factory.pay(invoice, 900, reference="TRN-3")
    assert factory.pay(invoice, 900, reference="TRN-3-2").amount_cents == 900


def test_an_invoice_never_totals_more_than_one_payment_may_bring(db, factory, combo):
    invoice = factory.invoice(("Consulting", 10_000, 9_000_000), issue=False)  # 900 million
    with pytest.raises(InvoiceRefused, match="at most") as refused:
        invoices.add_line(None, invoice, LineValues(description="More", quantity=10_000, unit_price_cents=2_000_000))
    assert refused.value.field == "quantity" and invoice.total_cents == 90_000_000_000 and len(invoice.lines) == 1


def test_a_payment_on_a_cancelled_invoice_is_refused(db, factory, combo):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    cancellation.cancel_invoice(None, invoice)
    with pytest.raises(PaymentRefused, match="is cancelled"):
        factory.pay(invoice, 1000)
    assert db.session.scalar(sa.select(sa.func.count(Payment.id))) == 0


@pytest.mark.parametrize("amount, field", [(0, "amount"), (-100, "amount"), (None, "amount")])
def test_an_amount_of_zero_or_less_is_refused(db, factory, combo, amount, field):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    with pytest.raises(PaymentRefused) as refused:
        payments.record_payment(None, invoice, PaymentValues(amount_cents=amount, paid_on=today(),
                                                             method="card", reference="X"))
    assert refused.value.field == field


def test_a_payment_dated_in_the_future_is_refused(db, factory, combo):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    with pytest.raises(PaymentRefused, match="future"):
        factory.pay(invoice, 100, paid_on=today() + timedelta(days=1))


def test_the_database_refuses_an_overpaid_invoice(db, factory, combo):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(sa.update(Invoice).where(Invoice.id == invoice.id).values(paid_cents=10001))


def test_the_database_refuses_to_edit_or_delete_a_payment(db, factory, combo):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    payment = factory.pay(invoice, 100)
    for statement in (sa.update(Payment).where(Payment.id == payment.id).values(amount_cents=1),
                      sa.delete(Payment).where(Payment.id == payment.id)):
        with pytest.raises(DatabaseError), db.session.begin_nested():
            db.session.execute(statement)


# --- reversal ------------------------------------------------------------------------------------------------


def test_a_reversal_is_a_new_entry_and_may_take_the_invoice_back_to_partially_paid(db, factory, combo):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    first, second = factory.pay(invoice, 3000), factory.pay(invoice, 7000)
    reversal = payments.reverse_payment(None, invoice, second.id, reason="Transfer returned by the bank")
    assert (reversal.kind, reversal.amount_cents, reversal.reverses_payment_id) == ("reversal", -7000, second.id)
    assert second.amount_cents == 7000 and first.amount_cents == 3000
    assert invoice.status == InvoiceStatus.PARTIALLY_PAID and invoice.paid_cents == 3000
    assert_audit_passes()


def test_a_payment_is_reversed_once(db, factory, combo):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    payment = factory.pay(invoice, 3000)
    payments.reverse_payment(None, invoice, payment.id, reason="mistake")
    with pytest.raises(PaymentRefused, match="already reversed"):
        payments.reverse_payment(None, invoice, payment.id, reason="again")
    assert invoice.paid_cents == 0 and invoice.status == InvoiceStatus.OPEN


def test_a_reversal_keeps_released_seats_when_the_setting_says_keep(db, factory, combo, students):
    _product, offer = combo
    settings().seats_on_reversal = "keep"
    invoice = factory.invoice((offer, 1))
    seat = factory.link(invoice, students[0])
    payment = factory.pay(invoice)
    payments.reverse_payment(None, invoice, payment.id, reason="chargeback")
    assert invoice.status == InvoiceStatus.OPEN and seat.state == SeatState.RELEASED
    assert access.find_grant(access.GrantSource.invoice_seat(seat.id)).status == GrantStatus.ACTIVE
    assert_audit_passes()


def test_a_reversal_revokes_released_seats_when_the_setting_says_revoke_and_full_payment_releases_them_again(
        db, factory, combo, students):
    _product, offer = combo
    settings().seats_on_reversal = "revoke"
    invoice = factory.invoice((offer, 2))
    paid_seat = factory.link(invoice, students[0])
    now_seat = factory.link(invoice, students[1], mode="now")
    payment = factory.pay(invoice)
    payments.reverse_payment(None, invoice, payment.id, reason="chargeback")
    assert paid_seat.state == SeatState.REVOKED and now_seat.state == SeatState.RELEASED
    assert access.find_grant(access.GrantSource.invoice_seat(paid_seat.id)).status == GrantStatus.REVOKED
    assert db.session.scalar(sa.select(sa.func.count(Enrolment.id)).where(
        Enrolment.user_id == students[0].id, Enrolment.status == "active")) == 0
    [replacement] = [s for s in seats.seats_of(invoice) if s.replaces_seat_id == paid_seat.id]
    assert (replacement.user_id, replacement.state) == (students[0].id, SeatState.WAITING)
    assert invoices.seat_counts([invoice.id])[invoice.id].seats == 2
    assert_audit_passes()

    factory.pay(invoice)
    assert replacement.state == SeatState.RELEASED
    assert db.session.scalar(sa.select(sa.func.count(Enrolment.id)).where(
        Enrolment.user_id == students[0].id, Enrolment.status == "active")) == 3
    assert_audit_passes()


# --- cancellation ---------------------------------------------------------------------------------------------


def test_an_invoice_without_released_seats_is_cancelled_and_its_waiting_seats_withdrawn(db, factory, combo, students):
    _product, offer = combo
    invoice = factory.invoice((offer, 2))
    seat = factory.link(invoice, students[0])
    cancellation.cancel_invoice(None, invoice)
    assert invoice.status == InvoiceStatus.CANCELLED and seat.state == SeatState.REVOKED
    assert_audit_passes()


def test_cancelling_with_released_seats_needs_the_confirmation_that_revokes_them(db, factory, combo, students):
    _product, offer = combo
    invoice = factory.invoice((offer, 2))
    seat = factory.link(invoice, students[0], mode="now")
    with pytest.raises(InvoiceRefused) as refused:
        cancellation.cancel_invoice(None, invoice)
    assert refused.value.field == "revoke_released" and invoice.status == InvoiceStatus.OPEN
    cancellation.cancel_invoice(None, invoice, revoke_released=True)
    assert invoice.status == InvoiceStatus.CANCELLED and seat.state == SeatState.REVOKED
    assert access.find_grant(access.GrantSource.invoice_seat(seat.id)).status == GrantStatus.REVOKED
    assert_audit_passes()


def test_an_invoice_with_money_on_it_is_not_cancelled(db, factory, combo):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    factory.pay(invoice, 500)
    with pytest.raises(InvoiceRefused, match="reverse the payments first"):
        cancellation.cancel_invoice(None, invoice)


def test_a_draft_is_discarded_not_cancelled(db, factory, combo):
    _product, offer = combo
    draft = factory.invoice((offer, 1), issue=False)
    with pytest.raises(InvoiceRefused, match="discard it"):
        cancellation.cancel_invoice(None, draft)
    cancellation.discard_draft(None, draft)
    assert db.session.scalar(sa.select(sa.func.count(Invoice.id))) == 0


# --- the audit ----------------------------------------------------------------------------------------------------


def test_the_audit_finds_a_seat_released_without_its_grant(db, factory, combo, students):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    seat = factory.link(invoice, students[0])
    db.session.execute(sa.update(Seat).where(Seat.id == seat.id).values(state="released", released_at=sa.func.now()))
    _checked, problems = audit_invoices()
    assert {p.invoice_id for p in problems} == {invoice.id}
    assert any("has no grant" in p.problem for p in problems)
    assert any("released before the invoice was paid in full" in p.problem for p in problems)


def test_the_invoice_pdf_prints_any_payer_name_and_the_euro_sign(app, db, factory):
    from app.services.billing.invoice_pdf import invoice_pdf
    from tests.pdf import pdf_text

    _product, offer = factory.product(factory.course(), price_cents=1050)
    invoice = factory.invoice((offer, 2), payer=factory.company(name="Zoë Ñandú 李小龍 Ltd"))
    with app.test_request_context():
        text = pdf_text(invoice_pdf(invoice, []))
    assert "Zoë Ñandú 李小龍" in text
    assert "€" in text and "EUR" not in text


def test_the_invoice_pdf_prints_a_long_description_and_reference_whole(app, db, factory):
    from app.services.billing.invoice_pdf import invoice_pdf
    from tests.pdf import pdf_text

    words = " ".join(f"word{i:03d}" for i in range(37))  # 295 characters: several lines of the column
    invoice = factory.invoice((words, 1, 5000))
    payment = factory.pay(invoice, 1000, reference="TRN " + "0123456789" * 9)
    with app.test_request_context():
        text = " ".join(pdf_text(invoice_pdf(invoice, [payment])).split())
    assert words in text and "word036" in text
    assert "0123456789" * 9 in text.replace(" ", "")
