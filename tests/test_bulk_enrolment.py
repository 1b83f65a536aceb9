"""Bulk enrolment: preview (nothing written), all-or-nothing confirmation, background job, pages."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from html import unescape

import pytest
import sqlalchemy as sa

from app.queue import redis_connection
from app.jobs.bulk import run_bulk_enrolment_job
from app.services.enrolment.bulk.progress import progress_key, read_progress, record_progress
from app.models import (
    AuditEvent, BulkEnrolment, CoursePartner, EmailMessage, Enrolment, Role, Wallet, WalletEntry,
)
from app.models.base import utcnow
from app.services.enrolment import bulk as svc
from app.services.enrolment.bulk import batches
from app.services.enrolment import enrol as enrolments
from app.services.enrolment.bulk import BulkInputError, Outcome
from app.services.catalog.pricing import CourseNotShared
from app.services.ledger.wallets import audit_ledger
from app.transactions import commit
from tests.conftest import TEST_REDIS_URL, csrf_token
from tests.querycount import grown_statements

PATH = "/partner/enrolments/bulk"


@pytest.fixture
def partner(factory):
    return factory.partner(credits=100)


@pytest.fixture
def admin(factory, partner):
    return factory.user(Role.PARTNER_ADMIN, partner=partner)


@pytest.fixture
def course(factory):
    return factory.course(title="Fire Safety", value=10)


def balance(db, partner):
    db.session.expire_all()
    return db.session.execute(sa.select(Wallet.balance).where(Wallet.partner_id == partner.id)).scalar_one()


def enrolled_ids(db, partner, course):
    return set(db.session.execute(sa.select(Enrolment.user_id).where(
        Enrolment.partner_id == partner.id, Enrolment.course_id == course.id, Enrolment.status == "active",
    )).scalars())


def debits(db, partner):
    return db.session.scalar(sa.select(sa.func.count(WalletEntry.id)).join(Wallet, WalletEntry.wallet_id == Wallet.id).where(
        Wallet.partner_id == partner.id, WalletEntry.kind == "enrolment_debit"))


def outcomes(preview):
    return [(row.email, row.outcome) for row in preview.rows]


# --- preview ---------------------------------------------------------------------------


def test_preview_classifies_each_kind_of_row_and_writes_nothing(db, factory, partner, admin, course):
    ok = factory.student(partner, email="ok@example.com")
    done = factory.student(partner, email="done@example.com")
    enrolments.enrol_student(admin, partner, done, course)
    off = factory.student(partner, email="off@example.com")
    off.is_active_account = False
    factory.student(factory.partner(), email="foreign@example.com")
    text = "\n".join([
        "OK@Example.com", "done@example.com", "off@example.com", "foreign@example.com",
        admin.email, "nobody@example.com", "not an email", " ok@example.com ",
    ])
    entries_before = db.session.scalar(sa.select(sa.func.count(WalletEntry.id)))

    preview = svc.preview_bulk_enrolment(partner, course, emails=text)

    assert outcomes(preview) == [
        ("ok@example.com", Outcome.WILL_ENROL),
        ("done@example.com", Outcome.ALREADY_ENROLLED),
        ("off@example.com", Outcome.INACTIVE),
        ("foreign@example.com", Outcome.NOT_YOUR_STUDENT),
        (admin.email, Outcome.NOT_YOUR_STUDENT),
        ("nobody@example.com", Outcome.NOT_YOUR_STUDENT),
        ("not an email", Outcome.INVALID_EMAIL),
        ("ok@example.com", Outcome.DUPLICATE),
    ]
    assert [row.line for row in preview.rows] == list(range(1, 9))
    assert (preview.count, preview.skipped, preview.price, preview.total_cost) == (1, 7, 10, 10)
    assert (preview.balance, preview.enough, preview.missing) == (90, True, 0)
    assert preview.student_ids == [ok.id]
    assert db.session.scalar(sa.select(sa.func.count(WalletEntry.id))) == entries_before
    assert db.session.scalar(sa.select(sa.func.count(BulkEnrolment.id))) == 0


def test_preview_by_student_ids_hides_other_partners_students(db, factory, partner, course):
    mine = factory.student(partner)
    foreign = factory.student(factory.partner(), email="secret@example.com")
    preview = svc.preview_bulk_enrolment(partner, course, students=[mine.id, foreign.id, mine.id, 999_999],
                                         emails=[mine.email])
    assert [row.outcome for row in preview.rows] == [
        Outcome.WILL_ENROL, Outcome.NOT_YOUR_STUDENT, Outcome.DUPLICATE, Outcome.NOT_YOUR_STUDENT, Outcome.DUPLICATE,
    ]
    unknown = [preview.rows[1], preview.rows[3]]  # another partner's student, an id that does not exist
    assert all(row.student is None and row.email == "" for row in unknown)
    assert "secret@example.com" not in [row.email for row in preview.rows]


@pytest.mark.parametrize("content", [
    "\ufeffEmail;Name;Company\nA@example.com;Anna;Acme\nb@example.com;Bruno;\n".encode("utf-8"),
    b"name,e-mail\nAnna,a@example.com\nBruno,B@EXAMPLE.COM\n",
    "a@example.com\r\n\r\nb@example.com\r\n",
    "a@example.com; b@example.com",
    "\ufeffa@example.com,b@example.com\n",
])
def test_email_lists_and_csv_files_are_read(db, factory, partner, course, content):
    a = factory.student(partner, email="a@example.com")
    b = factory.student(partner, email="b@example.com")
    preview = svc.preview_bulk_enrolment(partner, course, emails=content)
    assert preview.student_ids == [a.id, b.id]
    assert preview.skipped == 0


@pytest.mark.parametrize("content, message", [
    (b"\xff\xfea\x00@\x00", "not UTF-8"),
    (b"a@example.com\x00\n", "not a CSV"),
    (b"name;surname\nAnna;Rossi\n", "none is named email"),
    (b"a@example.com;Anna Rossi\n", "Add a header row"),
    ("\n".join(f"s{i}@example.com" for i in range(2001)).encode(), "At most 2,000 rows"),
    (b'email\n"' + b"x" * 140_000 + b'"\n', "not a valid CSV"),
])
def test_a_bad_list_is_refused_with_a_clear_message(db, partner, course, content, message):
    with pytest.raises(BulkInputError) as refused:
        svc.preview_bulk_enrolment(partner, course, emails=content)
    assert message in refused.value.message


def test_preview_of_a_course_not_shared_is_refused(db, factory, partner):
    hidden = factory.course(assign_to_all=False, partners={factory.partner(): None})
    with pytest.raises(CourseNotShared):
        svc.preview_bulk_enrolment(partner, hidden, students=[factory.student(partner).id])


def test_total_cost_against_the_balance(db, factory, course):
    partner = factory.partner(credits=25)
    ids = [factory.student(partner).id for _ in range(3)]
    preview = svc.preview_bulk_enrolment(partner, course, students=ids)
    assert (preview.count, preview.total_cost, preview.balance) == (3, 30, 25)
    assert (preview.enough, preview.missing, preview.can_confirm) == (False, 5, False)


def test_custom_price_of_the_partner_is_used(db, factory):
    partner = factory.partner(credits=100)
    course = factory.course(value=10, assign_to_all=False, partners={partner: 4})
    preview = svc.preview_bulk_enrolment(partner, course, students=[factory.student(partner).id] * 1)
    assert (preview.price, preview.total_cost) == (4, 4)


# --- confirm and run ---------------------------------------------------------------------


def test_confirm_enrols_everyone_and_charges_each(db, factory, partner, admin, course):
    students = [factory.student(partner) for _ in range(3)]
    bulk = svc.confirm_bulk_enrolment(admin, partner, course, [s.id for s in students], expected_price=10)
    commit()
    assert (bulk.status, bulk.total_cost, bulk.error) == ("done", 30, None)
    assert bulk.finished_at is not None
    assert [r["outcome"] for r in bulk.results] == ["enrolled"] * 3
    assert [r["email"] for r in bulk.results] == [s.email for s in students]
    assert enrolled_ids(db, partner, course) == {s.id for s in students}
    assert balance(db, partner) == 70 and debits(db, partner) == 3
    actions = db.session.execute(sa.select(AuditEvent.action).where(AuditEvent.object_id == bulk.id,
                                                                    AuditEvent.object_type == "BulkEnrolment")).scalars()
    assert sorted(actions) == ["bulk_enrolment.done", "bulk_enrolment.requested"]
    assert audit_ledger()[1] == []


def test_short_by_one_credit_enrols_nobody_and_charges_nothing(db, factory, admin, course):
    partner = factory.partner(credits=29)
    factory.user(Role.PARTNER_ADMIN, partner=partner)
    ids = [factory.student(partner).id for _ in range(3)]
    bulk = svc.request_bulk_enrolment(admin, partner, course, ids)
    commit()
    bulk = svc.run_bulk_enrolment(bulk.id)
    commit()
    assert bulk.status == "failed"
    assert "30 needed, 29 available, 1 missing" in svc.batch_error(bulk)
    assert "Nobody was enrolled and nothing was charged" in svc.batch_error(bulk)
    assert [r["outcome"] for r in bulk.results] == ["not_enrolled"] * 3
    assert enrolled_ids(db, partner, course) == set()
    assert debits(db, partner) == 0 and balance(db, partner) == 29
    alerts = db.session.scalar(sa.select(sa.func.count()).where(EmailMessage.template == "insufficient_credits"))
    assert alerts >= 1
    # Running it again changes nothing.
    assert svc.run_bulk_enrolment(bulk.id).status == "failed"
    assert balance(db, partner) == 29


def test_students_enrolled_after_the_preview_are_skipped_and_not_charged(db, factory, partner, admin, course):
    students = [factory.student(partner) for _ in range(3)]
    preview = svc.preview_bulk_enrolment(partner, course, students=[s.id for s in students])
    assert preview.count == 3
    enrolments.enrol_student(admin, partner, students[1], course)  # someone else, meanwhile
    commit()
    bulk = svc.confirm_bulk_enrolment(admin, partner, course, preview.student_ids, expected_price=preview.price)
    commit()
    assert [r["outcome"] for r in bulk.results] == ["enrolled", "already_enrolled", "enrolled"]
    assert [r["credits"] for r in bulk.results] == [10, 0, 10]
    assert bulk.total_cost == 20
    assert balance(db, partner) == 100 - 10 - 20
    assert debits(db, partner) == 3


def test_confirming_the_same_list_twice_charges_once(db, factory, partner, admin, course):
    ids = [factory.student(partner).id for _ in range(2)]
    first = svc.request_bulk_enrolment(admin, partner, course, ids)
    second = svc.request_bulk_enrolment(admin, partner, course, ids)  # a double click on the preview
    svc.run_bulk_enrolment(first.id)
    svc.run_bulk_enrolment(second.id)
    svc.run_bulk_enrolment(first.id)  # a job delivered twice
    assert [r["outcome"] for r in first.results] == ["enrolled", "enrolled"]
    assert [r["outcome"] for r in second.results] == ["already_enrolled", "already_enrolled"]
    assert (second.status, second.total_cost) == ("done", 0)
    assert balance(db, partner) == 80 and debits(db, partner) == 2


def test_deactivated_after_the_preview_is_skipped(db, factory, partner, admin, course):
    students = [factory.student(partner) for _ in range(2)]
    bulk = svc.request_bulk_enrolment(admin, partner, course, [s.id for s in students])
    students[0].is_active_account = False
    svc.run_bulk_enrolment(bulk.id)
    assert [r["outcome"] for r in bulk.results] == ["inactive", "enrolled"]
    assert balance(db, partner) == 90


def test_one_low_balance_warning_for_the_whole_batch(db, factory, course):
    partner = factory.partner(credits=100, low_balance_threshold=50)
    admins = [factory.user(Role.PARTNER_ADMIN, partner=partner) for _ in range(2)]
    ids = [factory.student(partner).id for _ in range(8)]  # 100 -> 20, crossing 50 once
    svc.confirm_bulk_enrolment(admins[0], partner, course, ids)
    warnings = db.session.execute(sa.select(EmailMessage.recipient).where(
        EmailMessage.template == "low_balance")).scalars().all()
    assert sorted(warnings) == sorted(a.email for a in admins)
    assert balance(db, partner) == 20


def test_request_refuses_foreign_ids_a_changed_price_and_an_empty_list(db, factory, partner, admin, course):
    foreign = factory.student(factory.partner())
    with pytest.raises(enrolments.NotYourStudent):
        svc.request_bulk_enrolment(admin, partner, course, [factory.student(partner).id, foreign.id])
    with pytest.raises(svc.PriceChanged):
        svc.request_bulk_enrolment(admin, partner, course, [factory.student(partner).id], expected_price=9)
    with pytest.raises(svc.NothingToEnrol):
        svc.request_bulk_enrolment(admin, partner, course, [])
    done = factory.student(partner)
    enrolments.enrol_student(admin, partner, done, course)
    with pytest.raises(svc.NothingToEnrol):
        svc.request_bulk_enrolment(admin, partner, course, [done.id])
    assert db.session.scalar(sa.select(sa.func.count(BulkEnrolment.id))) == 0


def test_progress_is_reported_after_each_batch_of_rows(db, factory, partner, admin, course, monkeypatch):
    monkeypatch.setattr(batches, "BATCH", 20)
    ids = [factory.student(partner).id for _ in range(45)]
    partner_wallet_top_up(factory, partner, 400)
    bulk = svc.request_bulk_enrolment(admin, partner, course, ids)
    calls = []
    svc.run_bulk_enrolment(bulk.id, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(0, 45), (20, 45), (40, 45), (45, 45)]


def partner_wallet_top_up(factory, partner, amount):
    from app.services.ledger import wallets

    wallets.recharge(wallets.wallet_of(partner), amount, actor=factory.platform_admin())


def test_job_records_an_unexpected_error_as_failed(db, factory, partner, admin, course, monkeypatch):
    ids = [factory.student(partner).id for _ in range(2)]
    bulk = svc.request_bulk_enrolment(admin, partner, course, ids)
    commit()

    def broken(bulk_id, progress=None):
        db.session.add(Enrolment(user_id=ids[0], course_id=course.id, partner_id=partner.id,
                                 status="active", start_date=bulk.created_at.date(), credits_charged=0))
        db.session.flush()
        raise RuntimeError("database went away")

    monkeypatch.setattr(svc, "run_bulk_enrolment", broken)
    with pytest.raises(RuntimeError):
        run_bulk_enrolment_job(bulk.id)
    db.session.expire_all()
    bulk = db.session.get(BulkEnrolment, bulk.id)
    assert bulk.status == "failed" and "unexpected error" in svc.batch_error(bulk)
    assert [r["outcome"] for r in bulk.results] == ["not_enrolled", "not_enrolled"]
    assert enrolled_ids(db, partner, course) == set()


# --- pages ---------------------------------------------------------------------------------


@pytest.fixture
def partner_admin(login_as, partner):
    return login_as(Role.PARTNER_ADMIN, partner=partner)


def post_preview(client, course, *, students=(), emails="", upload=None):
    data = {"csrf_token": csrf_token(client, PATH), "course_id": str(course.id),
            "student_ids": [str(s.id) for s in students], "emails": emails}
    if upload is not None:
        data["file"] = (io.BytesIO(upload), "emails.csv")
    return client.post(f"{PATH}/preview", data=data, content_type="multipart/form-data")


def confirm_data(html):
    hidden = re.findall(r'name="(\w+)" type="hidden" value="([^"]*)"', html)
    fields = {name: unescape(value) for name, value in hidden}
    return {k: fields[k] for k in ("csrf_token", "course_id", "student_ids", "expected_price", "picked_ids",
                                   "email_rows")}


def text_of(html):
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", html)))


def totals(html):
    """The preview's totals as a reader sees them: {"count": "1", "cost": "10 credits", ...}."""
    return {name: text_of(value).strip() for name, value in re.findall(r'data-total="(\w+)">(.*?)</dd>', html)}


