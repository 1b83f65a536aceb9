"""Recharge and deduction from the partner list, and the wallet history (platform and partner)."""

import csv
import io
import re
import uuid
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, EmailMessage, Role, Wallet, WalletEntry
from app.services.enrolment import enrol as enrolments
from app.services.ledger import wallets
from tests.pages import page_link
from tests.conftest import csrf_token


@pytest.fixture
def admin(login_as):
    return login_as(Role.PLATFORM_ADMIN)


def entries_of(db, partner):
    db.session.expire_all()
    return db.session.execute(
        sa.select(WalletEntry).join(Wallet, Wallet.id == WalletEntry.wallet_id)
        .where(Wallet.partner_id == partner.id).order_by(WalletEntry.id)
    ).scalars().all()


def balance_of(db, partner):
    db.session.expire_all()
    return db.session.execute(sa.select(Wallet.balance).where(Wallet.partner_id == partner.id)).scalar_one()


def post_operation(client, partner, operation, amount, reason="top-up", key=None, htmx=True, token=None):
    prefix = f"{operation}-{partner.id}"
    token = token or csrf_token(client, "/platform/partners")
    data = {f"{prefix}-csrf_token": token, f"{prefix}-amount": amount, f"{prefix}-reason": reason,
            f"{prefix}-idempotency_key": key or str(uuid.uuid4())}
    headers = {"HX-Request": "true", "X-CSRFToken": token} if htmx else {}
    return client.post(f"/platform/partners/{partner.id}/{operation}", data=data, headers=headers)


# --- recharge ------------------------------------------------------------------------


def test_recharge_with_htmx_returns_the_row_the_totals_a_toast_and_closes_the_dialog(client, db, factory, admin):
    partner = factory.partner(name="Topped", credits=10)
    factory.partner(name="Bystander", credits=7)

    response = post_operation(client, partner, "recharge", "40", reason="Invoice 2026-14")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith(f'<tr id="partner-{partner.id}">')
    assert re.search(rf'id="partner-{partner.id}-balance">50<', html)
    # Totals, out of band: 50 + 7.
    assert re.search(r'<div id="partner-totals"[^>]*hx-swap-oob="true"', html)
    assert 'id="partner-totals-credits">57<' in html
    # A toast, out of band.
    assert 'hx-swap-oob="beforeend"' in html and "40 credits added to Topped. Balance: 50." in html
    assert response.headers["HX-Trigger"] == "aula:close-dialog"
    assert response.headers["HX-Retarget"] == f"#partner-{partner.id}"
    assert "<html" not in html

    assert balance_of(db, partner) == 50
    entry = entries_of(db, partner)[-1]
    assert (entry.kind, entry.amount, entry.balance_after, entry.note, entry.actor_id) == (
        "recharge", 40, 50, "Invoice 2026-14", admin.id)
    assert db.session.execute(sa.select(AuditEvent).where(
        AuditEvent.action == "wallet.recharged", AuditEvent.partner_id == partner.id)).scalar_one()


def test_the_dialog_loaded_again_carries_a_fresh_key_so_the_next_recharge_applies_too(client, db, factory, admin):
    partner = factory.partner(credits=0)

    def dialog_key():
        html = client.get(f"/platform/partners/{partner.id}/recharge", headers={"HX-Request": "true"}).get_data(
            as_text=True)
        return re.search(rf'name="recharge-{partner.id}-idempotency_key" type="hidden" value="([^"]+)"',
                         html).group(1)

    post_operation(client, partner, "recharge", "5", key=dialog_key())
    post_operation(client, partner, "recharge", "6", key=dialog_key())
    assert [e.amount for e in entries_of(db, partner)] == [5, 6]


def test_recharge_without_javascript_redirects_to_the_list_with_a_message(client, db, factory, admin):
    partner = factory.partner(name="Plain", credits=0)
    path = f"/platform/partners/{partner.id}/recharge"
    page = client.get(path).get_data(as_text=True)
    assert "<html" in page and f'action="{path}"' in page and "hx-post" not in page
    key = re.search(r'idempotency_key" type="hidden" value="([^"]+)"', page).group(1)

    response = post_operation(client, partner, "recharge", "12", key=key, htmx=False)

    assert response.status_code == 302
    assert response.headers["Location"] == "/platform/partners"
    assert balance_of(db, partner) == 12
    assert "12 credits added to Plain. Balance: 12." in client.get("/platform/partners").get_data(as_text=True)


