"""The CRM pages: only the platform admin, contacts searchable and paginated at a constant cost, the card's tabs,
plan change and edit order through the forms (refused in place), and the student's page changing at once."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.models import Company, Grant, GrantOverride, LessonProgress, Offer, Role
from app.services import access
from app.services.crm import card
from tests.conftest import csrf_token, login

HX = {"HX-Request": "true"}


@pytest.fixture
def admin(factory, login_as):
    return login_as(user=factory.platform_admin())


def _named(factory, name, partner=None, **kwargs):
    user = factory.student(partner or factory.partner(), **kwargs)
    user.name = name
    factory.db.session.flush()
    return user


@pytest.fixture
def student(factory):
    return _named(factory, "Marta Rossi")


@pytest.fixture
def weekly(factory, student):
    """The student on a weekly offer of a four-lesson course, started today; the product has a second offer."""
    from app.models import Lesson

    course = factory.course(title="Negotiation")
    factory.db.session.add(Lesson(course_id=course.id, position=4, title="Lesson 4"))
    factory.db.session.flush()
    factory.db.session.expire(course, ["lessons"])
    product, offer = factory.product(course, name="Negotiation Pro", release_delays=[0, 7, 14, 21])
    other = Offer(product_id=product.id, name="Everything", price_cents=0)
    factory.db.session.add(other)
    factory.db.session.flush()
    grant = factory.grant(student, product, offer)
    return grant, other


def _urls(student, grant):
    base = f"/platform/crm/contacts/{student.id}"
    return [("GET", "/platform/crm"), ("GET", base), ("GET", base + "/timeline"), ("GET", base + "/details"),
            ("GET", base + "/products/new"), ("POST", base + "/products/new"),
            ("GET", f"{base}/grants/{grant.id}/edit"), ("POST", f"{base}/grants/{grant.id}/edit"),
            ("POST", f"{base}/grants/{grant.id}/preview"), ("GET", f"{base}/grants/{grant.id}/remove"),
            ("POST", f"{base}/grants/{grant.id}/remove")]


@pytest.mark.parametrize("role", [Role.PARTNER_ADMIN, Role.RESELLER, Role.CUSTOMER, Role.STUDENT])
def test_only_the_platform_admin_reaches_the_crm(client, login_as, student, weekly, role):
    login_as(role)
    token = csrf_token(client)
    for method, url in _urls(student, weekly[0]):
        data = {"csrf_token": token} if method == "POST" else None
        assert client.open(url, method=method, data=data).status_code == 403, url


def test_unknown_contacts_and_other_contacts_grants_are_404(client, db, factory, admin, student, weekly):
    grant, _ = weekly
    someone = factory.student(factory.partner())
    other_grant = factory.grant(someone, grant.product, grant.offer)
    assert client.get("/platform/crm/contacts/999999").status_code == 404
    assert client.get(f"/platform/crm/contacts/{admin.id}").status_code == 404  # never held an access
    assert client.get(f"/platform/crm/contacts/{student.id}/grants/{other_grant.id}/edit").status_code == 404
    assert client.get(f"/platform/crm/contacts/{student.id}/grants/99999999/remove").status_code == 404
    assert client.get("/platform/crm/contacts/99999999999999").status_code == 404


# --- contacts ---------------------------------------------------------------------------------


def test_every_user_who_holds_or_held_an_access_is_a_contact(client, db, factory, admin, student, weekly):
    partner = factory.partner(credits=50)
    paid = _named(factory, "Paolo Paid", partner)
    from app.services.enrolment import enrol as enrol_svc
    enrol_svc.enrol_student(admin, partner, paid, factory.course())
    removed = _named(factory, "Rita Removed")
    access.revoke_grant(None, factory.grant(removed, weekly[0].product, weekly[0].offer))
    _named(factory, "Nora Nothing")
    html = client.get("/platform/crm").get_data(as_text=True)
    assert "Marta Rossi" in html and "Paolo Paid" in html and "Rita Removed" in html
    assert "Nora Nothing" not in html


@pytest.mark.parametrize("q", ["marta", "ROSSI", "@example", "acme", "negotiation pro"])
def test_contacts_are_found_by_name_email_company_or_product(client, db, factory, admin, student, weekly, q):
    company = Company(name="Acme Logistics", partner_id=student.partner_id)
    db.session.add(company)
    db.session.flush()
    student.company_id = company.id
    other = _named(factory, "Zeno Other", email="zeno@other.test")
    factory.grant(other, *factory.product(name="Unrelated"))
    html = client.get(f"/platform/crm?q={q}").get_data(as_text=True)
    assert "Marta Rossi" in html
    assert "Zeno Other" not in html


def test_a_search_with_wildcards_matches_them_literally(client, db, factory, admin, student, weekly):
    assert "Marta Rossi" not in client.get("/platform/crm?q=%25").get_data(as_text=True)


def test_the_search_answers_htmx_with_the_rows_only(client, db, admin, student, weekly):
    response = client.get("/platform/crm?q=marta", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="contact-rows"' in html and "<html" not in html


@pytest.mark.parametrize("page_size", [10, 40])
def test_a_page_of_contacts_costs_the_same_queries_whatever_its_size(client, db, factory, admin, monkeypatch, count_queries,
                                                                    page_size):
    from app.blueprints.platform import crm as crm_views

    partner = factory.partner(credits=500)
    course = factory.course()
    from app.services.enrolment import enrol as enrol_svc
    for n in range(45):
        user = _named(factory, f"Contact {n:02d}", partner)
        product, offer = factory.product(factory.course())
        factory.grant(user, product, offer)
        if n % 3 == 0:
            enrol_svc.enrol_student(admin, partner, user, course)
    db.session.commit()  # the set-up's own writes are not the page's queries
    counts = {}
    for size in (5, page_size):
        monkeypatch.setattr(crm_views, "PAGE_SIZE", size)
        with count_queries() as counted:
            html = client.get("/platform/crm").get_data(as_text=True)
        counts[size] = counted.count
        assert html.count('<tr id="contact-') == size
    assert counts[5] == counts[page_size]


def test_the_contact_list_is_paginated(client, db, factory, admin, monkeypatch):
    from app.blueprints.platform import crm as crm_views

    monkeypatch.setattr(crm_views, "PAGE_SIZE", 2)
    for n in range(3):
        factory.grant(_named(factory, f"Page Person {n}"), *factory.product())
    first = client.get("/platform/crm?q=page+person").get_data(as_text=True)
    second = client.get("/platform/crm?q=page+person&page=2").get_data(as_text=True)
    assert "Page Person 0" in first and "Page Person 2" not in first
    assert "Page Person 2" in second and "Page 2 of 2" in second


# --- the card -------------------------------------------------------------------------------


def test_the_products_tab_lists_each_grant_with_source_start_status_and_progress(client, db, factory, admin,
                                                                                student, weekly):
    grant, _ = weekly
    enrolment = grant.enrolments[0]
    db.session.add(LessonProgress(enrolment_id=enrolment.id, lesson_id=enrolment.course.lessons[0].id))
    html = client.get(f"/platform/crm/contacts/{student.id}").get_data(as_text=True)
    row = html[html.index(f'id="grant-{grant.id}"'):]
    assert "Negotiation Pro" in row and "Manual" in row and "Active" in row and "1 of 4 lessons" in row


def test_a_partners_paid_enrolment_without_a_grant_shows_on_the_products_tab(client, db, factory, admin):
    from app.services.enrolment import enrol as enrol_svc

    partner = factory.partner(name="Paying Partner", credits=50)
    paid = factory.student(partner)
    enrolment = enrol_svc.enrol_student(admin, partner, paid, factory.course(title="Forklift"))
    html = client.get(f"/platform/crm/contacts/{paid.id}").get_data(as_text=True)
    assert f'id="enrolment-{enrolment.id}"' in html and "Forklift" in html and "Paying Partner" in html


@pytest.mark.parametrize("tab, marker", [("", 'id="grants"'), ("/timeline", 'id="timeline"'),
                                         ("/details", "Marta Rossi")])
def test_each_tab_is_a_page_and_an_htmx_fragment(client, db, admin, student, weekly, tab, marker):
    url = f"/platform/crm/contacts/{student.id}{tab}"
    page = client.get(url).get_data(as_text=True)
    fragment = client.get(url, headers=HX).get_data(as_text=True)
    assert "<html" in page and marker in page
    assert "<html" not in fragment and fragment.lstrip().startswith('<div id="contact-tab">') and marker in fragment
    assert 'aria-current="page"' in fragment


def test_the_timeline_says_who_changed_what_when_and_why(client, db, factory, admin, student, weekly):
    grant, _ = weekly
    access.override_settings(admin, grant, {access.Field.REMOVE_DELAYS: True}, reason="asked by HR")
    access.revoke_grant(admin, grant, reason="left the company")
    html = client.get(f"/platform/crm/contacts/{student.id}/timeline").get_data(as_text=True)
    assert html.index("Access removed") < html.index("Settings changed") < html.index("Access given")
    assert "asked by HR" in html and "left the company" in html and admin.email in html
    assert "Remove all delays: yes" in html


def test_the_timeline_shows_a_change_to_the_offer_the_contact_inherits(client, db, factory, admin, student, weekly):
    from app.services.catalog import products

    grant, _ = weekly
    values = products.offer_values(grant.offer)
    values.lessons_available = 2
    products.update_offer(admin, grant.offer, values)
    html = client.get(f"/platform/crm/contacts/{student.id}/timeline").get_data(as_text=True)
    assert f"Offer {grant.offer.name} of Negotiation Pro changed" in html


# --- plan change -------------------------------------------------------------------------------


def _add_form(client, student):
    url = f"/platform/crm/contacts/{student.id}/products/new"
    html = client.get(url).get_data(as_text=True)
    import re
    key = re.search(r'name="key" type="hidden" value="([^"]+)"', html).group(1)
    return url, {"csrf_token": csrf_token(client, url), "key": key}


def test_the_product_dialog_works_without_javascript_as_a_page(client, db, admin, student, weekly):
    html = client.get(f"/platform/crm/contacts/{student.id}/products/new").get_data(as_text=True)
    assert "<html" in html and "Keep the current one" in html and "Start today" in html
    assert "Negotiation Pro" in html and "<optgroup" in html  # every offer, by product


def test_choosing_a_product_says_which_start_date_applies(client, db, admin, student, weekly):
    grant, _ = weekly
    url = f"/platform/crm/contacts/{student.id}/products/new?product={grant.product_id}"
    html = client.get(url, headers=HX).get_data(as_text=True)
    assert "the start date of the current access to these courses" in html
    assert "Everything" in html and "<optgroup" not in html


def test_a_plan_change_through_the_dialog_keeps_progress(client, db, factory, admin, student, weekly):
    grant, everything = weekly
    enrolment = grant.enrolments[0]
    db.session.add(LessonProgress(enrolment_id=enrolment.id, lesson_id=enrolment.course.lessons[0].id))
    url, form = _add_form(client, student)
    response = client.post(url, data={**form, "product": grant.product_id, "offer": everything.id,
                                      "start": "keep", "reason": "upgrade"}, headers=HX)
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "aula:close-dialog"
    assert response.headers["HX-Retarget"] == "#contact-tab"
    new = db.session.execute(sa.select(Grant).where(Grant.offer_id == everything.id)).scalar_one()
    assert new.start_date == grant.start_date

    remove = f"/platform/crm/contacts/{student.id}/grants/{grant.id}/remove"
    response = client.post(remove, data={"csrf_token": csrf_token(client, remove), "reason": "plan change"})
    assert response.status_code == 302
    db.session.refresh(grant)
    assert grant.status == "revoked" and enrolment.status == "active"
    states = [i.state for i in access.lesson_states(enrolment)]
    assert states == [access.State.DONE] + [access.State.OPEN] * 3


def test_an_offer_of_another_product_is_refused_in_the_dialog(client, db, factory, admin, student, weekly):
    grant, _ = weekly
    _, foreign = factory.product()
    url, form = _add_form(client, student)
    response = client.post(url, data={**form, "product": grant.product_id, "offer": foreign.id, "start": "today",
                                      "reason": "oops"}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "This offer belongs to another product." in html
    assert "<html" not in html and 'id="crm-dialog-title"' in html
    assert len(card.accesses_of(student).grants) == 1


def test_the_removal_dialog_says_what_ends_and_that_progress_is_kept(client, db, admin, student, weekly):
    grant, _ = weekly
    html = client.get(f"/platform/crm/contacts/{student.id}/grants/{grant.id}/remove", headers=HX).get_data(
        as_text=True)
    assert "Negotiation" in html and "Lessons done are kept" in html and "<html" not in html


def test_removing_needs_a_reason(client, db, admin, student, weekly):
    grant, _ = weekly
    url = f"/platform/crm/contacts/{student.id}/grants/{grant.id}/remove"
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "reason": " "})
    assert response.status_code == 422 and "Say why." in response.get_data(as_text=True)
    db.session.refresh(grant)
    assert grant.is_active


# --- edit order --------------------------------------------------------------------------------


def _order_form(client, student, grant, **changes):
    url = f"/platform/crm/contacts/{student.id}/grants/{grant.id}/edit"
    data = {"csrf_token": csrf_token(client, url), "offer": grant.offer_id, "lessons_available": "",
            "review_method": grant.offer.review_method, "reason": "test"}
    for position, delay in enumerate([0, 7, 14, 21], start=1):
        data[f"lesson_release:{position}"] = delay
    data.update(changes)
    return url, data


def _overrides(db, grant):
    return db.session.execute(sa.select(GrantOverride).where(GrantOverride.grant_id == grant.id)).scalars().all()


def test_the_order_dialog_shows_each_setting_inherited_or_overridden(client, db, admin, student, weekly):
    grant, _ = weekly
    access.override_settings(admin, grant, {access.Field.LESSONS_AVAILABLE: 3}, reason="short trial")
    html = client.get(f"/platform/crm/contacts/{student.id}/grants/{grant.id}/edit", headers=HX).get_data(
        as_text=True)
    row = html[html.index('data-field="lessons_available"'):html.index('data-field="lesson_release:1"')]
    assert "Overridden" in row and "short trial" in row and 'value="lessons_available"' in row
    row = html[html.index('data-field="lesson_release:2"'):html.index('data-field="lesson_release:3"')]
    assert "Inherited" in row and 'value="7"' in row
    assert 'id="order-preview"' in html


def test_the_order_dialog_of_an_access_a_newer_one_decides_says_so_and_links_it(client, db, factory, admin, student,
                                                                                 weekly):
    grant, _ = weekly
    newer = factory.grant(student, grant.product, grant.offer, key="newer")  # the same courses, a newer way in
    url = f"/platform/crm/contacts/{student.id}/grants/{{}}/edit"
    html = client.get(url.format(grant.id), headers=HX).get_data(as_text=True)
    warning = html[html.index('id="order-not-deciding"'):]
    assert "its settings decide what they see now" in warning and url.format(newer.id) in warning
    assert 'id="order-not-deciding"' not in client.get(url.format(newer.id), headers=HX).get_data(as_text=True)


def test_saving_the_order_writes_only_what_differs_and_the_student_sees_it_at_once(
        client, other_client, db, factory, admin, student, weekly):
    grant, _ = weekly
    url, data = _order_form(client, student, grant, remove_delays="y", reason="binge")
    assert client.post(url, data=data).status_code == 302
    assert [(row.field, row.value, row.reason, row.actor_id) for row in _overrides(db, grant)] == [
        ("remove_delays", True, "binge", admin.id)]
    login(other_client, student.email)
    html = other_client.get(f"/member/courses/{grant.enrolments[0].id}").get_data(as_text=True)
    assert html.count('data-state="open"') == 4


@pytest.mark.parametrize("changes, words", [
    ({"lesson_release:2": "-3"}, "a delay cannot be negative"),
    ({"lessons_available": "9"}, "Only 4 lessons exist"),
    ({"lesson_release:3": "5"}, "each lesson opens on or after the one before"),
    ({"reason": ""}, "Say why the settings change."),
])
def test_bad_order_input_is_refused_in_place_and_nothing_is_written(client, db, admin, student, weekly, changes,
                                                                   words):
    grant, _ = weekly
    url, data = _order_form(client, student, grant, remove_delays="y", **changes)
    response = client.post(url, data=data, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and words in html and 'id="order-editor"' in html
    assert _overrides(db, grant) == []


def test_fixed_dates_out_of_order_or_before_the_start_are_refused_in_place(client, db, factory, admin, student):
    course = factory.course()
    today = access.today()
    days = [today + timedelta(days=n) for n in (0, 7, 14)]
    product, offer = factory.product(course, release_mode="dates", release_dates=[d.isoformat() for d in days])
    grant = factory.grant(student, product, offer)
    url = f"/platform/crm/contacts/{student.id}/grants/{grant.id}/edit"
    base = {"csrf_token": csrf_token(client, url), "offer": offer.id, "review_method": "automatic", "reason": "r"}
    releases = {f"lesson_release:{n}": d.isoformat() for n, d in enumerate(days, start=1)}
    out_of_order = client.post(url, data={**base, **releases, "lesson_release:3": days[0].isoformat()})
    assert out_of_order.status_code == 422 and "before lesson 2" in out_of_order.get_data(as_text=True)
    too_early = client.post(url, data={**base, **releases,
                                       "lesson_release:1": (today - timedelta(days=1)).isoformat()})
    assert too_early.status_code == 422 and "before the start date" in too_early.get_data(as_text=True)
    assert _overrides(db, grant) == []


def test_an_offer_of_another_product_is_refused_in_the_order(client, db, factory, admin, student, weekly):
    grant, _ = weekly
    _, foreign = factory.product()
    url, data = _order_form(client, student, grant, offer=foreign.id)
    response = client.post(url, data=data)
    assert response.status_code == 422 and "This offer belongs to another product." in response.get_data(
        as_text=True)
    db.session.refresh(grant)
    assert grant.offer_id != foreign.id


def test_a_reset_to_offer_from_the_dialog_brings_the_offer_back(client, db, admin, student, weekly):
    grant, _ = weekly
    access.override_settings(admin, grant, {access.Field.LESSONS_AVAILABLE: 2}, reason="trial")
    url, data = _order_form(client, student, grant, lessons_available="2", reset="lessons_available",
                            reason="trial over")
    assert client.post(url, data=data).status_code == 302
    assert access.effective_settings(grant).lessons_available is None
    assert _overrides(db, grant)[-1].inherit


def test_the_live_preview_shows_lessons_after_saving_and_writes_nothing(client, db, admin, student, weekly):
    grant, _ = weekly
    url, data = _order_form(client, student, grant, remove_delays="y")
    response = client.post(url.replace("/edit", "/preview"), data=data, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.count('data-after="open"') == 4 and html.count('data-now="scheduled"') == 3
    assert _overrides(db, grant) == []


def test_the_live_preview_answers_bad_input_in_place(client, db, admin, student, weekly):
    grant, _ = weekly
    url, data = _order_form(client, student, grant, **{"lesson_release:2": "-1"})
    response = client.post(url.replace("/edit", "/preview"), data=data, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "cannot be negative" in html
    assert "Lesson 2: a delay cannot be negative" in html and "opens: Lesson 2:" not in html  # named once


def test_the_preview_button_works_without_javascript(client, db, admin, student, weekly):
    grant, _ = weekly
    url, data = _order_form(client, student, grant, remove_delays="y", preview="1")
    response = client.post(url, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html and html.count('data-after="open"') == 4
    assert _overrides(db, grant) == []


def test_a_change_to_the_offer_reaches_every_student_but_not_what_one_overrides(
        client, other_client, db, factory, admin, student, weekly):
    grant, _ = weekly
    second = factory.student(factory.partner())
    plain = factory.grant(second, grant.product, grant.offer)
    url, data = _order_form(client, student, grant, lessons_available="2", reason="short plan")
    assert client.post(url, data=data).status_code == 302

    offer_url = f"/platform/products/{grant.product_id}/offers/{grant.offer_id}/edit"
    response = client.post(offer_url, data={"csrf_token": csrf_token(client, offer_url), "name": grant.offer.name,
                                            "price": "10", "release_mode": "delays", "release_delays": "",
                                            "lessons_available": "3", "review_method": "automatic"})
    assert response.status_code == 302
    for user, enrolment, expected in [(student, grant.enrolments[0], 2), (second, plain.enrolments[0], 3)]:
        login(other_client, user.email)
        html = other_client.get(f"/member/courses/{enrolment.id}").get_data(as_text=True)
        assert html.count('data-state="open"') == expected, user.email
