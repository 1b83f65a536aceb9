"""Paid enrolment by a partner: the debit and the enrolment happen together or not at all."""

import pytest
import sqlalchemy as sa

from app.models import EmailMessage, Enrolment, Role, Wallet, WalletEntry
from app.services.enrolment import enrol as svc
from app.services.ledger import wallets
from app.services.ledger.wallets import InsufficientCredits
from app.transactions import commit
from app.services.catalog import pricing
from app.services.tenancy import settings as platform_settings
from app.services.tenancy import credit_alerts
from tests.conftest import csrf_token
from app.services.enrolment import enrol as enrol_svc


@pytest.fixture
def partner(factory):
    return factory.partner(credits=25)


@pytest.fixture
def admin_of(factory):
    return lambda partner: factory.user(Role.PARTNER_ADMIN, partner=partner)


def balance(db, partner):
    db.session.expire_all()
    return db.session.execute(sa.select(Wallet.balance).where(Wallet.partner_id == partner.id)).scalar_one()


def enrolment_count(db, partner):
    return db.session.scalar(sa.select(sa.func.count(Enrolment.id)).where(Enrolment.partner_id == partner.id))


# --- pricing -------------------------------------------------------------------


def test_price_is_the_general_value_when_assigned_to_all(factory, partner):
    assert pricing.price_for(factory.course(value=7, assign_to_all=True), partner) == 7


def test_chosen_partners_pay_their_custom_value_or_the_general_one(factory, partner):
    other = factory.partner()
    course = factory.course(value=10, assign_to_all=False, partners={partner: 4, other: None})
    assert pricing.price_for(course, partner) == 4
    assert pricing.price_for(course, other) == 10
    assert pricing.price_for(course, factory.partner()) is None


def test_catalog_lists_only_courses_shared_with_the_partner(factory, partner):
    shared = factory.course(title="Shared to all", value=3)
    chosen = factory.course(title="Chosen", value=9, assign_to_all=False, partners={partner: None})
    hidden = factory.course(title="Someone else's", assign_to_all=False, partners={factory.partner(): 1})
    listed = dict((c.title, price) for c, price in pricing.catalog_for(partner))
    assert listed["Shared to all"] == 3 and listed["Chosen"] == 9
    assert hidden.title not in listed
    _ = shared, chosen


# --- the service ---------------------------------------------------------------


def test_enrolment_debits_the_price_and_links_the_entry(db, factory, partner, admin_of):
    admin = admin_of(partner)
    student = factory.student(partner)
    course = factory.course(value=10)
    enrolment = svc.enrol_student(admin, partner, student, course)
    assert (enrolment.status, enrolment.credits_charged, enrolment.user_id) == ("active", 10, student.id)
    debit = db.session.execute(sa.select(WalletEntry).where(WalletEntry.enrolment_id == enrolment.id)).scalar_one()
    assert (debit.kind, debit.amount, debit.balance_after, debit.actor_id) == ("enrolment_debit", -10, 15, admin.id)
    assert balance(db, partner) == 15


def test_insufficient_credits_enrols_nobody_and_debits_nothing(db, factory, partner, admin_of):
    admin = admin_of(partner)
    course = factory.course(value=26)
    commit()
    with pytest.raises(InsufficientCredits) as refused:
        svc.enrol_student(admin, partner, factory.student(partner), course)
    assert (refused.value.needed, refused.value.available, refused.value.missing) == (26, 25, 1)
    db.session.rollback()
    assert enrolment_count(db, partner) == 0
    assert balance(db, partner) == 25


def test_enrolling_the_same_student_twice_is_refused_without_a_second_debit(db, factory, partner, admin_of):
    admin = admin_of(partner)
    student, course = factory.student(partner), factory.course(value=10)
    svc.enrol_student(admin, partner, student, course)
    with pytest.raises(svc.AlreadyEnrolled):
        svc.enrol_student(admin, partner, student, course)
    assert balance(db, partner) == 15
    assert enrolment_count(db, partner) == 1


def test_a_course_not_shared_with_the_partner_is_refused(db, factory, partner, admin_of):
    course = factory.course(assign_to_all=False, partners={factory.partner(): None})
    with pytest.raises(pricing.CourseNotShared):
        svc.enrol_student(admin_of(partner), partner, factory.student(partner), course)
    assert balance(db, partner) == 25