def page_outcomes(html):
    return re.findall(r'data-outcome="(\w+)"', html)


def test_form_lists_active_students_and_filters_them(client, factory, partner, partner_admin, course):
    factory.student(partner, email="anna@example.com")
    factory.student(partner, email="bruno@example.com")
    off = factory.student(partner, email="off@example.com")
    off.is_active_account = False
    html = client.get(PATH).get_data(as_text=True)
    assert "anna@example.com" in html and "bruno@example.com" in html and "off@example.com" not in html
    assert "Fire Safety — 10 cr" in html
    fragment = client.get(f"{PATH}/students?q=ann", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="bulk-student-list">')
    assert "anna@example.com" in fragment and "bruno@example.com" not in fragment
    assert "<html" not in fragment


def test_ticked_students_stay_ticked_when_the_filter_changes(client, factory, partner, partner_admin):
    anna = factory.student(partner, email="anna@example.com")
    factory.student(partner, email="bruno@example.com")
    html = client.get(f"{PATH}/students?q=bru&student_ids={anna.id}",
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert re.search(rf'value="{anna.id}" id="student_ids-\d+" checked', html)
    assert "bruno@example.com" in html
    everyone = client.get(f"{PATH}/students?select=all", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert everyone.count(" checked>") == 2


def test_preview_page_shows_outcomes_and_totals(db, client, factory, partner, partner_admin, course):
    a = factory.student(partner, email="a@example.com")
    response = post_preview(client, course, students=[a], emails="nobody@example.com\na@example.com")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page_outcomes(html) == ["will_enrol", "not_your_student", "duplicate"]
    assert totals(html) == {"count": "1", "skipped": "2", "price": "10 credits", "cost": "10 credits",
                            "balance": "100 credits"}
    assert "10 credits" in text_of(html) and "Enough credits" in html
    assert 'type="submit">' in html and "disabled" not in html.split('id="bulk-totals"')[1].split("</form>")[0]
    assert confirm_data(html)["student_ids"] == str(a.id)


def test_an_unknown_email_and_another_partners_student_get_the_same_answer(db, client, factory, partner,
                                                                            partner_admin, course):
    """A partner cannot learn from the preview which emails have an account on the platform."""
    factory.student(factory.partner(), email="theirs@example.com")
    factory.user(Role.PARTNER_ADMIN, email="admin-elsewhere@example.com", partner=factory.partner())
    html = post_preview(client, course, emails="theirs@example.com\nadmin-elsewhere@example.com\n"
                                                "nobody@example.com").get_data(as_text=True)

    rows = re.findall(r"<tr>(.*?)</tr>", html.split("<tbody>")[1], re.S)
    shown = [re.sub(r"\s+", " ", row).replace(email, "EMAIL").replace(f">{n}<", ">N<").replace(f"line {n}", "line N")
             for n, (row, email) in enumerate(zip(rows, ["theirs@example.com", "admin-elsewhere@example.com",
                                                         "nobody@example.com"]), start=1)]
    assert shown[0] == shown[1] == shown[2]
    assert "Not one of your students" in shown[0]


def test_preview_when_short_disables_the_confirmation(db, client, factory, partner_admin, course):
    partner = partner_admin.partner
    ids = [factory.student(partner) for _ in range(11)]  # 110 credits, 100 available
    html = post_preview(client, course, students=ids).get_data(as_text=True)
    assert "10 credits missing" in text_of(html)
    button = re.search(r'<button[^>]*type="submit"[^>]*>(.*?)</button>', html.split('id="bulk-verdict"')[1], re.S)
    assert " disabled" in button.group(0)
    assert "Cannot enrol: 10 credits missing" in text_of(button.group(1)) and "Enrol 11" not in button.group(1)


def test_preview_when_short_says_in_each_row_that_it_will_not_be_enrolled(db, client, factory, partner_admin,
                                                                           course):
    partner = partner_admin.partner
    students = [factory.student(partner) for _ in range(11)]  # 110 credits, 100 available
    html = post_preview(client, course, students=students).get_data(as_text=True)
    assert page_outcomes(html) == ["short_of_credits"] * 11
    assert "Will be enrolled" not in html
    assert "Not enrolled: not enough credits: 11" in html


def test_upload_with_bom_and_semicolons(db, client, factory, partner, partner_admin, course):
    a = factory.student(partner, email="a@example.com")
    upload = "\ufeffEmail;Name\nA@example.com;Anna\nghost@example.com;Ghost\n".encode("utf-8")
    html = post_preview(client, course, upload=upload).get_data(as_text=True)
    assert page_outcomes(html) == ["will_enrol", "not_your_student"]
    assert confirm_data(html)["student_ids"] == str(a.id)


@pytest.mark.parametrize("upload", [b"\xff\xfe\x00\x00garbage", b"name;surname\nAnna;Rossi\n"])
def test_a_bad_csv_is_refused_in_place_without_a_500(db, client, partner_admin, course, upload):
    response = post_preview(client, course, upload=upload)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "not UTF-8" in html or "none is named email" in html


def test_an_empty_request_is_refused_with_a_message(db, client, partner_admin, course):
    response = post_preview(client, course)
    assert response.status_code == 422
    assert "Tick some students, paste their emails or upload a CSV file." in response.get_data(as_text=True)


def test_confirm_runs_small_batches_at_once_and_shows_each_row(db, client, factory, partner, partner_admin, course):
    a, b = factory.student(partner, email="a@example.com"), factory.student(partner, email="b@example.com")
    html = post_preview(client, course, students=[a, b], emails="ghost@example.com").get_data(as_text=True)
    response = client.post(PATH, data=confirm_data(html))
    assert response.status_code == 302
    bulk = db.session.execute(sa.select(BulkEnrolment)).scalar_one()
    assert response.headers["Location"].endswith(f"{PATH}/{bulk.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert page_outcomes(page) == ["enrolled", "enrolled", "not_your_student"]  # the skipped row is listed too
    assert "a@example.com" in page and "b@example.com" in page and "ghost@example.com" in page
    assert "2 students enrolled." in page and "20 credits charged." in page
    assert "hx-trigger" not in page.split('id="bulk-status"')[1]
    assert balance(db, partner) == 80


def test_confirm_short_by_one_credit_shows_the_failure(db, client, factory, partner_admin, course):
    partner = partner_admin.partner
    students = [factory.student(partner) for _ in range(3)]
    html = post_preview(client, course, students=students).get_data(as_text=True)
    data = confirm_data(html)
    partner_wallet_deduct(factory, partner, 71)  # 29 left: the balance changed after the preview
    response = client.post(PATH, data=data, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "30 needed, 29 available, 1 missing" in page
    assert page_outcomes(page) == ["not_enrolled"] * 3
    assert enrolled_ids(db, partner, course) == set() and balance(db, partner) == 29


def partner_wallet_deduct(factory, partner, amount):
    from app.services.ledger import wallets

    wallets.deduct(wallets.wallet_of(partner), amount, actor=factory.platform_admin())


def test_confirm_with_a_tampered_list_is_refused(db, client, factory, partner, partner_admin, course):
    a = factory.student(partner)
    html = post_preview(client, course, students=[a]).get_data(as_text=True)
    data = confirm_data(html)
    data["student_ids"] = f"{a.id},{factory.student(factory.partner()).id}"
    response = client.post(PATH, data=data)
    assert response.status_code == 422
    assert "does not belong to your organisation" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(BulkEnrolment.id))) == 0
    assert balance(db, partner) == 100


def test_more_than_fifty_rows_run_as_a_job(db, client, factory, partner, partner_admin, course):
    partner_wallet_top_up(factory, partner, 600)
    students = [factory.student(partner) for _ in range(60)]
    upload = ("email\n" + "\n".join(s.email for s in students)).encode()
    html = post_preview(client, course, upload=upload).get_data(as_text=True)
    assert totals(html)["cost"] == "600 credits"
    response = client.post(PATH, data=confirm_data(html))
    assert response.status_code == 302
    bulk = db.session.execute(sa.select(BulkEnrolment)).scalar_one()
    db.session.refresh(bulk)
    # Synchronous mode: the job ran right after the commit, inside the request.
    assert bulk.status == "done" and len(bulk.results) == 60
    assert {r["outcome"] for r in bulk.results} == {"enrolled"}
    assert read_progress(bulk.id) == (60, 60)
    assert enrolled_ids(db, partner, course) == {s.id for s in students}
    assert balance(db, partner) == 100
    assert debits(db, partner) == 60
    checked, problems = audit_ledger()
    assert problems == [] and checked >= 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert page.count('data-outcome="enrolled"') == 60


def test_progress_fragment_polls_while_pending_and_stops_when_done(db, client, factory, partner, partner_admin,
                                                                    course):
    ids = [factory.student(partner).id for _ in range(3)]
    bulk = svc.request_bulk_enrolment(partner_admin, partner, course, ids)
    commit()
    url = f"{PATH}/{bulk.id}"
    redis_connection().delete(progress_key(bulk.id))

    waiting = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in waiting and "<progress" in waiting and "Waiting" in waiting
    assert "<html" not in waiting

    record_progress(bulk.id, 2, 3)
    running = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'value="2" max="3"' in running and 'hx-trigger="every 1s"' in running
    assert 'style=' not in running

    page = client.get(url).get_data(as_text=True)
    assert "<html" in page and 'hx-trigger="every 1s"' in page

    svc.run_bulk_enrolment(bulk.id)
    commit()
    done = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "hx-trigger" not in done and "<progress" not in done
    assert page_outcomes(done) == ["enrolled"] * 3
    assert 'id="wallet-balance" class="balance" hx-swap-oob="true">70<' in done
    redis_connection().delete(progress_key(bulk.id))


def test_another_partners_bulk_enrolment_is_not_found(db, client, factory, partner_admin, course):
    other = factory.partner(credits=50)
    other_admin = factory.user(Role.PARTNER_ADMIN, partner=other)
    bulk = svc.request_bulk_enrolment(other_admin, other, course, [factory.student(other).id])
    commit()
    assert client.get(f"{PATH}/{bulk.id}").status_code == 404
    assert client.get(f"{PATH}/{bulk.id}", headers={"HX-Request": "true"}).status_code == 404
    assert client.get(f"{PATH}/999999").status_code == 404


@pytest.mark.parametrize("role", [Role.STUDENT, Role.PLATFORM_ADMIN, Role.RESELLER])
def test_other_roles_are_forbidden(client, login_as, role):
    login_as(role)
    assert client.get(PATH).status_code == 403
    assert client.get(f"{PATH}/1").status_code == 403


def test_enrolments_page_links_to_bulk_enrolment(client, partner_admin):
    assert f'href="{PATH}"' in client.get("/partner/enrolments").get_data(as_text=True)


# --- a real queue ----------------------------------------------------------------------------


@pytest.mark.skipif(not TEST_REDIS_URL, reason="TEST_REDIS_URL is not set: the real-worker test needs a Redis server")
def test_a_real_worker_runs_a_sixty_row_job_and_publishes_its_progress(tmp_path):
    """Another process (``rq worker --burst``) runs the job; this process reads its progress."""
    import uuid

    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db as _db
    from app.queue import get_queue
    from tests.conftest import Factory, _config_dict
    from tests.test_jobs_real_queue import _delete_queue, _worker_env, run_worker

    db_file = tmp_path / "aula.db"
    queue_name = f"aula-test-bulk-{uuid.uuid4().hex[:12]}"
    app = create_app({**_config_dict(), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_file}",
                      "REDIS_URL": TEST_REDIS_URL, "RQ_QUEUE": queue_name, "RATELIMIT_STORAGE_URI": "memory://"})
    app.extensions["test_worker_env"] = _worker_env(tmp_path / "instance", db_file, queue_name)
    bulk_id = None
    try:
        with app.app_context():
            upgrade()
            factory = Factory(_db)
            partner = factory.partner(credits=600)
            admin = factory.user(Role.PARTNER_ADMIN, partner=partner)
            course = factory.course(value=10)
            ids = [factory.student(partner).id for _ in range(60)]
            commit()
            bulk = svc.confirm_bulk_enrolment(admin, partner, course, ids, expected_price=10)
            bulk_id = bulk.id
            queue = get_queue()
            assert queue.is_async and queue.count == 0, "the job was enqueued before the commit"
            commit()
            jobs = queue.get_jobs()
            assert [(j.func_name, j.args) for j in jobs] == [("app.jobs.bulk.run_bulk_enrolment_job", (bulk_id,))]
            job_id = jobs[0].id
            assert _db.session.get(BulkEnrolment, bulk_id).status == "pending"
            assert read_progress(bulk_id) is None
            _db.session.remove()  # end our transaction: SQLite's write lock is taken at BEGIN

        result = run_worker(app)

        with app.app_context():
            bulk = _db.session.get(BulkEnrolment, bulk_id)
            assert bulk.status == "done", result.stderr
            assert [r["outcome"] for r in bulk.results] == ["enrolled"] * 60
            assert read_progress(bulk_id) == (60, 60)
            job = get_queue().fetch_job(job_id)
            assert job.get_status() == "finished"
            assert (job.get_meta()["done"], job.get_meta()["total"]) == (60, 60)
            assert _db.session.scalar(sa.select(sa.func.count(Enrolment.id)).where(
                Enrolment.course_id == bulk.course_id)) == 60
            assert audit_ledger()[1] == []
            _db.session.remove()
    finally:
        with app.app_context():
            if bulk_id is not None:
                redis_connection().delete(progress_key(bulk_id))
            _delete_queue(queue_name)
            _db.engine.dispose()


# --- review fixes ------------------------------------------------------------------------------


def test_a_price_change_while_waiting_refuses_the_whole_batch(db, factory, partner, admin, course):
    partner_wallet_top_up(factory, partner, 900)  # 1000: enough for 3 × 200
    ids = [factory.student(partner).id for _ in range(3)]
    bulk = svc.request_bulk_enrolment(admin, partner, course, ids, expected_price=10)
    commit()
    assert bulk.price == 10
    course.value_per_enrolment = 200  # the platform changes the price while the job waits
    commit()
    bulk = svc.run_bulk_enrolment(bulk.id)
    commit()
    assert bulk.status == "failed"
    assert svc.batch_error(bulk) == ("The price of Fire Safety changed from 10 credits to 200 credits since you "
                                     "confirmed; nobody was enrolled and nothing was charged. Preview again.")
    assert [r["outcome"] for r in bulk.results] == ["not_enrolled"] * 3
    assert enrolled_ids(db, partner, course) == set()
    assert balance(db, partner) == 1000 and debits(db, partner) == 0


def test_a_price_change_refuses_the_batch_in_the_job_too(db, factory, partner, admin, course):
    partner_wallet_top_up(factory, partner, 900)
    ids = [factory.student(partner).id for _ in range(3)]
    bulk = svc.request_bulk_enrolment(admin, partner, course, ids)
    commit()
    course.value_per_enrolment = 4  # cheaper is a change too: the admin confirmed 10
    commit()
    assert run_bulk_enrolment_job(bulk.id) == "failed"
    db.session.expire_all()
    bulk = db.session.get(BulkEnrolment, bulk.id)
    assert "changed from 10 credits to 4 credits" in svc.batch_error(bulk)
    assert [r["outcome"] for r in bulk.results] == ["not_enrolled"] * 3
    assert balance(db, partner) == 1000 and debits(db, partner) == 0


def test_a_course_unshared_while_waiting_refuses_the_batch(db, factory, partner, admin):
    course = factory.course(value=10, assign_to_all=False, partners={partner: None})
    bulk = svc.request_bulk_enrolment(admin, partner, course, [factory.student(partner).id])
    commit()
    course.assign_to_all_partners = False
    db.session.execute(sa.delete(CoursePartner).where(CoursePartner.course_id == course.id))
    commit()
    assert run_bulk_enrolment_job(bulk.id) == "failed"
    db.session.expire_all()
    bulk = db.session.get(BulkEnrolment, bulk.id)
    assert "no longer available" in svc.batch_error(bulk)
    assert balance(db, partner) == 100 and debits(db, partner) == 0


def test_the_result_lists_every_requested_row(db, client, factory, partner, partner_admin, course):
    a = factory.student(partner, email="a@example.com")
    done = factory.student(partner, email="done@example.com")
    enrolments.enrol_student(partner_admin, partner, done, course)
    off = factory.student(partner, email="off@example.com")
    off.is_active_account = False
    foreign = factory.student(factory.partner(), email="foreign@example.com")
    factory.student(factory.partner(), email="other@example.com")
    emails = "\n".join(["ghost@example.com", "not an email", "a@example.com", "done@example.com",
                        "off@example.com", "other@example.com"])
    html = post_preview(client, course, students=[a, foreign], emails=emails).get_data(as_text=True)
    expected = ["not_your_student", "invalid_email", "duplicate", "already_enrolled", "inactive", "not_your_student"]
    assert page_outcomes(html) == ["will_enrol", "not_your_student"] + expected
    response = client.post(PATH, data=confirm_data(html))
    assert response.status_code == 302
    bulk = db.session.execute(sa.select(BulkEnrolment)).scalar_one()
    db.session.refresh(bulk)
    assert [r["outcome"] for r in bulk.results] == ["enrolled", "not_your_student"] + expected
    assert all(svc.row_message(r) for r in bulk.results if r["outcome"] != "enrolled")
    assert bulk.student_ids == [a.id] and bulk.total_cost == 10
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert page_outcomes(page) == ["enrolled", "not_your_student"] + expected
    assert "ghost@example.com" in page and "not an email" in page and "No student of your organisation has this email" in page
    assert (bulk.results[1]["email"], bulk.results[1]["student_id"]) == ("", None)  # ticked, another partner's
    assert "1 student enrolled." in page and "7 rows skipped" in page
    assert balance(db, partner) == 80  # 10 for done, 10 for a


def test_the_result_of_a_refused_batch_lists_the_skipped_rows_too(db, client, factory, partner_admin, course):
    partner = partner_admin.partner
    students = [factory.student(partner) for _ in range(3)]
    html = post_preview(client, course, students=students, emails="ghost@example.com").get_data(as_text=True)
    data = confirm_data(html)
    partner_wallet_deduct(factory, partner, 71)
    page = client.post(PATH, data=data, follow_redirects=True).get_data(as_text=True)
    assert "30 needed, 29 available, 1 missing" in page
    assert page_outcomes(page) == ["not_enrolled"] * 3 + ["not_your_student"]


def test_the_rows_are_classified_again_by_the_server_at_confirmation(db, client, factory, partner, partner_admin,
                                                                      course):
    a = factory.student(partner, email="a@example.com")
    html = post_preview(client, course, students=[a], emails="later@example.com").get_data(as_text=True)
    data = confirm_data(html)
    assert "outcome" not in data["email_rows"]  # the form carries what was asked, never an outcome
    later = factory.student(partner, email="later@example.com")  # created after the preview
    response = client.post(PATH, data=data)
    assert response.status_code == 302
    bulk = db.session.execute(sa.select(BulkEnrolment)).scalar_one()
    db.session.refresh(bulk)
    # Not previewed as enrollable, so not enrolled (nor charged), but listed with the reason.
    assert [r["outcome"] for r in bulk.results] == ["enrolled", "not_enrolled"]
    assert "preview again" in svc.row_message(bulk.results[1]).lower()
    assert enrolled_ids(db, partner, course) == {a.id} and later.id not in enrolled_ids(db, partner, course)


def test_a_malformed_list_of_rows_at_confirmation_is_refused(db, client, factory, partner, partner_admin, course):
    a = factory.student(partner)
    html = post_preview(client, course, students=[a], emails="ghost@example.com").get_data(as_text=True)
    data = confirm_data(html)
    data["email_rows"] = '[[1, {"outcome": "enrolled"}]]'
    response = client.post(PATH, data=data)
    assert response.status_code == 422
    assert "no longer valid" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(BulkEnrolment.id))) == 0


