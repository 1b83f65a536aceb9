"""The platform's invoice pages and the customer's, through the web: forms, HTMX fragments, bad input, isolation."""

import re

import pytest
import sqlalchemy as sa

from app.models import Invoice, Role, Seat, SeatState
from app.services.access import today
from tests.conftest import csrf_token


@pytest.fixture
def admin(login_as):
    return login_as(Role.PLATFORM_ADMIN)


@pytest.fixture
def combo(factory):
    """Three courses in one product at 100.00."""
    return factory.product(factory.course(title="Safety"), factory.course(title="GDPR"), factory.course(title="Excel"),
                           name="Office Combo", price_cents=10000)


@pytest.fixture
def student(factory):
    return factory.student(factory.partner(), email="anna.student@example.com")


HTMX = {"HX-Request": "true"}


def post(client, path, data, page=None, htmx=False):
    token = csrf_token(client, page or path)
    return client.post(path, data={"csrf_token": token, **data}, headers=HTMX if htmx else {})


class count_queries:
    """The SQL statements a block runs (after_cursor_execute), savepoints aside."""

    def __enter__(self):
        from app.extensions import db

        self.engine, self.statements = db.engine, []
        sa.event.listen(self.engine, "after_cursor_execute", self._count)
        return self.statements

    def _count(self, conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            self.statements.append(statement)

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "after_cursor_execute", self._count)


# --- the list ------------------------------------------------------------------------------------------------


def test_the_list_counts_five_products_of_three_courses_as_five_accesses(client, db, factory, admin, combo):
    _product, offer = combo
    invoice = factory.invoice((offer, 5))
    partner = factory.partner()
    for n in range(5):
        factory.link(invoice, factory.student(partner), mode="now" if n < 3 else "after_full_payment")
    html = client.get("/platform/invoices").get_data(as_text=True)
    cell = re.search(rf'id="invoice-{invoice.id}-counts"[^>]*data-linked="(\d+)" data-pending="(\d+)" data-seats="(\d+)"',
                     html)
    assert cell.groups() == ("5", "2", "5")
    assert "5 of 5 linked" in html and "2 pending" in html


def test_the_list_is_filtered_by_status_payer_and_date(client, db, factory, admin, combo):
    _product, offer = combo
    paid = factory.invoice((offer, 1), payer=factory.company(name="Bianchi SpA"))
    factory.pay(paid)
    factory.invoice((offer, 1), payer=factory.company(name="Verdi Srl"))
    html = client.get("/platform/invoices?status=paid").get_data(as_text=True)
    assert "Bianchi SpA" in html and "Verdi Srl" not in html
    html = client.get("/platform/invoices?payer=verdi").get_data(as_text=True)
    assert "Verdi Srl" in html and "Bianchi SpA" not in html
    day = today().isoformat()
    assert "Verdi Srl" in client.get(f"/platform/invoices?date_from={day}&date_to={day}").get_data(as_text=True)
    assert "Verdi Srl" not in client.get("/platform/invoices?date_to=2000-01-01").get_data(as_text=True)


@pytest.mark.parametrize("typed", ["IT07643520567", "it 076 435 20567", "07643520567", "643520"])
def test_a_payer_is_found_by_its_tax_id_as_the_invoice_prints_it(client, db, factory, admin, combo, typed):
    _product, offer = combo
    factory.invoice((offer, 1), payer=factory.company(name="Rossi Srl"))  # partita IVA 07643520567
    assert "Rossi Srl" in client.get("/platform/invoices", query_string={"payer": typed}).get_data(as_text=True)
    picker = client.get("/platform/invoices/payers", query_string={"payer_q": typed}, headers=HTMX)
    assert "Rossi Srl" in picker.get_data(as_text=True)


def test_a_filter_with_the_end_before_the_start_is_refused_in_place(client, admin):
    response = client.get("/platform/invoices?date_from=2026-05-02&date_to=2026-05-01", headers=HTMX)
    assert response.status_code == 422
    assert "The end date is before the start date." in response.get_data(as_text=True)


def test_the_list_runs_the_same_number_of_queries_for_a_short_and_a_full_page(client, db, factory, admin, combo):
    _product, offer = combo
    partner = factory.partner()

    def invoices_with_seats(n):
        for _ in range(n):
            invoice = factory.invoice((offer, 2), ("Setup", 1, 100))
            factory.link(invoice, factory.student(partner), mode="now")
            factory.link(invoice, factory.student(partner))

    counts = []
    for more in (2, 30):  # a page of 2, then a full page of 25
        invoices_with_seats(more)
        client.get("/platform/invoices")  # the session and the user are loaded the same way each time
        with count_queries() as statements:
            response = client.get("/platform/invoices")
        assert response.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


