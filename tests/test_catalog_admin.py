"""The platform admin's catalog: courses, ordered lessons, products and offers, and bad input refused in place."""

import re
from datetime import date

import pytest
import sqlalchemy as sa

from app.models import Lesson, Offer, Product, Role
from app.services.catalog import lessons as lesson_svc
from app.services.catalog import products as product_svc
from tests.conftest import csrf_token


@pytest.fixture
def admin(login_as):
    return login_as(Role.PLATFORM_ADMIN)


def titles(db, course):
    return [tuple(row) for row in db.session.execute(
        sa.select(Lesson.position, Lesson.title).where(Lesson.course_id == course.id).order_by(Lesson.position))]


def test_an_admin_creates_a_course_and_adds_lessons(client, db, admin):
    token = csrf_token(client, "/platform/courses/new")
    response = client.post("/platform/courses/new", data={"csrf_token": token, "title": "Leadership",
                                                          "description": "For managers."})
    assert response.status_code == 302
    course_url = response.headers["Location"]
    course_id = int(course_url.rsplit("/", 1)[1])
    for title, extra in [("Welcome", {}), ("Video lesson", {"video_url": "https://video.example.com/1"}),
                         ("Quiz", {"has_homework": "y", "is_checkpoint": "y"})]:
        response = client.post(f"/platform/courses/{course_id}/lessons", headers={"HX-Request": "true"},
                               data={"csrf_token": token, "title": title, "body": f"{title} text", **extra})
        assert response.status_code == 200 and 'id="lessons"' in response.get_data(as_text=True)
    lessons = db.session.execute(sa.select(Lesson).where(Lesson.course_id == course_id)
                                 .order_by(Lesson.position)).scalars().all()
    assert [(l.position, l.title) for l in lessons] == [(1, "Welcome"), (2, "Video lesson"), (3, "Quiz")]
    assert lessons[1].video_url == "https://video.example.com/1"
    assert lessons[2].has_homework and lessons[2].is_checkpoint


