"""Partner reports: enrolments and wallet statement as CSV and XLSX, filtered and streamed."""

from __future__ import annotations

import csv
import gc
import io
import tempfile
import tracemalloc
import uuid
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Company, Enrolment, Role, User
from app.models.base import utcnow
from app.services.enrolment import enrol as enrol_svc
from app.services.exports import reports
from app.services.enrolment.progress import mark_lesson_done
from app.services.exports.reports import EnrolmentReportFilters, ReportFiltersRefused
from app.services.exports import writers

ROME = ZoneInfo("Europe/Rome")
EVIL_NAME = '=HYPERLINK("http://evil.example","click")'


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture
def setup(db, factory, login_as):
    partner = factory.partner(credits=1000, name="Formazione Rossi")
    admin = login_as(Role.PARTNER_ADMIN, partner=partner)
    acme = Company(partner_id=partner.id, name="Acme Srl")
    db.session.add(acme)
    db.session.flush()
    safety = factory.course(title="Sicurezza sul lavoro", value=10)
    first_aid = factory.course(title="Primo soccorso", value=5)

    alice = factory.student(partner, email="alice@example.com")
    alice.name, alice.company_id = "Alice Àlvarez", acme.id
    bob = factory.student(partner, email="bob@example.com")
    bob.name = "Bob Bianchi"
    eve = factory.student(partner, email="eve@example.com")
    eve.name, eve.company_id = EVIL_NAME, acme.id

    e_alice = enrol_svc.enrol_student(admin, partner, alice, safety)
    e_bob = enrol_svc.enrol_student(admin, partner, bob, first_aid)
    e_eve = enrol_svc.enrol_student(admin, partner, eve, safety)
    e_alice.created_at = utc(2026, 1, 15, 10, 0)
    e_bob.created_at = utc(2026, 3, 9, 23, 30)  # 10 March in Rome
    e_eve.created_at = utc(2026, 5, 1, 12, 0)
    for lesson in safety.lessons:
        mark_lesson_done(alice, e_alice, lesson)
    mark_lesson_done(bob, e_bob, first_aid.lessons[0])
    enrol_svc.cancel_enrolment(admin, partner, e_eve)

    # Another partner, with a company and a student in the same course: never in our reports.
    other = factory.partner(credits=100, name="Altra Academy")
    other_admin = factory.user(Role.PARTNER_ADMIN, partner=other)
    other_company = Company(partner_id=other.id, name="Other Company Spa")
    db.session.add(other_company)
    db.session.flush()
    mallory = factory.student(other, email="mallory@example.com")
    mallory.name, mallory.company_id = "Mallory Other", other_company.id
    enrol_svc.enrol_student(other_admin, other, mallory, safety)
    db.session.flush()
    return dict(partner=partner, admin=admin, acme=acme, safety=safety, first_aid=first_aid,
                alice=e_alice, bob=e_bob, eve=e_eve, other=other, other_company=other_company)


def read_csv(response) -> list[list[str]]:
    text = response.get_data(as_text=False).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def by_email(rows) -> dict[str, list]:
    return {row[1]: row for row in rows[1:]}


def emails(response) -> set[str]:
    return set(by_email(read_csv(response)))


# --- the enrolment CSV -------------------------------------------------------------