# --- drafts, lines, issue ------------------------------------------------------------------------------------------


def test_an_admin_writes_a_draft_adds_lines_and_issues_it(client, db, factory, admin, combo):
    _product, offer = combo
    company = factory.company(name="Acme Italia")
    response = post(client, "/platform/invoices/new", {
        "payer": f"company:{company.id}", "tax_id_kind": "", "tax_id": "", "address": "Via Po 1, Torino",
        "due_on": today().isoformat(), "notes": "Thanks", "action": "save"})
    assert response.status_code == 302
    invoice = db.session.execute(sa.select(Invoice)).scalar_one()
    path = f"/platform/invoices/{invoice.id}"
    assert post(client, f"{path}/lines", {"offer_id": str(offer.id), "quantity": "3", "unit_price": "",
                                          "description": ""}, page=path).status_code == 302
    assert post(client, f"{path}/lines", {"offer_id": "", "quantity": "1", "unit_price": "50",
                                          "description": "Setup fee"}, page=path).status_code == 302
    response = post(client, f"{path}/issue", {}, page=path, htmx=True)
    assert response.status_code == 200
    db.session.expire_all()
    assert invoice.number == f"{today().year}-0001" and invoice.total_cents == 35000
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="invoice-body">') and "3 of 3 seats free" in html


@pytest.mark.parametrize("quantity", ["0", "-2"])
def test_a_line_of_zero_or_fewer_seats_is_refused_on_its_field(client, db, factory, admin, combo, quantity):
    _product, offer = combo
    invoice = factory.invoice(issue=False)
    path = f"/platform/invoices/{invoice.id}"
    response = post(client, f"{path}/lines", {"offer_id": str(offer.id), "quantity": quantity}, page=path, htmx=True)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="quantity-errors"' in html and "1 or more" in html
    assert invoice.lines == []


@pytest.mark.parametrize("offer_id", ["abc", "１", "9" * 30])
def test_a_product_that_is_not_one_is_refused_not_added_as_a_one_off(client, db, factory, admin, offer_id):
    invoice = factory.invoice(issue=False)
    path = f"/platform/invoices/{invoice.id}"
    response = post(client, f"{path}/lines", {"offer_id": offer_id, "quantity": "1", "unit_price": "50",
                                              "description": "Setup"}, page=path, htmx=True)
    assert response.status_code == 422 and "Choose a product from the list" in response.get_data(as_text=True)
    assert invoice.lines == []


def test_reversing_a_payment_that_is_not_on_the_invoice_is_a_404(client, db, factory, admin, combo):
    _product, offer = combo
    invoice, other = factory.invoice((offer, 1)), factory.invoice((offer, 1))
    theirs = factory.pay(other, 1000)
    for payment_id in (theirs.id, 999999):
        assert client.get(f"/platform/invoices/{invoice.id}/payments/{payment_id}/reverse").status_code == 404
    assert client.get(f"/platform/invoices/{other.id}/payments/{theirs.id}/reverse").status_code == 200


def test_a_payer_tax_id_with_a_wrong_check_digit_is_refused_on_the_form(client, db, factory, admin):
    customer = factory.user(Role.CUSTOMER)
    response = post(client, "/platform/invoices/new", {
        "payer": f"customer:{customer.id}", "tax_id_kind": "it_fiscal_code", "tax_id": "RSSMRA85T10A562T",
        "due_on": today().isoformat(), "action": "save"})
    assert response.status_code == 422
    assert 'id="tax_id-errors"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Invoice.id))) == 0


def test_searching_for_a_payer_without_javascript_lists_them_and_saves_nothing(client, db, factory, admin):
    factory.company(name="Zeta Logistica")
    response = post(client, "/platform/invoices/new", {"payer_q": "zeta", "action": "search"})
    assert response.status_code == 200
    assert 'name="payer"' in response.get_data(as_text=True) and "Zeta Logistica" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Invoice.id))) == 0


def test_the_payer_search_as_you_type_answers_a_fragment(client, factory, admin):
    customer = factory.user(Role.CUSTOMER, email="carla.cliente@example.com")
    html = client.get("/platform/invoices/payers?payer_q=carla", headers=HTMX).get_data(as_text=True)
    assert html.lstrip().startswith('<fieldset id="payer-results"') and f'value="customer:{customer.id}"' in html


def test_the_printable_page_and_the_pdf(client, db, factory, admin, combo):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    html = client.get(f"/platform/invoices/{invoice.id}/print").get_data(as_text=True)
    assert invoice.number in html and "data-print" in html and "navbar" not in html
    response = client.get(f"/platform/invoices/{invoice.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF") and invoice.number in response.headers["Content-Disposition"]


@pytest.mark.parametrize("path", ["/platform/invoices/999999", "/platform/invoices/99999999999",
                                  "/platform/invoices/999999/seats/new", "/platform/invoices/999999.pdf"])