def test_the_service_keeps_the_skipped_rows_in_a_background_job(db, factory, partner, admin, course):
    partner_wallet_top_up(factory, partner, 600)
    students = [factory.student(partner) for _ in range(55)]
    emails = [(1, "ghost@example.com"), (2, "nope")] + [(3 + i, s.email) for i, s in enumerate(students)]
    bulk = svc.confirm_bulk_enrolment(admin, partner, course, [s.id for s in students], expected_price=10,
                                      picked=[], emails=emails)
    assert bulk.status == "pending"
    assert [r["outcome"] for r in bulk.results[:3]] == ["not_your_student", "invalid_email", "will_enrol"]
    commit()  # the job runs after the commit (synchronous mode)
    db.session.expire_all()
    bulk = db.session.get(BulkEnrolment, bulk.id)
    assert bulk.status == "done"
    assert [r["outcome"] for r in bulk.results] == ["not_your_student", "invalid_email"] + ["enrolled"] * 55
    assert [r["line"] for r in bulk.results[:3]] == [1, 2, 3]
    assert bulk.total_cost == 550 and debits(db, partner) == 55


HUGE = "99999999999999999999999"


@pytest.mark.parametrize("url", [
    f"{PATH}/students?company=²",
    f"{PATH}/students?company={HUGE}",
    f"{PATH}/students?company=9999999999",
    f"{PATH}?company=²",
    f"{PATH}?student_ids={HUGE}",
    f"{PATH}?student_ids=²",
    f"{PATH}/students?student_ids={HUGE}",
    f"{PATH}?course_id=²",
    f"{PATH}?course_id={HUGE}",
])
def test_odd_ids_in_the_student_list_never_fail(db, client, factory, partner, partner_admin, url):
    factory.student(partner, email="anna@example.com")
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    if "company=" in url:  # a company that cannot exist: nobody matches
        assert "anna@example.com" not in html and "No active student matches this filter." in html