def test_the_enrolment_csv_has_the_header_and_every_enrolment_with_its_values(client, setup):
    response = client.get("/partner/reports/enrolments.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    today = datetime.now(ROME).date().isoformat()
    assert response.headers["Content-Disposition"] == f'attachment; filename="enrolments-{today}.csv"'
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # BOM, RFC 4180 line ends
    rows = read_csv(response)
    assert rows[0] == [
        "Student", "Email", "Company", "Course", "Enrolment date", "Status", "Credits charged",
        "Lessons done", "Lessons total", "Progress %", "Completed on", "Certificate code",
    ]
    assert len(rows) == 4  # alice, bob, eve; oldest first
    assert [row[1] for row in rows[1:]] == ["alice@example.com", "bob@example.com", "eve@example.com"]
    alice, bob, eve = rows[1:]
    code = setup["alice"].certificate.code
    completed = setup["alice"].completed_at.astimezone(ROME).date().isoformat()
    assert alice == ["Alice Àlvarez", "alice@example.com", "Acme Srl", "Sicurezza sul lavoro", "2026-01-15",
                     "Completed", "10", "3", "3", "100", completed, code]
    assert bob == ["Bob Bianchi", "bob@example.com", "", "Primo soccorso", "2026-03-10",
                   "Active", "5", "1", "3", "33", "", ""]
    assert eve[2:10] == ["Acme Srl", "Sicurezza sul lavoro", "2026-05-01", "Cancelled", "10", "0", "3", "0"]


def test_an_italian_partner_gets_the_enrolment_csv_in_columns_for_italian_excel(client, setup):
    """Italian Excel splits a CSV at ";": the same report, the same cells, separated by ";"."""
    response = client.get("/partner/reports/enrolments.csv", headers={"Accept-Language": "it"})
    text = response.get_data(as_text=True).removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert len(rows) == 4 and all(len(row) == 12 for row in rows)
    assert rows[1][1:5] == ["alice@example.com", "Acme Srl", "Sicurezza sul lavoro", "2026-01-15"]


def test_a_formula_looking_name_is_neutralised_in_the_csv(client, setup):
    eve = by_email(read_csv(client.get("/partner/reports/enrolments.csv")))["eve@example.com"]
    assert eve[0] == "'" + EVIL_NAME


@pytest.mark.parametrize(
    "query, expected",
    [
        ("date_from=2026-03-10", {"bob@example.com", "eve@example.com"}),
        ("date_to=2026-03-09", {"alice@example.com"}),  # 23:30 UTC on the 9th is already the 10th in Rome
        ("date_from=2026-03-10&date_to=2026-03-10", {"bob@example.com"}),
        ("company={acme}", {"alice@example.com", "eve@example.com"}),
        ("company=none", {"bob@example.com"}),
        ("course={first_aid}", {"bob@example.com"}),
        ("company={acme}&course={safety}&date_to=2026-02-01", {"alice@example.com"}),
        ("date_from=2027-01-01", set()),
    ],
)
def test_each_filter_narrows_the_enrolment_report(client, setup, query, expected):
    query = query.format(acme=setup["acme"].id, first_aid=setup["first_aid"].id, safety=setup["safety"].id)
    response = client.get(f"/partner/reports/enrolments.csv?{query}")
    assert response.status_code == 200
    assert emails(response) == expected


def test_another_partners_data_never_appears(client, setup):
    for path in ("/partner/reports/enrolments.csv",
                 f"/partner/reports/enrolments.csv?course={setup['safety'].id}",
                 "/partner/reports/wallet.csv"):
        text = client.get(path).get_data(as_text=True)
        assert "mallory" not in text.lower() and "Other Company" not in text and "Altra" not in text


@pytest.mark.parametrize(
    "query, message",
    [
        ("company={other_company}", "This company is not one of your client companies."),
        ("company=999999999999999999999", "Choose a company from the list."),
        ("company=acme", "Choose a company from the list."),
        ("course=999999", "This course is not in your catalog."),
        ("date_from=2026-13-01", "is not a date"),
        ("date_from=2026-05-02&date_to=2026-05-01", "The end date is before the start date."),
    ],
)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_bad_filters_get_the_page_with_the_error_and_no_file(client, setup, query, message, fmt):
    query = query.format(other_company=setup["other_company"].id)
    for report in ("enrolments", "wallet"):
        response = client.get(f"/partner/reports/{report}.{fmt}?{query}")
        assert response.status_code == 422
        assert response.mimetype == "text/html"
        assert "Content-Disposition" not in response.headers
        html = response.get_data(as_text=True)
        assert message in html and "is-invalid" in html
        assert "Reports" in html


def test_every_mistake_is_shown_at_once(client, setup):
    other_company = setup["other_company"].id
    response = client.get(
        f"/partner/reports/enrolments.csv?date_from=soon&company={other_company}&course=999999")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for message in ("is not a date", "This company is not one of your client companies.",
                    "This course is not in your catalog."):
        assert message in html


def test_a_course_not_shared_with_the_partner_is_refused(db, factory, setup):
    private = factory.course(title="Only for others", assign_to_all=False, partners={setup["other"]: None})
    with pytest.raises(ReportFiltersRefused) as refused:
        reports.check_filters(setup["partner"], EnrolmentReportFilters(course_id=private.id))
    assert set(refused.value.errors) == {"course"}
    reports.check_filters(setup["partner"], EnrolmentReportFilters(course_id=setup["safety"].id,
                                                                 company_id=setup["acme"].id))


def test_the_enrolment_report_is_one_query(db, app, setup):
    statements_seen = []

    def count(conn, cursor, statement, *args):
        statements_seen.append(statement)

    engine = db.session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        rows = list(reports.enrolment_rows(setup["partner"]))
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len(rows) == 3
    selects = [s for s in statements_seen if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert len(selects) == 1, statements_seen


def test_downloads_are_audited(db, client, setup):
    client.get(f"/partner/reports/enrolments.csv?company={setup['acme'].id}")
    client.get("/partner/reports/wallet.xlsx").close()
    events = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == "report.downloaded").order_by(AuditEvent.id)
    ).scalars().all()
    assert [(e.partner_id, e.details["report"], e.details["format"]) for e in events] == [
        (setup["partner"].id, "enrolments", "csv"), (setup["partner"].id, "wallet", "xlsx")]
    assert events[0].details["company_id"] == setup["acme"].id
    assert events[0].actor_id == setup["admin"].id


