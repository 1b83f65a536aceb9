"""Course pricing for partners, and the platform settings page."""

import re

import pytest
import sqlalchemy as sa

from app.models import AuditEvent, Course, CoursePartner, Role
from app.services.catalog.pricing import PricingRefused, set_course_pricing
from app.services.catalog import pricing
from app.services.tenancy import settings as platform_settings
from tests.conftest import csrf_token


@pytest.fixture
def admin(login_as):
    return login_as(Role.PLATFORM_ADMIN)


def pays(html, partner):
    """The 'pays now' cell of a partner on the pricing page."""
    row = re.search(rf'<tr id="price-{partner.id}">(.*?)</tr>', html, re.S).group(1)
    cell = re.search(r"data-effective>(.*?)</td>", row, re.S).group(1)
    return re.sub(r"<[^>]+>", "", cell).strip()


def control(html, field_id):
    return re.search(rf'<input[^>]*id="{field_id}"[^>]*>', html).group(0)


def pricing_data(token, value, assign_to_all=False, **partners):
    data = {"csrf_token": token, "value_per_enrolment": value}
    if assign_to_all:
        data["assign_to_all"] = "y"
    for key, value in partners.items():
        data[key] = value
    return data


def test_course_list_shows_value_and_who_can_enrol(client, factory, admin):
    owner = factory.partner(name="Owner WL", kind="whitelabel", domain="owner.example.com")
    chosen = factory.partner()
    factory.course(title="For Everyone", value=10, assign_to_all=True)
    factory.course(title="For Some", value=7, assign_to_all=False, partners={chosen: None})
    factory.course(title="Owned One", value=0, assign_to_all=False, owner_partner_id=owner.id)

    html = client.get("/platform/courses").get_data(as_text=True)

    assert re.search(r"For Everyone</th>\s*<td class=\"num\">10</td>\s*<td>All partners", html)
    assert re.search(r"For Some</th>\s*<td class=\"num\">7</td>\s*<td>1 chosen partner<", html)
    assert "Own course of Owner WL" in html


def test_pricing_page_shows_what_each_partner_pays(client, factory, admin):
    cheap = factory.partner(name="Cheap")
    plain = factory.partner(name="Plain")
    outside = factory.partner(name="Outside")
    course = factory.course(value=10, assign_to_all=False, partners={cheap: 4, plain: None})

    html = client.get(f"/platform/courses/{course.id}/pricing").get_data(as_text=True)

    assert (pays(html, cheap), pays(html, plain), pays(html, outside)) == (
        "4 credits", "10 credits", "not available")
    assert "checked" in control(html, f"share_{cheap.id}")
    assert "checked" not in control(html, f"share_{outside.id}")
    assert 'value="4"' in control(html, f"custom_{cheap.id}")


def test_saving_a_chosen_list_with_custom_values(client, db, factory, admin):
    a = factory.partner(name="A")
    b = factory.partner(name="B")
    c = factory.partner(name="C")
    course = factory.course(value=10, assign_to_all=True)
    path = f"/platform/courses/{course.id}/pricing"

    response = client.post(path, data=pricing_data(
        csrf_token(client, path), "12", **{f"share_{a.id}": "y", f"custom_{a.id}": "3",
                                            f"share_{b.id}": "y", f"custom_{b.id}": ""}))

    assert response.status_code == 302 and response.headers["Location"] == path
    db.session.expire_all()
    assert (course.value_per_enrolment, course.assign_to_all_partners) == (12, False)
    assert (pricing.price_for(course, a), pricing.price_for(course, b),
            pricing.price_for(course, c)) == (3, 12, None)
    html = client.get(path).get_data(as_text=True)
    assert "Pricing of" in html and "saved" in html
    assert (pays(html, a), pays(html, b), pays(html, c)) == ("3 credits", "12 credits", "not available")
    # The partner's catalog follows.
    assert course.id not in [shared.id for shared, _ in pricing.catalog_for(c)]
    event = db.session.execute(sa.select(AuditEvent).where(
        AuditEvent.action == "course.pricing_changed", AuditEvent.object_id == course.id)).scalar_one()
    assert event.details["after"] == {"value": 12, "assign_to_all": False,
                                      "partners": {str(a.id): 3, str(b.id): None}}


def test_assign_to_all_makes_everyone_pay_the_general_value(client, db, factory, admin):
    a = factory.partner(name="A")
    z = factory.partner(name="Z")
    course = factory.course(value=10, assign_to_all=False, partners={a: 2})
    path = f"/platform/courses/{course.id}/pricing"

    client.post(path, data=pricing_data(csrf_token(client, path), "9", assign_to_all=True,
                                        **{f"share_{a.id}": "y", f"custom_{a.id}": "2"}))

    db.session.expire_all()
    assert (pricing.price_for(course, a), pricing.price_for(course, z)) == (9, 9)
    html = client.get(path).get_data(as_text=True)
    assert (pays(html, a), pays(html, z)) == ("9 credits", "9 credits")