def test_moving_a_lesson_with_htmx_returns_the_list_in_its_new_order(client, db, factory, admin):
    course = factory.course()
    token = csrf_token(client, f"/platform/courses/{course.id}")
    third = course.lessons[2]
    response = client.post(f"/platform/courses/{course.id}/lessons/{third.id}/move", headers={"HX-Request": "true"},
                           data={"csrf_token": token, "direction": "up"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.index("Lesson 3") < html.index("Lesson 2")
    assert titles(db, course) == [(1, "Lesson 1"), (2, "Lesson 3"), (3, "Lesson 2")]


def test_moving_without_javascript_redirects_back_to_the_course(client, db, factory, admin):
    course = factory.course()
    token = csrf_token(client, f"/platform/courses/{course.id}")
    response = client.post(f"/platform/courses/{course.id}/lessons/{course.lessons[0].id}/move",
                           data={"csrf_token": token, "direction": "down"})
    assert response.status_code == 302 and f"/platform/courses/{course.id}" in response.headers["Location"]


def test_deleting_a_lesson_closes_the_gap(client, db, factory, admin):
    course = factory.course()
    token = csrf_token(client, f"/platform/courses/{course.id}")
    response = client.post(f"/platform/courses/{course.id}/lessons/{course.lessons[0].id}/delete",
                           headers={"HX-Request": "true"}, data={"csrf_token": token})
    assert response.status_code == 200
    assert titles(db, course) == [(1, "Lesson 2"), (2, "Lesson 3")]


def test_platform_and_own_courses_share_one_lesson_ordering(db):
    from app.services.catalog import own_courses

    assert own_courses.OwnCourseInvalid is lesson_svc.CatalogInvalid
    assert "renumber" not in vars(own_courses) and "_renumber" not in vars(own_courses)


def test_positions_stay_unique_and_gap_free_after_many_moves(db, factory):
    course = factory.course()
    for n in range(4, 9):
        lesson_svc.add_lesson(None, course, f"Lesson {n}")
    for lesson_id, direction in [(course.lessons[0].id, "down")] * 5 + [(course.lessons[-1].id, "up")] * 3:
        lesson_svc.move_lesson(None, db.session.get(Lesson, lesson_id), direction)
    assert [p for p, _t in titles(db, course)] == list(range(1, 9))


def test_a_partners_own_course_is_not_edited_from_the_platform(client, db, factory, admin):
    owner = factory.partner(kind="whitelabel", domain="wl1.example.com")
    course = factory.course(owner_partner_id=owner.id, assign_to_all=False)
    assert client.get(f"/platform/courses/{course.id}").status_code == 404
    assert client.get(f"/platform/courses/{course.id}/edit").status_code == 404


def test_the_course_list_is_searchable_and_paginated_with_constant_queries(client, db, factory, admin, count_queries):
    for n in range(60):
        factory.course(title=f"Course {n:02d}")
    html = client.get("/platform/courses?q=course%2005").get_data(as_text=True)
    assert "Course 05" in html and "Course 06" not in html
    counts = []
    for page in (1, 2):
        with count_queries() as queries:
            assert client.get(f"/platform/courses?page={page}").status_code == 200
        counts.append(queries.count)
    assert counts[0] == counts[1]


@pytest.mark.parametrize("data, field, message", [
    ({"title": ""}, "title", "This field is required."),
    ({"title": "ok", "video_url": "javascript:alert(1)"}, "video_url", "starting with https://"),
])
def test_bad_lesson_input_is_refused_in_place(client, db, factory, admin, data, field, message):
    course = factory.course()
    token = csrf_token(client, f"/platform/courses/{course.id}")
    response = client.post(f"/platform/courses/{course.id}/lessons", data={"csrf_token": token, **data})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert len(titles(db, course)) == 3


# --- products and offers --------------------------------------------------------------------


def test_an_admin_builds_a_combo_product_with_two_offers(client, db, factory, admin):
    a, b = factory.course(title="Alpha"), factory.course(title="Beta")
    token = csrf_token(client, "/platform/products/new")
    response = client.post("/platform/products/new", data={"csrf_token": token, "name": "Alpha + Beta",
                                                           "course_ids": [str(a.id), str(b.id)]})
    assert response.status_code == 302
    product = db.session.execute(sa.select(Product).where(Product.name == "Alpha + Beta")).scalar_one()
    assert [c.title for c in product.courses] == ["Alpha", "Beta"]
    for name, extra in [("Drip", {"release_delays": "0, 7, 14", "checkpoints": "y", "review_method": "teacher"}),
                        ("Open", {"release_delays": ""})]:
        response = client.post(f"/platform/products/{product.id}/offers/new", data={
            "csrf_token": token, "name": name, "price": "149.50", "lessons_available": "", "release_mode": "delays",
            "release_dates": "", "review_method": "automatic", **extra})
        assert response.status_code == 302, response.get_data(as_text=True)
    drip, everything = db.session.execute(sa.select(Offer).where(Offer.product_id == product.id)
                                          .order_by(Offer.id)).scalars().all()
    assert (drip.price_cents, drip.release_delays, drip.checkpoints_enabled, drip.review_method) == (
        14950, [0, 7, 14], True, "teacher")
    assert everything.release_delays == [] and not everything.checkpoints_enabled
    page = client.get(f"/platform/products/{product.id}").get_data(as_text=True)
    assert "€149.50" in page


def _offer_post(client, product, token, headers=None, **changes):
    data = {"csrf_token": token, "name": "Plan", "price": "10", "lessons_available": "", "release_mode": "delays",
            "release_delays": "", "release_dates": "", "review_method": "automatic", **changes}
    return client.post(f"/platform/products/{product.id}/offers/new", data=data, headers=headers or {})


@pytest.mark.parametrize("changes, message", [
    ({"release_delays": "0, -3"}, "a delay cannot be negative"),
    ({"release_delays": "0, 7, 3"}, "each lesson opens on or after the one before it"),
    ({"lessons_available": "4"}, "Only 3 lessons exist"),
    ({"release_mode": "dates", "release_dates": "2026-05-01, 2026-04-01"}, "The dates are out of order"),
    ({"release_mode": "dates", "release_dates": "2026-02-30"}, "is not a date"),
    ({"price": "-1"}, "The amount cannot be negative."),
    ({"price": "ten"}, "“ten” is not an amount."),
    ({"price": "149,50"}, "Did you mean 149.50?"),
    ({"release_delays": "0, x"}, "is not a whole number of days"),
])
def test_bad_offer_input_is_refused_in_place(client, db, factory, admin, changes, message):
    product, _ = factory.product(factory.course())
    token = csrf_token(client, f"/platform/products/{product.id}/offers/new")
    response = _offer_post(client, product, token, **changes)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Offer.id)).where(Offer.product_id == product.id)) == 1