@pytest.mark.parametrize("field, value", [
    ("course_id", HUGE), ("course_id", "9999999999"), ("course_id", "²"),
    ("student_ids", HUGE), ("student_ids", "9999999999"), ("student_ids", "²"),
    ("picked_ids", HUGE), ("expected_price", HUGE),
])
def test_odd_ids_at_confirmation_never_fail(db, client, factory, partner, partner_admin, course, field, value):
    a = factory.student(partner)
    data = confirm_data(post_preview(client, course, students=[a]).get_data(as_text=True))
    data[field] = value if field in ("course_id", "expected_price") else f"{a.id},{value}"
    response = client.post(PATH, data=data)
    assert response.status_code == 422
    assert "no longer valid" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(BulkEnrolment.id))) == 0


@pytest.mark.parametrize("value", [HUGE, "9999999999", "²", "٣"])
def test_odd_student_ids_in_the_preview_never_fail(db, client, factory, partner, partner_admin, course, value):
    a = factory.student(partner)
    data = {"csrf_token": csrf_token(client, PATH), "course_id": str(course.id),
            "student_ids": [str(a.id), value], "emails": ""}
    response = client.post(f"{PATH}/preview", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Some ticked students are unknown" in response.get_data(as_text=True)


@pytest.mark.parametrize("value", [HUGE, "9999999999", "²"])
def test_odd_course_ids_in_the_preview_never_fail(db, client, factory, partner, partner_admin, course, value):
    a = factory.student(partner)
    data = {"csrf_token": csrf_token(client, PATH), "course_id": value, "student_ids": [str(a.id)], "emails": ""}
    response = client.post(f"{PATH}/preview", data=data, content_type="multipart/form-data")
    assert response.status_code == 422


def test_the_service_refuses_odd_ids_with_a_clear_error(db, factory, partner, admin, course):
    with pytest.raises(enrolments.NotYourStudent):
        svc.request_bulk_enrolment(admin, partner, course, [int(HUGE)])
    with pytest.raises(enrolments.NotYourStudent):
        svc.preview_bulk_enrolment(partner, course, students=["²"])
    picker = svc.pickable_students(partner, selected=[HUGE, "²", 2**40])
    assert picker.selected_ids == []


def test_a_batch_total_above_the_largest_balance_is_refused_before_it_is_stored(db, factory, admin):
    from app.services.ledger.wallets import MAX_BALANCE, InsufficientCredits

    partner = admin.partner
    partner_wallet_top_up(factory, partner, 1000)
    course = factory.course(value=1_000_000_000)
    ids = [factory.student(partner).id for _ in range(3)]  # 3e9 > MAX_BALANCE: can never be paid
    with pytest.raises(InsufficientCredits) as refused:
        svc.request_bulk_enrolment(admin, partner, course, ids, expected_price=1_000_000_000)
    assert refused.value.needed == 3_000_000_000 > MAX_BALANCE
    assert "Not enough credits: 3,000,000,000 needed, 1,100 available" in refused.value.message
    assert db.session.scalar(sa.select(sa.func.count(BulkEnrolment.id))) == 0


def test_a_batch_total_above_the_largest_balance_is_refused_on_the_page(db, client, factory, partner,
                                                                         partner_admin):
    course = factory.course(title="Gold", value=1_000_000_000)
    students = [factory.student(partner) for _ in range(3)]
    html = post_preview(client, course, students=students).get_data(as_text=True)
    response = client.post(PATH, data=confirm_data(html))
    assert response.status_code == 422
    assert "Not enough credits" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(BulkEnrolment.id))) == 0