@pytest.mark.parametrize("htmx", [True, False])
def test_double_submit_with_the_same_key_applies_once(client, db, factory, admin, htmx):
    partner = factory.partner(credits=0)
    key = str(uuid.uuid4())

    first = post_operation(client, partner, "recharge", "25", key=key, htmx=htmx)
    second = post_operation(client, partner, "recharge", "25", key=key, htmx=htmx)

    assert first.status_code == second.status_code == (200 if htmx else 302)
    assert len(entries_of(db, partner)) == 1
    assert balance_of(db, partner) == 25
    shown = second.get_data(as_text=True) if htmx else client.get("/platform/partners").get_data(as_text=True)
    assert "Already applied" in shown
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.action == "wallet.recharged", AuditEvent.partner_id == partner.id)) == 1


# --- deduction -----------------------------------------------------------------------


def test_deduction_updates_row_and_totals(client, db, factory, admin):
    partner = factory.partner(name="Trimmed", credits=30)
    response = post_operation(client, partner, "deduct", "12", reason="Refund by bank")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(rf'id="partner-{partner.id}-balance">18<', html)
    assert 'id="partner-totals-credits">18<' in html
    assert "12 credits deducted from Trimmed. Balance: 18." in html
    entry = entries_of(db, partner)[-1]
    assert (entry.kind, entry.amount, entry.balance_after, entry.note) == ("deduction", -12, 18, "Refund by bank")


@pytest.mark.parametrize("htmx", [True, False])
def test_deduction_beyond_the_balance_is_refused_in_place_and_writes_nothing(client, db, factory, admin, htmx):
    partner = factory.partner(name="Short", credits=5)
    before = len(entries_of(db, partner))

    response = post_operation(client, partner, "deduct", "8", htmx=htmx)

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Only 5 credits are available" in html
    assert re.search(r"Available balance:.*?5 credits", html, re.S)
    if htmx:
        assert html.lstrip().startswith(f'<form id="deduct-{partner.id}-form"')
        assert "HX-Trigger" not in response.headers
    else:
        assert "<html" in html
    assert len(entries_of(db, partner)) == before
    assert balance_of(db, partner) == 5


def test_a_refused_deduction_keeps_its_key_and_applies_once_corrected(client, db, factory, admin):
    partner = factory.partner(credits=5)
    key = str(uuid.uuid4())
    refused = post_operation(client, partner, "deduct", "8", key=key).get_data(as_text=True)
    assert f'value="{key}"' in refused
    accepted = post_operation(client, partner, "deduct", "5", key=key)
    assert accepted.status_code == 200
    assert balance_of(db, partner) == 0


@pytest.mark.parametrize("amount, message", [
    ("0", "Enter a whole number, 1 or more."),
    ("-3", "Enter a whole number, 1 or more."),
    ("abc", "Enter a whole number, e.g. 25."),
    ("1.5", "Enter a whole number, e.g. 25."),
    ("", "Enter the number of credits."),
    (str(wallets.MAX_AMOUNT + 1), "Enter a whole number, at most 1,000,000,000."),
])
@pytest.mark.parametrize("operation", ["recharge", "deduct"])
def test_bad_amounts_are_refused(client, db, factory, admin, operation, amount, message):
    partner = factory.partner(credits=10)
    response = post_operation(client, partner, operation, amount)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert balance_of(db, partner) == 10 and len(entries_of(db, partner)) == 1


def test_a_reason_is_required(client, db, factory, admin):
    partner = factory.partner(credits=10)
    response = post_operation(client, partner, "recharge", "5", reason="   ")
    assert response.status_code == 422
    assert "Say why." in response.get_data(as_text=True)
    assert balance_of(db, partner) == 10