def test_an_offer_price_is_typed_with_the_readers_separators(client, db, factory, admin):
    product, _ = factory.product(factory.course())
    token = csrf_token(client, f"/platform/products/{product.id}/offers/new")
    response = _offer_post(client, product, token, name="Annuale", price="1.234,50",
                           headers={"Accept-Language": "it"})
    assert response.status_code == 302
    offer = db.session.execute(sa.select(Offer).where(Offer.name == "Annuale")).scalar_one()
    assert offer.price_cents == 123450
    form = client.get(f"/platform/products/{product.id}/offers/{offer.id}/edit",
                      headers={"Accept-Language": "it"}).get_data(as_text=True)
    assert 'value="1.234,50"' in form


def test_a_product_with_no_course_is_refused(client, db, admin):
    token = csrf_token(client, "/platform/products/new")
    response = client.post("/platform/products/new", data={"csrf_token": token, "name": "Empty"})
    assert response.status_code == 422
    assert "Choose at least one course" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Product.id)).where(Product.name == "Empty")) == 0


@pytest.mark.parametrize("course_id", ["99999999999999999999", "0", "abc"])
def test_a_product_of_a_course_that_cannot_exist_is_refused_in_words(client, db, factory, admin, course_id):
    real = factory.course()
    token = csrf_token(client, "/platform/products/new")
    response = client.post("/platform/products/new", data={"csrf_token": token, "name": "Odd",
                                                            "course_ids": [str(real.id), course_id]})
    assert response.status_code == 422 and "Unknown course." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Product.id)).where(Product.name == "Odd")) == 0


def test_the_offer_page_previews_the_schedule_for_a_start_date(client, db, factory, admin):
    product, offer = factory.product(factory.course(), release_delays=[0, 7, 14], checkpoints_enabled=True)
    url = f"/platform/products/{product.id}/offers/{offer.id}"
    response = client.get(f"{url}?start=2026-03-27", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="schedule-preview"' in html
    assert re.findall(r'data-state="(\w+)"', html) == ["open", "scheduled", "scheduled"]
    assert "Apr 3, 2026" in html and "Apr 10, 2026" in html


def test_a_bad_preview_date_is_refused_in_place(client, db, factory, admin):
    product, offer = factory.product(factory.course())
    response = client.get(f"/platform/products/{product.id}/offers/{offer.id}?start=2026-13-01")
    assert response.status_code == 422 and "is not a date" in response.get_data(as_text=True)


def test_the_preview_writes_nothing(db, factory):
    from app.models import Enrolment, Grant

    product, offer = factory.product(factory.course(), release_delays=[0, 7])
    product_svc.schedule_preview(offer, date(2026, 1, 1))
    db.session.flush()
    assert db.session.scalar(sa.select(sa.func.count(Grant.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Enrolment.id))) == 0


def test_editing_an_offer_keeps_its_values_in_the_form(client, db, factory, admin):
    product, offer = factory.product(factory.course(), release_delays=[0, 7], price_cents=4900)
    html = client.get(f"/platform/products/{product.id}/offers/{offer.id}/edit").get_data(as_text=True)
    assert 'value="49.00"' in html and 'value="0, 7"' in html


def test_products_list_is_paginated_with_constant_queries(client, db, factory, admin, count_queries):
    for n in range(55):
        factory.product(factory.course(), name=f"Product {n:02d}")
    counts = []
    for page in (1, 2):
        with count_queries() as queries:
            assert client.get(f"/platform/products?page={page}").status_code == 200
        counts.append(queries.count)
    assert counts[0] == counts[1]


@pytest.mark.parametrize("role", [Role.PARTNER_ADMIN, Role.STUDENT, Role.RESELLER])
def test_other_roles_cannot_reach_the_catalog(client, login_as, role):
    login_as(role)
    for url in ("/platform/products", "/platform/courses/new", "/platform/reviews"):
        assert client.get(url).status_code == 403