def test_another_partners_student_is_refused(db, factory, partner, admin_of):
    stranger = factory.student(factory.partner())
    with pytest.raises(svc.NotYourStudent):
        svc.enrol_student(admin_of(partner), partner, stranger, factory.course())
    assert balance(db, partner) == 25


def test_free_course_enrols_without_an_entry(db, factory, partner, admin_of):
    enrolment = svc.enrol_student(admin_of(partner), partner, factory.student(partner), factory.course(value=0))
    assert enrolment.credits_charged == 0
    assert db.session.scalar(sa.select(sa.func.count()).where(WalletEntry.enrolment_id == enrolment.id)) == 0


def test_cancel_refunds_with_an_entry_that_references_the_debit(db, factory, partner, admin_of):
    admin = admin_of(partner)
    enrolment = svc.enrol_student(admin, partner, factory.student(partner), factory.course(value=10))
    refund = svc.cancel_enrolment(admin, partner, enrolment)
    debit = db.session.execute(
        sa.select(WalletEntry).where(WalletEntry.enrolment_id == enrolment.id, WalletEntry.kind == "enrolment_debit")
    ).scalar_one()
    assert (refund.kind, refund.amount, refund.reverses_entry_id) == ("enrolment_refund", 10, debit.id)
    assert enrolment.status == "cancelled"
    assert balance(db, partner) == 25


def test_cancel_without_refund_when_the_platform_says_so(db, factory, partner, admin_of):
    platform_settings.settings().refund_on_cancel = False
    admin = admin_of(partner)
    enrolment = svc.enrol_student(admin, partner, factory.student(partner), factory.course(value=10))
    assert svc.cancel_enrolment(admin, partner, enrolment) is None
    assert balance(db, partner) == 15


def test_a_cancelled_student_can_be_enrolled_and_charged_again(db, factory, partner, admin_of):
    admin = admin_of(partner)
    student, course = factory.student(partner), factory.course(value=10)
    svc.cancel_enrolment(admin, partner, svc.enrol_student(admin, partner, student, course))
    again = svc.enrol_student(admin, partner, student, course)
    assert again.status == "active"
    assert balance(db, partner) == 15


def test_low_balance_warning_once_per_crossing(db, factory, admin_of):
    partner = factory.partner(credits=30, low_balance_threshold=15)
    admin = admin_of(partner)
    course = factory.course(value=10)

    def warnings():
        return db.session.scalar(sa.select(sa.func.count()).where(
            EmailMessage.template == "low_balance", EmailMessage.recipient == admin.email))

    svc.enrol_student(admin, partner, factory.student(partner), course)  # 30 -> 20
    assert warnings() == 0
    svc.enrol_student(admin, partner, factory.student(partner), course)  # 20 -> 10: crosses
    assert warnings() == 1
    svc.enrol_student(admin, partner, factory.student(partner), course)  # 10 -> 0: already below
    assert warnings() == 1
    wallets.recharge(wallets.wallet_of(partner), 30, actor=factory.platform_admin())  # back to 30
    svc.enrol_student(admin, partner, factory.student(partner), course)  # 30 -> 20
    svc.enrol_student(admin, partner, factory.student(partner), course)  # 20 -> 10: crosses again
    assert warnings() == 2


def test_insufficient_credit_alert_goes_to_platform_and_partner_admins_once_an_hour(db, factory, admin_of):
    partner = factory.partner(credits=0)
    admin = admin_of(partner)
    platform_admin = factory.platform_admin()
    course = factory.course(value=5)
    error = InsufficientCredits(needed=5, available=0)
    assert credit_alerts.notify_insufficient_credits(partner, course, error) is True
    assert credit_alerts.notify_insufficient_credits(partner, course, error) is False
    recipients = db.session.execute(
        sa.select(EmailMessage.recipient).where(EmailMessage.template == "insufficient_credits")
    ).scalars().all()
    assert sorted(recipients) == sorted([admin.email] + [
        u.email for u in db.session.execute(sa.select(type(platform_admin)).where(
            type(platform_admin).role == "platform_admin")).scalars()])


# --- the pages -------------------------------------------------------------------


@pytest.fixture
def partner_admin(login_as, partner):
    return login_as(Role.PARTNER_ADMIN, partner=partner)


def post_enrol(client, student, course, htmx=True):
    token = csrf_token(client, "/partner/enrolments")
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post("/partner/enrolments", headers=headers,
                       data={"student_id": student.id, "course_id": course.id, "csrf_token": token})