def _stale(bulk, minutes=11):
    bulk.created_at = utcnow() - timedelta(minutes=minutes)
    commit()


def test_stale_pending_batches_are_queued_again_and_a_second_run_charges_nothing(db, factory, partner, admin,
                                                                                  course):
    ids = [factory.student(partner).id for _ in range(3)]
    stale = svc.request_bulk_enrolment(admin, partner, course, ids)
    fresh = svc.request_bulk_enrolment(admin, partner, course, [factory.student(partner).id])
    db.session.info.pop("aula_after_commit", None)  # as if the worker died: nothing will run them
    commit()
    _stale(stale)
    # Twice before the commit: the same batch is queued twice, as two cron runs could do.
    assert svc.resume_stale_bulk_enrolments() == 1
    assert svc.resume_stale_bulk_enrolments(older_than=timedelta(minutes=10)) == 1
    commit()  # synchronous mode: both jobs run now, one after the other
    db.session.expire_all()
    stale = db.session.get(BulkEnrolment, stale.id)
    assert stale.status == "done" and [r["outcome"] for r in stale.results] == ["enrolled"] * 3
    assert db.session.get(BulkEnrolment, fresh.id).status == "pending"
    assert balance(db, partner) == 70 and debits(db, partner) == 3
    assert svc.resume_stale_bulk_enrolments() == 0