def test_only_a_partner_admin_downloads_reports(other_client, login_as, setup):
    assert other_client.get("/partner/reports/enrolments.csv").status_code == 302  # to the login page
    login_as(Role.STUDENT, client_=other_client)
    assert other_client.get("/partner/reports/enrolments.csv").status_code == 403


# --- XLSX --------------------------------------------------------------------------


def read_xlsx(response):
    workbook = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    return workbook.active


def test_the_enrolment_xlsx_has_the_same_rows_with_real_dates_and_numbers(client, setup):
    response = client.get("/partner/reports/enrolments.xlsx")
    assert response.status_code == 200
    assert response.mimetype == reports_mimetype()
    today = datetime.now(ROME).date().isoformat()
    assert response.headers["Content-Disposition"] == f'attachment; filename="enrolments-{today}.xlsx"'
    sheet = read_xlsx(response)
    csv_rows = read_csv(client.get("/partner/reports/enrolments.csv"))
    cells = list(sheet.iter_rows())
    assert [c.value for c in cells[0]] == csv_rows[0]
    assert all(c.font.b for c in cells[0])
    assert sheet.freeze_panes == "A2"
    assert len(cells) == len(csv_rows) == 4
    for row, csv_row in zip(cells[1:], csv_rows[1:]):
        values = [c.value for c in row]
        enrolment_day = row[4]
        assert enrolment_day.is_date and isinstance(enrolment_day.value, datetime)
        assert enrolment_day.value.date().isoformat() == csv_row[4]
        assert [type(v) for v in values[6:10]] == [int, int, int, int]
        assert [str(v) for v in values[6:10]] == csv_row[6:10]
        assert values[1] == csv_row[1] and values[3] == csv_row[3]
        assert (values[2] or "") == csv_row[2] and (values[11] or "") == csv_row[11]
    alice = cells[1]
    assert alice[10].is_date and alice[11].value == setup["alice"].certificate.code
    assert alice[9].value == 100
    assert cells[2][10].value is None  # bob: not completed


def test_a_formula_looking_name_is_text_in_the_xlsx(client, setup):
    sheet = read_xlsx(client.get("/partner/reports/enrolments.xlsx"))
    eve = next(row for row in sheet.iter_rows(min_row=2) if row[1].value == "eve@example.com")
    assert eve[0].value == EVIL_NAME and eve[0].data_type == "s"  # a string, never a formula