def test_an_unknown_invoice_is_a_404(client, admin, path):
    assert client.get(path).status_code == 404


def test_only_the_platform_admin_reaches_the_invoices(client, login_as):
    login_as(Role.PARTNER_ADMIN)
    assert client.get("/platform/invoices").status_code == 403


# --- seats ---------------------------------------------------------------------------------------------------------


def test_linking_a_seat_with_htmx_updates_the_section_and_the_counts_in_place(client, db, factory, admin, combo,
                                                                              student):
    _product, offer = combo
    invoice = factory.invoice((offer, 2))
    path = f"/platform/invoices/{invoice.id}"
    response = post(client, f"{path}/seats/new", {"user_id": str(student.id), "line_id": str(invoice.lines[0].id),
                                                  "release_mode": "after_full_payment", "action": "link"},
                    page=path, htmx=True)
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#invoice-body" and response.headers["HX-Trigger"] == "aula:close-dialog"
    html = response.get_data(as_text=True)
    assert "anna.student@example.com" in html and "Waiting for payment" in html
    assert re.search(rf'id="invoice-{invoice.id}-counts"[^>]*data-linked="1" data-pending="1"', html)


def test_linking_beyond_the_seats_is_refused_in_the_dialog(client, db, factory, admin, combo, student):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    factory.link(invoice, factory.student(factory.partner()))
    path = f"/platform/invoices/{invoice.id}"
    response = post(client, f"{path}/seats/new", {"user_id": str(student.id), "line_id": str(invoice.lines[0].id),
                                                  "release_mode": "now", "action": "link"}, page=path, htmx=True)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<form id="link-seat-form"') and "No free seat left" in html


def test_linking_a_product_not_on_the_invoice_is_refused(client, db, factory, admin, combo, student):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    other = factory.invoice((offer, 1))
    path = f"/platform/invoices/{invoice.id}"
    response = post(client, f"{path}/seats/new", {"user_id": str(student.id), "line_id": str(other.lines[0].id),
                                                  "release_mode": "now", "action": "link"}, page=path, htmx=True)
    assert response.status_code == 422 and "not on the invoice" in response.get_data(as_text=True)
    assert other.seats[0].state == SeatState.FREE


def test_linking_works_without_javascript_search_then_link(client, db, factory, admin, combo, student):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    path = f"/platform/invoices/{invoice.id}/seats/new"
    page = client.get(path)
    assert page.status_code == 200 and "<dialog" not in page.get_data(as_text=True)
    found = post(client, path, {"user_q": "anna.student", "action": "search"})
    assert found.status_code == 200 and f'value="{student.id}"' in found.get_data(as_text=True)
    linked = post(client, path, {"user_id": str(student.id), "line_id": str(invoice.lines[0].id),
                                 "release_mode": "now", "action": "link"})
    assert linked.status_code == 302 and linked.headers["Location"].endswith(f"/platform/invoices/{invoice.id}#seats")
    assert db.session.execute(sa.select(Seat.state).where(Seat.invoice_id == invoice.id)).scalar_one() == "released"


def test_the_user_search_as_you_type_lists_students_and_customers_only(client, factory, admin, combo, student):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    factory.user(Role.PARTNER_ADMIN, email="anna.admin@example.com")
    html = client.get(f"/platform/invoices/{invoice.id}/seats/users?user_q=anna", headers=HTMX).get_data(as_text=True)
    assert "anna.student@example.com" in html and "anna.admin@example.com" not in html


def test_an_unknown_user_id_is_refused_on_the_user_field(client, db, factory, admin, combo):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    path = f"/platform/invoices/{invoice.id}"
    response = post(client, f"{path}/seats/new", {"user_id": "99999999999", "line_id": str(invoice.lines[0].id),
                                                  "release_mode": "now", "action": "link"}, page=path, htmx=True)
    assert response.status_code == 422 and 'id="seat-user-errors"' in response.get_data(as_text=True)


def test_unlinking_a_waiting_seat_frees_it(client, db, factory, admin, combo, student):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    seat = factory.link(invoice, student)
    path = f"/platform/invoices/{invoice.id}"
    response = post(client, f"{path}/seats/{seat.id}/unlink", {}, page=path, htmx=True)
    assert response.status_code == 200
    db.session.expire_all()
    assert seat.state == SeatState.FREE


# --- payments, reversal, cancellation ------------------------------------------------------------------------------


def test_an_overpayment_is_refused_with_a_clear_message_and_nothing_recorded(client, db, factory, admin, combo):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    path = f"/platform/invoices/{invoice.id}"
    response = post(client, f"{path}/payments", {"amount": "100.01", "paid_on": today().isoformat(),
                                                 "method": "bank_transfer", "reference": "CRO-1"}, page=path, htmx=True)
    assert response.status_code == 422
    assert "never overpaid" in response.get_data(as_text=True)
    assert invoice.payments == []