def test_a_missing_or_forged_key_is_refused_and_replaced(client, db, factory, admin):
    partner = factory.partner(credits=10)
    response = post_operation(client, partner, "recharge", "5", key="not-a-uuid")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This form had expired" in html
    new_key = re.search(r'idempotency_key" type="hidden" value="([^"]+)"', html).group(1)
    assert uuid.UUID(new_key)
    assert balance_of(db, partner) == 10


def test_a_key_already_used_on_another_wallet_is_refused(client, db, factory, admin):
    first = factory.partner(credits=0)
    second = factory.partner(credits=0)
    key = str(uuid.uuid4())
    post_operation(client, first, "recharge", "4", key=key)
    response = post_operation(client, second, "recharge", "4", key=key)
    assert response.status_code == 422
    assert f'value="{key}"' not in response.get_data(as_text=True)  # a fresh key to send again
    assert (balance_of(db, first), balance_of(db, second)) == (4, 0)


def test_a_key_sent_again_with_another_amount_is_refused_with_the_ledgers_reason(client, db, factory, admin):
    partner = factory.partner(credits=0)
    key = str(uuid.uuid4())
    post_operation(client, partner, "recharge", "4", key=key)
    response = post_operation(client, partner, "recharge", "5", key=key)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "already used for another operation (Recharge of 4 credits)" in html
    assert f'value="{key}"' not in html  # a fresh key to send again
    assert balance_of(db, partner) == 4


def test_a_deduction_crossing_the_threshold_warns_the_partner_admins(client, db, factory, admin):
    partner = factory.partner(name="Low", credits=30, low_balance_threshold=20)
    partner_admin = factory.user(Role.PARTNER_ADMIN, partner=partner)
    post_operation(client, partner, "deduct", "5")   # 25: still above
    post_operation(client, partner, "deduct", "10")  # 15: crosses 20
    post_operation(client, partner, "deduct", "1")   # 14: already below, no second warning
    warnings = db.session.execute(sa.select(EmailMessage).where(
        EmailMessage.template == "low_balance")).scalars().all()
    assert [w.recipient for w in warnings] == [partner_admin.email]


# --- history ------------------------------------------------------------------------


def add_entry(db, partner, amount, kind, when, note="", actor=None):
    """An entry at a chosen time (the ledger stamps 'now'; history tests need the past)."""
    wallet = wallets.wallet_of(partner)
    db.session.refresh(wallet)
    wallet.balance += amount
    entry = WalletEntry(wallet_id=wallet.id, amount=amount, balance_after=wallet.balance, kind=kind,
                        note=note, created_at=when, actor_id=actor.id if actor else None)
    db.session.add(entry)
    db.session.flush()
    return entry


def history_rows(html):
    return re.findall(r'<tr id="entry-(\d+)">', html)


def test_history_shows_every_entry_newest_first_with_its_details(client, db, factory, admin):
    partner = factory.partner(name="Storied", credits=50)
    student = factory.student(partner, email="ada@storied.example.com")
    course = factory.course(title="Safety 101", value=8)
    enrolments.enrol_student(admin, partner, student, course)
    wallets.deduct(wallets.wallet_of(partner), 2, actor=admin, note="Manual fix")

    html = client.get(f"/platform/partners/{partner.id}/wallet").get_data(as_text=True)

    ids = [int(i) for i in history_rows(html)]
    assert ids == sorted(ids, reverse=True) and len(ids) == 3
    table = html[html.index('<tbody>'):]
    assert table.index("Manual fix") < table.index("ada@storied.example.com") < table.index("test opening balance")
    assert "Safety 101" in table and ">Enrolment<" in table and ">Deduction<" in table and ">Recharge<" in table
    assert "-8" in table and "+50" in table
    assert re.search(r'class="num">40</td>', table)  # balance after the enrolment
    assert admin.name in table