def test_both_formats_are_streamed(client, setup):
    for path in ("/partner/reports/enrolments.csv", "/partner/reports/enrolments.xlsx",
                 "/partner/reports/wallet.csv", "/partner/reports/wallet.xlsx"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.is_streamed, path
        response.close()


@pytest.mark.parametrize("report", ["enrolments", "wallet"])
def test_a_csv_body_is_read_after_the_requests_session_is_gone(app, db, client, setup, monkeypatch, report):
    # In production the request's app context ends when the view returns, and
    # Flask-SQLAlchemy closes its session (whose objects the commit expired)
    # before the server reads the streamed body. Tests keep one app context open,
    # so do the same by hand when the request context ends.
    expected = client.get(f"/partner/reports/{report}.csv").get_data()

    def end_of_request_session(_error):
        db.session.expire_all()
        db.session.close()

    monkeypatch.setitem(app.teardown_request_funcs, None,
                        [*app.teardown_request_funcs.get(None, []), end_of_request_session])
    response = client.get(f"/partner/reports/{report}.csv")
    assert response.status_code == 200
    assert response.get_data() == expected


def test_the_xlsx_temp_file_is_removed_when_the_response_is_closed(client, setup, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    # The client went away before reading anything.
    response = client.get("/partner/reports/enrolments.xlsx")
    assert len(list(tmp_path.glob("aula-report-*.xlsx"))) == 1
    response.close()
    assert list(tmp_path.glob("aula-report-*.xlsx")) == []
    # Read halfway, then gone.
    response = client.get("/partner/reports/wallet.xlsx")
    next(iter(response.response))
    response.close()
    assert list(tmp_path.glob("aula-report-*.xlsx")) == []
    # Read to the end.
    response = client.get("/partner/reports/enrolments.xlsx")
    assert response.get_data().startswith(b"PK")
    response.close()
    assert list(tmp_path.glob("*")) == []


def test_a_report_too_big_for_a_spreadsheet_gets_the_page_and_leaves_no_file(client, setup, tmp_path,
                                                                              monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(writers, "XLSX_MAX_ROWS", 3)  # header + 2 rows; the partner has 3 enrolments
    response = client.get("/partner/reports/enrolments.xlsx")
    assert response.status_code == 422 and "Content-Disposition" not in response.headers
    assert "more rows than a spreadsheet can hold" in response.get_data(as_text=True)
    assert list(tmp_path.glob("*")) == []
    assert client.get("/partner/reports/enrolments.xlsx?company=none").status_code == 200


def reports_mimetype() -> str:
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- wallet statement ----------------------------------------------------------------


def test_the_wallet_csv_is_the_statement_and_filters_by_company_and_course(app, client, setup):
    partner = setup["partner"]
    response = client.get("/partner/reports/wallet.csv")
    assert response.status_code == 200
    with app.test_request_context():
        expected = "".join(reports.statement_csv(partner.wallet))
    assert response.get_data(as_text=True) == expected
    rows = read_csv(response)
    assert len(rows) == 1 + 5  # opening recharge, three debits, one refund
    by_acme = read_csv(client.get(f"/partner/reports/wallet.csv?company={setup['acme'].id}"))
    assert {row[5] for row in by_acme[1:]} == {"alice@example.com", "eve@example.com"}
    assert len(by_acme) == 1 + 3  # alice's debit, eve's debit and refund
    by_course = read_csv(client.get(f"/partner/reports/wallet.csv?course={setup['first_aid'].id}"))
    assert [row[5] for row in by_course[1:]] == ["bob@example.com"]
    assert read_csv(client.get("/partner/reports/wallet.csv?date_to=2000-01-01"))[1:] == []


def test_the_wallet_xlsx_has_times_and_numbers(client, setup):
    response = client.get("/partner/reports/wallet.xlsx")
    today = datetime.now(ROME).date().isoformat()
    assert response.headers["Content-Disposition"] == f'attachment; filename="wallet-{today}.xlsx"'
    sheet = read_xlsx(response)
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == read_csv(client.get("/partner/reports/wallet.csv"))[0]
    assert len(rows) == 1 + 5
    for row in rows[1:]:
        assert row[0].is_date and isinstance(row[0].value, datetime)
        assert isinstance(row[2].value, int) and isinstance(row[3].value, int)
    assert sorted(row[2].value for row in rows[1:]) == [-10, -10, -5, 10, 1000]


# --- the page --------------------------------------------------------------------------


def test_the_reports_page_has_both_cards_and_filters(client, setup):
    response = client.get("/partner/reports")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for text in ("Enrolments", "Wallet statement", "Download CSV", "Download XLSX", "Acme Srl", "No company",
                 "Primo soccorso", 'id="enrolments-date_from"', 'id="wallet-date_from"',
                 'formaction="/partner/reports/enrolments.xlsx"', 'formaction="/partner/reports/wallet.csv"',
                 'href="/partner/reports"'):
        assert text in html, text
    assert "Other Company" not in html


# --- 100k rows ---------------------------------------------------------------------------


def insert_enrolments(session, partner, course, count: int, *, batch: int = 20_000) -> None:
    """``count`` students of ``partner``, each enrolled in ``course``, by bulk SQL (no services)."""
    now = utcnow()
    tag = uuid.uuid4().hex[:10]
    users, enrolments = User.__table__, Enrolment.__table__
    for start in range(0, count, batch):
        ids = session.execute(
            users.insert().returning(users.c.id, sort_by_parameter_order=True),
            [{"email": f"bulk-{tag}-{i}@example.com", "name": f"Studente {i}", "role": "student",
              "is_active": True, "partner_id": partner.id, "created_at": now}
             for i in range(start, min(start + batch, count))],
        ).scalars().all()
        session.execute(
            enrolments.insert(),
            [{"user_id": user_id, "course_id": course.id, "partner_id": partner.id, "status": "active",
              "start_date": now.date(), "credits_charged": 1, "created_at": now} for user_id in ids],
        )


@pytest.mark.slow
def test_a_100k_row_csv_streams_in_little_memory(db, client, factory, login_as):
    partner = factory.partner()
    login_as(Role.PARTNER_ADMIN, partner=partner)
    course = factory.course(title="Corso grande")
    insert_enrolments(db.session, partner, course, 100_000)
    db.session.commit()

    gc.collect()
    tracemalloc.start()
    try:
        response = client.get("/partner/reports/enrolments.csv")
        assert response.status_code == 200 and response.is_streamed
        lines = 0
        for chunk in response.response:
            lines += chunk.count(b"\n")
        response.close()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lines == 100_001
    assert peak < 50 * 2**20, f"peak {peak / 2**20:.1f} MiB"


def test_the_csv_writer_writes_each_kind_of_cell_as_a_spreadsheet_reads_it():
    """Every type a report row holds, in English (",", ".") and in Italian (";", ","): the cells the writer
    handles inline (text, whole numbers) and those it hands to csv_text agree on formulas and decimals."""
    from decimal import Decimal

    from markupsafe import Markup

    row = ("=SUM(A1)", "+39 06", "-", "@x", "Anna", "", 42, -7, None, True, 2.5, Decimal("199.00"),
           datetime(2026, 3, 1, 9, 5, 7), datetime(2026, 3, 1, 9, 5, 7, tzinfo=timezone.utc),
           datetime(2026, 3, 1).date(), Markup("=HYPERLINK()"), "a;b,c \"q\"")
    header = [f"c{n}" for n in range(len(row))]

    def cells(separators):
        text = "".join(writers.write_csv(iter([row]), header, separators=separators))
        return next(csv.reader(io.StringIO(text.splitlines()[1]), delimiter=separators[0]))

    common = ["'=SUM(A1)", "'+39 06", "'-", "'@x", "Anna", "", "42", "-7", "", "True"]
    moments = ["2026-03-01 09:05:07", "2026-03-01 09:05:07", "2026-03-01", "'=HYPERLINK()", "a;b,c \"q\""]
    assert cells((",", ".")) == common + ["2.5", "199.00"] + moments
    assert cells((";", ",")) == common + ["2,5", "199,00"] + moments


def test_the_statement_writes_times_in_the_platform_zone_and_names_the_counterpart(app, db, factory):
    """Winter, summer and the night the clocks go forward, in Rome, on every engine (PostgreSQL converts the
    times itself); a transfer's counterpart by name; blanks as empty text; nothing but the statement's columns."""
    from app.models import WalletEntry
    from app.services.ledger import statements, wallets

    admin = factory.platform_admin()
    source = wallets.wallet_of(factory.reseller(name="Rivenditore Uno"))
    target = wallets.wallet_of(factory.partner(name="Scuola Rossi"))

    def entry(kind, amount, balance_after, moment, **more):  # written as it was then (the ledger is append-only)
        db.session.execute(sa.insert(WalletEntry).values(
            wallet_id=target.id, kind=kind, amount=amount, balance_after=balance_after, actor_id=admin.id,
            note=more.pop("note", ""), created_at=moment, **more))

    entry("transfer_in", 30, 30, datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc), counterpart_wallet_id=source.id)
    entry("deduction", -5, 25, datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc), note="=correzione")
    entry("recharge", 7, 32, datetime(2026, 7, 15, 12, 0, 5, tzinfo=timezone.utc))
    rows = list(statements.statement_rows(statements.statement_query(target)))
    assert rows == [  # newest first
        (datetime(2026, 7, 15, 14, 0, 5), "Recharge", 7, 32, admin.email, "", "", ""),
        (datetime(2026, 3, 29, 3, 30), "Deduction", -5, 25, admin.email, "", "", "=correzione"),
        (datetime(2026, 1, 15, 13, 0), "Transfer in", 30, 30, admin.email, "", "Rivenditore Uno", ""),
    ]