def test_a_second_run_of_a_finished_batch_charges_nothing(db, factory, partner, admin, course):
    bulk = svc.request_bulk_enrolment(admin, partner, course, [factory.student(partner).id for _ in range(2)])
    commit()
    assert run_bulk_enrolment_job(bulk.id) == "done"
    assert run_bulk_enrolment_job(bulk.id) == "done"
    assert balance(db, partner) == 80 and debits(db, partner) == 2


def test_the_resume_command_queues_stale_batches(app, db, factory, partner, admin, course):
    bulk = svc.request_bulk_enrolment(admin, partner, course, [factory.student(partner).id])
    db.session.info.pop("aula_after_commit", None)
    commit()
    _stale(bulk)
    result = app.test_cli_runner().invoke(args=["resume-bulk-enrolments"])
    assert result.exit_code == 0, result.output
    assert "1 waiting bulk enrolment queued again" in result.output
    db.session.expire_all()
    assert db.session.get(BulkEnrolment, bulk.id).status == "done"
    assert balance(db, partner) == 90


def test_a_batch_waiting_too_long_says_it_is_delayed(db, client, factory, partner, partner_admin, course):
    bulk = svc.request_bulk_enrolment(partner_admin, partner, course, [factory.student(partner).id])
    db.session.info.pop("aula_after_commit", None)
    commit()
    url = f"{PATH}/{bulk.id}"
    redis_connection().delete(progress_key(bulk.id))
    recent = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "delayed" not in recent
    _stale(bulk)
    late = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "delayed" in late and "platform administrators have been told" in late
    assert "hx-trigger" in late  # it keeps polling
    assert "delayed" in client.get(url).get_data(as_text=True)