def test_history_filters_by_kind_and_by_day_in_the_platform_time_zone(client, db, factory, admin):
    partner = factory.partner(name="Dated")
    utc = timezone.utc
    march_9 = add_entry(db, partner, 10, "recharge", datetime(2026, 3, 9, 12, 0, tzinfo=utc), "march 9")
    # 23:30 UTC on 10 March is 00:30 on 11 March in Rome.
    late = add_entry(db, partner, 5, "recharge", datetime(2026, 3, 10, 23, 30, tzinfo=utc), "late on the 10th UTC")
    cut = add_entry(db, partner, -3, "deduction", datetime(2026, 3, 12, 8, 0, tzinfo=utc), "march 12")
    path = f"/platform/partners/{partner.id}/wallet"

    def shown(query):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return {int(i) for i in history_rows(response.get_data(as_text=True))}

    assert shown("kind=deduction") == {cut.id}
    assert shown("kind=recharge") == {march_9.id, late.id}
    assert shown("date_from=2026-03-11&date_to=2026-03-11") == {late.id}
    assert shown("date_to=2026-03-10") == {march_9.id}
    assert shown("date_from=2026-03-10") == {late.id, cut.id}
    assert shown("kind=recharge&date_from=2026-03-10") == {late.id}
    # The time is shown in the platform's zone too.
    html = client.get(f"{path}?kind=recharge&date_from=2026-03-11").get_data(as_text=True)
    # (date and time on two lines, so the amount stays on a phone's screen; the year in full)
    assert re.search(r"3/11/2026<div[^>]*>12:30\s*AM</div>", html) and not re.search(r"11:30\s*PM", html)