def test_two_partial_payments_make_the_invoice_paid_and_release_the_waiting_seat(client, db, factory, admin, combo,
                                                                                  student):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    factory.link(invoice, student)
    path = f"/platform/invoices/{invoice.id}"
    for amount, reference in (("40", "CRO-1"), ("60.00", "CRO-2")):
        response = post(client, f"{path}/payments", {"amount": amount, "paid_on": today().isoformat(),
                                                     "method": "bank_transfer", "reference": reference},
                        page=path, htmx=True)
        assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-status="paid"' in html and "Released" in html


def test_a_reversal_through_its_dialog_needs_a_reason(client, db, factory, admin, combo):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    payment = factory.pay(invoice, 2500, reference="CRO-9")
    path = f"/platform/invoices/{invoice.id}"
    refused = post(client, f"{path}/payments/{payment.id}/reverse", {"reason": ""}, page=path, htmx=True)
    assert refused.status_code == 422 and refused.get_data(as_text=True).lstrip().startswith(
        f'<form id="reverse-{payment.id}-form"')
    done = post(client, f"{path}/payments/{payment.id}/reverse", {"reason": "Bounced"}, page=path, htmx=True)
    assert done.status_code == 200 and "Reversal: Bounced" in done.get_data(as_text=True)
    db.session.expire_all()
    assert invoice.paid_cents == 0


def test_the_invoice_page_states_the_reversal_setting(client, db, factory, admin, combo):
    _product, offer = combo
    invoice = factory.invoice((offer, 1))
    token = csrf_token(client, "/platform/settings")
    client.post("/platform/settings", data={"csrf_token": token, "low_balance_threshold": "10",
                                            "seats_on_reversal": "revoke"})
    html = client.get(f"/platform/invoices/{invoice.id}").get_data(as_text=True)
    assert "seats released by full payment are revoked" in html


def test_cancelling_with_released_seats_states_them_and_needs_the_confirmation(client, db, factory, admin, combo,
                                                                               student):
    _product, offer = combo
    invoice = factory.invoice((offer, 2))
    factory.link(invoice, student, mode="now")
    path = f"/platform/invoices/{invoice.id}/cancel"
    page = client.get(path).get_data(as_text=True)
    assert "1 seat is released: its user loses the access" in page
    refused = post(client, path, {})
    assert refused.status_code == 422 and "tick the confirmation" in refused.get_data(as_text=True)
    assert post(client, path, {"revoke_released": "y"}).status_code == 302
    db.session.expire_all()
    assert invoice.status == "cancelled"


# --- the customer ----------------------------------------------------------------------------------------------------


def test_free_seats_are_counted_per_line_not_listed_one_by_one(client, db, factory, admin, combo):
    _product, offer = combo
    invoice = factory.invoice((offer, 500))
    factory.link(invoice, factory.user(Role.CUSTOMER, email="first@example.com"))
    html = client.get(f"/platform/invoices/{invoice.id}").get_data(as_text=True)
    assert html.count('data-state="free"') == 1 and "499 free seats" in html
    assert html.count('data-state="waiting"') == 1 and "first@example.com" in html


def test_the_customer_sees_their_invoices_status_and_seats(client, db, factory, login_as, combo):
    _product, offer = combo
    customer = factory.user(Role.CUSTOMER)
    invoice = factory.invoice((offer, 2), payer=customer)
    factory.link(invoice, customer, mode="now")
    factory.pay(invoice, 5000)
    login_as(user=customer)
    html = client.get("/member/invoices").get_data(as_text=True)
    assert invoice.number in html and "Partially paid" in html and "1 of 2 linked" in html
    html = client.get(f"/member/invoices/{invoice.id}").get_data(as_text=True)
    assert customer.email in html and "Released" in html and "1 free seat" in html
    pdf = client.get(f"/member/invoices/{invoice.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_another_customers_invoice_or_a_draft_is_a_404(client, db, factory, login_as, combo):
    _product, offer = combo
    someone = factory.user(Role.CUSTOMER)
    theirs = factory.invoice((offer, 1), payer=someone)
    draft = factory.invoice((offer, 1), payer=(me := factory.user(Role.CUSTOMER)), issue=False)
    login_as(user=me)
    for path in (f"/member/invoices/{theirs.id}", f"/member/invoices/{theirs.id}.pdf",
                 f"/member/invoices/{draft.id}", "/member/invoices/99999999999"):
        assert client.get(path).status_code == 404
    assert theirs.number not in client.get("/member/invoices").get_data(as_text=True)