def test_enrol_page_lists_students_and_priced_courses(client, factory, partner, partner_admin):
    factory.student(partner, email="anna@example.com")
    factory.course(title="Fire Safety", value=12)
    html = client.get("/partner/enrolments").get_data(as_text=True)
    assert "anna@example.com" in html and "Fire Safety — 12 cr" in html


def test_enrol_by_htmx_updates_the_balance_in_place(db, client, factory, partner, partner_admin):
    student, course = factory.student(partner), factory.course(value=10)
    response = post_enrol(client, student, course)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="wallet-balance" class="balance" hx-swap-oob="true">15<' in html
    assert response.headers["HX-Trigger"] == "aula:enrolments-changed"
    assert "credits charged" in html  # the toast
    assert balance(db, partner) == 15


def test_enrol_without_javascript_redirects_to_the_list(db, client, factory, partner, partner_admin):
    student, course = factory.student(partner), factory.course(value=10)
    response = post_enrol(client, student, course, htmx=False)
    assert response.status_code == 302
    page = client.get("/partner/enrolments").get_data(as_text=True)
    assert student.email in page and course.title in page


def test_refusal_for_credits_is_shown_in_place_with_the_numbers(db, client, factory, partner, partner_admin):
    student, course = factory.student(partner), factory.course(value=40)
    response = post_enrol(client, student, course)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Not enough credits" in html
    assert "Price of this enrolment: 40 credits" in html
    assert "Available: 25 credits" in html and "Missing: 15 credits" in html
    assert "have been told" in html
    assert enrolment_count(db, partner) == 0 and balance(db, partner) == 25
    alerts = db.session.scalar(sa.select(sa.func.count()).where(EmailMessage.template == "insufficient_credits"))
    assert alerts >= 2  # the partner admin and at least one platform admin
    again = post_enrol(client, student, course).get_data(as_text=True)
    assert "already told within the last hour" in again
    assert db.session.scalar(
        sa.select(sa.func.count()).where(EmailMessage.template == "insufficient_credits")) == alerts


def test_second_enrolment_is_refused_with_its_own_message(db, client, factory, partner, partner_admin):
    student, course = factory.student(partner), factory.course(value=10)
    post_enrol(client, student, course)
    response = post_enrol(client, student, course)
    assert response.status_code == 422
    assert "is already enrolled in" in response.get_data(as_text=True)
    assert balance(db, partner) == 15


def test_unknown_or_foreign_ids_are_refused_without_a_500(db, client, factory, partner, partner_admin):
    token = csrf_token(client, "/partner/enrolments")
    foreign_student = factory.student(factory.partner())
    for data in [
        {"student_id": "abc", "course_id": "1"},
        {"student_id": foreign_student.id, "course_id": factory.course().id},
        {"student_id": "", "course_id": ""},
    ]:
        response = client.post("/partner/enrolments", data={**data, "csrf_token": token})
        assert response.status_code == 422
    assert balance(db, partner) == 25


def test_cancel_from_the_list_refunds_and_updates_the_balance(db, client, factory, partner, partner_admin):
    student, course = factory.student(partner), factory.course(value=10)
    post_enrol(client, student, course)
    enrolment = db.session.execute(sa.select(Enrolment).where(Enrolment.user_id == student.id)).scalar_one()
    token = csrf_token(client, "/partner/enrolments")
    response = client.post(f"/partner/enrolments/{enrolment.id}/cancel",
                           data={"csrf_token": token}, headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Cancelled" in html and ">25<" in html and "10 credits refunded" in html
    assert balance(db, partner) == 25


def test_another_partners_enrolment_cannot_be_cancelled(db, client, factory, partner, partner_admin):
    other = factory.partner(credits=10)
    enrolment = svc.enrol_student(factory.user(Role.PARTNER_ADMIN, partner=other), other,
                                  factory.student(other), factory.course(value=10))
    commit()
    token = csrf_token(client, "/partner/enrolments")
    response = client.post(f"/partner/enrolments/{enrolment.id}/cancel", data={"csrf_token": token})
    assert response.status_code == 404
    db.session.refresh(enrolment)
    assert enrolment.status == "active"


def test_a_deactivated_student_is_not_enrolled_or_charged(db, factory):
    partner = factory.partner(credits=20)
    admin = factory.user(Role.PARTNER_ADMIN, partner=partner)
    student = factory.student(partner)
    student.is_active_account = False
    with pytest.raises(enrol_svc.InactiveStudent):
        enrol_svc.enrol_student(admin, partner, student, factory.course(value=5))
    assert wallets.wallet_of(partner).balance == 20