def test_unticking_a_partner_removes_it(client, db, factory, admin):
    a = factory.partner()
    course = factory.course(value=5, assign_to_all=False, partners={a: 1})
    path = f"/platform/courses/{course.id}/pricing"
    client.post(path, data=pricing_data(csrf_token(client, path), "5"))
    assert db.session.get(CoursePartner, (course.id, a.id)) is None
    assert pricing.price_for(course, a) is None


@pytest.mark.parametrize("value, extra, message", [
    ("-1", {}, "Enter a whole number, 0 or more."),
    ("ten", {}, "Enter a whole number, e.g. 25."),
    ("", {}, "This field is required."),
    ("5", {"custom": "-2", "share": "y"}, "Enter a whole number, 0 or more."),
    ("5", {"custom": "3"}, "Tick the partner to give it a custom value."),
])
def test_bad_pricing_is_refused_and_changes_nothing(client, db, factory, admin, value, extra, message):
    a = factory.partner()
    course = factory.course(value=10, assign_to_all=True)
    path = f"/platform/courses/{course.id}/pricing"
    data = pricing_data(csrf_token(client, path), value)
    if "custom" in extra:
        data[f"custom_{a.id}"] = extra["custom"]
    if "share" in extra:
        data[f"share_{a.id}"] = extra["share"]

    response = client.post(path, data=data)

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert (course.value_per_enrolment, course.assign_to_all_partners, course.partner_prices) == (10, True, [])


def test_a_whitelabel_partners_own_course_is_read_only_here(client, db, factory, admin):
    owner = factory.partner(name="Owner WL", kind="whitelabel", domain="own.example.com")
    other = factory.partner(name="Someone")
    course = factory.course(value=0, assign_to_all=False, owner_partner_id=owner.id)
    path = f"/platform/courses/{course.id}/pricing"

    html = client.get(path).get_data(as_text=True)
    assert "Own course of Owner WL" in html and "Save pricing" not in html
    assert (pays(html, owner), pays(html, other)) == ("0 credits", "not available")

    refused = client.post(path, data=pricing_data(csrf_token(client, "/platform/courses"), "50", assign_to_all=True))
    assert refused.status_code == 422
    db.session.expire_all()
    assert (course.value_per_enrolment, course.assign_to_all_partners) == (0, False)
    with pytest.raises(PricingRefused):
        set_course_pricing(None, course, 50, True, {})


def test_unknown_course_is_404(client, admin):
    assert client.get("/platform/courses/999999/pricing").status_code == 404


# --- settings -----------------------------------------------------------------------


def test_settings_save_the_default_threshold_and_the_refund_rule(client, db, admin):
    page = client.get("/platform/settings").get_data(as_text=True)
    assert "Default low-balance threshold" in page

    response = client.post("/platform/settings", data={
        "csrf_token": csrf_token(client, "/platform/settings"), "low_balance_threshold": "35"})

    assert response.status_code == 302
    db.session.expire_all()
    row = platform_settings.settings()
    assert (row.low_balance_threshold, row.refund_on_cancel) == (35, False)
    assert "Settings saved." in client.get("/platform/settings").get_data(as_text=True)
    assert db.session.execute(sa.select(AuditEvent).where(AuditEvent.action == "settings.updated")).scalar_one()


def test_the_default_threshold_applies_to_partners_without_their_own(client, db, factory, admin):
    inherits = factory.partner()
    own = factory.partner(low_balance_threshold=3)
    client.post("/platform/settings", data={
        "csrf_token": csrf_token(client, "/platform/settings"), "low_balance_threshold": "40",
        "refund_on_cancel": "y"})
    db.session.expire_all()
    assert platform_settings.low_balance_threshold(inherits) == 40
    assert platform_settings.low_balance_threshold(own) == 3
    assert platform_settings.settings().refund_on_cancel is True


@pytest.mark.parametrize("value", ["-1", "abc", ""])
def test_bad_settings_are_refused(client, db, admin, value):
    before = platform_settings.settings().low_balance_threshold
    response = client.post("/platform/settings", data={
        "csrf_token": csrf_token(client, "/platform/settings"), "low_balance_threshold": value})
    assert response.status_code == 422
    db.session.expire_all()
    assert platform_settings.settings().low_balance_threshold == before


def test_course_and_settings_pages_are_for_platform_admins(client, factory, login_as):
    course = factory.course()
    login_as(Role.PARTNER_ADMIN)
    assert client.get(f"/platform/courses/{course.id}/pricing").status_code == 403
    token = csrf_token(client, "/partner/")
    assert client.post(f"/platform/courses/{course.id}/pricing",
                       data={"csrf_token": token, "value_per_enrolment": "0"}).status_code == 403
    assert client.post("/platform/settings", data={"csrf_token": token, "low_balance_threshold": "0"}).status_code == 403
    assert db_value(course) == 10


def db_value(course):
    from app.extensions import db

    db.session.expire_all()
    return db.session.get(Course, course.id).value_per_enrolment