# --- set-based: a batch costs a few statements, whatever its size (issue 9) ---------------------------


def run_counted(db, factory, partner, admin, course, n, queries):
    ids = [factory.student(partner).id for _ in range(n)]
    bulk = svc.request_bulk_enrolment(admin, partner, course, ids)
    db.session.flush()
    with queries() as counter:
        svc.run_bulk_enrolment(bulk.id)
        db.session.flush()
    assert [r["outcome"] for r in bulk.results] == ["enrolled"] * n
    return counter.statements


def test_a_bulk_run_adds_a_few_statements_per_batch_not_per_student(db, factory, admin, course, queries,
                                                                    monkeypatch):
    monkeypatch.setattr(batches, "BATCH", 10)
    partner = factory.partner(credits=1_000)
    ten = run_counted(db, factory, partner, admin, course, 10, queries)
    thirty = run_counted(db, factory, partner, admin, course, 30, queries)
    # Two more batches: the students' lock, their enrolments (check, insert, read back), debit, entries, events.
    assert len(thirty) - len(ten) <= 2 * 7, grown_statements(ten, thirty, limit=7)


def test_a_student_who_joined_by_another_way_meanwhile_is_skipped_and_not_charged(db, factory, partner, admin,
                                                                                  course):
    from app.services.access import participation
    from app.services.ledger import wallets

    first, second = factory.student(partner), factory.student(partner)
    participation.join_course(None, second, course, start_date=participation.today())  # a grant, say
    wallet = wallets.locked_wallet_of(partner)
    before = wallet.balance
    enrolled = enrolments.enrol_many(admin, partner, course, [first, second], price=10, wallet=wallet)
    assert enrolled[0] is not None and enrolled[1] is None
    assert wallet.balance == before - 10 and debits(db, partner) == 1


def test_classifying_more_rows_than_allowed_is_refused_with_a_message(db, partner, course):
    from app.services.enrolment.bulk.classify import classify
    from app.services.enrolment.bulk.emails import MAX_ROWS

    with pytest.raises(BulkInputError, match="At most"):
        classify(partner, course, list(range(1, MAX_ROWS + 2)), [])