def test_htmx_filtering_returns_only_the_history_partial(client, factory, admin):
    partner = factory.partner(credits=3)
    response = client.get(f"/platform/partners/{partner.id}/wallet?kind=recharge",
                          headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="wallet-history"') and "<html" not in html
    assert f'href="/platform/partners/{partner.id}/wallet.csv?kind=recharge"' in html


def test_history_is_paginated_fifty_per_page(client, factory, admin):
    partner = factory.partner()
    wallet = wallets.wallet_of(partner)
    for n in range(55):
        wallets.recharge(wallet, 1, actor=admin, note=f"n{n}")
    path = f"/platform/partners/{partner.id}/wallet"

    first = client.get(path).get_data(as_text=True)
    older = page_link(first, "next")
    second = client.get(older).get_data(as_text=True)

    assert len(history_rows(first)) == 50 and len(history_rows(second)) == 5
    assert "n54" in first and "n0" not in first and "n0" in second
    assert older.startswith(f"{path}?after=") and page_link(first, "prev") is None
    assert page_link(second, "next") is None and "n54" in client.get(page_link(second, "prev")).get_data(as_text=True)
    assert client.get(f"{path}?after=abc").status_code == 200
    assert client.get(f"{path}?page=99999999999999999999999").status_code == 200


def test_the_next_page_of_the_history_keeps_its_filters(client, factory, admin):
    partner = factory.partner()
    wallet = wallets.wallet_of(partner)
    for n in range(55):
        wallets.recharge(wallet, 1, actor=admin, note=f"n{n}")
    wallets.deduct(wallet, 1, actor=admin, note="the one deduction")
    path = f"/platform/partners/{partner.id}/wallet"
    first = client.get(f"{path}?kind=recharge").get_data(as_text=True)
    second = client.get(page_link(first, "next")).get_data(as_text=True)
    assert "kind=recharge" in page_link(first, "next")
    assert len(history_rows(second)) == 5 and "the one deduction" not in first + second


@pytest.mark.parametrize("query, message", [
    ("date_from=2026-13-45", "is not a date"),
    ("date_to=yesterday", "is not a date"),
    ("date_from=0001-01-01", "Choose a date between"),
    ("date_from=2026-03-10&date_to=2026-03-01", "The end date is before the start date."),
    ("kind=bogus", "Not a valid choice"),
])
def test_bad_filters_get_a_clear_message_not_a_crash(client, factory, admin, query, message):
    partner = factory.partner(credits=3)
    for path in (f"/platform/partners/{partner.id}/wallet", f"/platform/partners/{partner.id}/wallet.csv"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 422, path
        assert response.mimetype == "text/html"
        html = response.get_data(as_text=True)
        assert message in html and "Correct the filters above" in html
        assert not history_rows(html)


def read_csv(response):
    text = b"".join(response.response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_has_a_header_and_the_filtered_rows(client, db, factory, admin):
    partner = factory.partner(name="Exported Co", credits=20)
    student = factory.student(partner, email="bob@exported.example.com")
    course = factory.course(title="Excel, the basics", value=6)
    enrolments.enrol_student(admin, partner, student, course)
    wallets.deduct(wallets.wallet_of(partner), 1, actor=admin, note="=HYPERLINK(\"x\")")

    everything = client.get(f"/platform/partners/{partner.id}/wallet.csv")
    assert everything.status_code == 200
    assert everything.mimetype == "text/csv"
    assert everything.headers["Content-Disposition"].startswith('attachment; filename="wallet-exported-co-')
    rows = read_csv(everything)
    assert rows[0] == ["Time (Europe/Rome)", "Kind", "Amount", "Balance after", "By", "Student", "Course", "Note"]
    assert [(r[1], r[2], r[3]) for r in rows[1:]] == [
        ("Deduction", "-1", "13"), ("Enrolment", "-6", "14"), ("Recharge", "20", "20")]
    enrolment_row = rows[2]
    assert (enrolment_row[5], enrolment_row[6]) == ("bob@exported.example.com", "Excel, the basics")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", enrolment_row[0])
    assert rows[1][7] == "'=HYPERLINK(\"x\")"  # never a live formula in a spreadsheet

    only_enrolments = read_csv(client.get(f"/platform/partners/{partner.id}/wallet.csv?kind=enrolment_debit"))
    assert len(only_enrolments) == 2 and only_enrolments[1][1] == "Enrolment"


def test_csv_is_streamed(client, factory, admin):
    partner = factory.partner(credits=1)
    response = client.get(f"/platform/partners/{partner.id}/wallet.csv")
    assert response.is_streamed


# --- the partner admin's own wallet -----------------------------------------------


def test_partner_admin_sees_only_their_own_wallet_and_csv(client, db, factory, login_as):
    mine = factory.partner(name="Mine Ltd", credits=15)
    other = factory.partner(name="Other Ltd")
    wallets.recharge(wallets.wallet_of(other), 99, actor=factory.platform_admin(), note="OTHER-SECRET")
    login_as(Role.PARTNER_ADMIN, partner=mine)

    page = client.get("/partner/wallet")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Wallet of Mine Ltd" in html and re.search(r'class="display-6 mb-0 balance">15<', html)
    assert "test opening balance" in html and "OTHER-SECRET" not in html and len(history_rows(html)) == 1
    assert 'href="/partner/wallet.csv"' in html
    assert "data-dialog-open" not in html and "Add credits" not in html  # read-only

    rows = read_csv(client.get("/partner/wallet.csv"))
    assert len(rows) == 2 and rows[1][2] == "15"
    assert "OTHER-SECRET" not in str(rows)
    # Filters work the same way, and bad ones are explained.
    assert client.get("/partner/wallet?kind=deduction").status_code == 200
    assert "is not a date" in client.get("/partner/wallet?date_from=31/12/2026").get_data(as_text=True)
    # Another partner's wallet stays out of reach.
    assert client.get(f"/platform/partners/{other.id}/wallet").status_code == 403
    assert client.get(f"/platform/partners/{other.id}/wallet.csv").status_code == 403


def test_partner_wallet_page_is_for_partner_admins_only(client, login_as):
    login_as(Role.STUDENT)
    assert client.get("/partner/wallet").status_code == 403
    assert client.get("/partner/wallet.csv").status_code == 403


def test_a_partner_without_a_wallet_yet_sees_an_empty_statement(client, db, factory, login_as):
    from app.models import Partner

    partner = Partner(name="Walletless")
    db.session.add(partner)
    db.session.flush()
    login_as(Role.PARTNER_ADMIN, partner=partner)
    db.session.execute(sa.delete(Wallet).where(Wallet.partner_id == partner.id))  # however it came to be

    html = client.get("/partner/wallet").get_data(as_text=True)
    assert "No entries yet." in html and re.search(r'class="display-6 mb-0 balance">0<', html)
    assert len(read_csv(client.get("/partner/wallet.csv"))) == 1  # the header only
