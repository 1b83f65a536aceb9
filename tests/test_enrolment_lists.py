"""Finding one enrolment among thousands, and picking one student among thousands (issue 8 item 16, issue 9).

The enrolments list and the participants list search by the student's name or email and
filter by course, status and start date; the single enrolment form picks its student by
search (a combobox with htmx, a search and a select without JavaScript), never from a
list of every student, and checks the chosen id with one lookup.
"""

from datetime import date

import pytest
import sqlalchemy as sa

from app.models import Enrolment, Role
from app.services.enrolment import enrol as svc
from tests.conftest import csrf_token
from tests.pages import page_link

HTMX = {"HX-Request": "true"}


@pytest.fixture
def partner(factory):
    return factory.partner(name="Lists Partner", credits=1_000)


@pytest.fixture
def admin(login_as, partner):
    return login_as(Role.PARTNER_ADMIN, partner=partner)


def student(factory, partner, name, **kwargs):
    slug = name.lower().replace(" ", ".")
    user = factory.student(partner, email=f"{slug}@example.com", **kwargs)
    user.name = name
    return user


def enrol(admin, partner, user, course, started=None):
    enrolment = svc.enrol_student(admin, partner, user, course)
    if started:
        enrolment.start_date = started
    return enrolment


@pytest.fixture
def world(factory, partner, admin):
    """Mario in Fire Safety (cancelled, started in March), Giulia in Fire Safety and First Aid."""
    fire, aid = factory.course(title="Fire Safety", value=1), factory.course(title="First Aid", value=1)
    mario, giulia = student(factory, partner, "Mario Rossi"), student(factory, partner, "Giulia Bianchi")
    marios = enrol(admin, partner, mario, fire, started=date(2026, 3, 2))
    svc.cancel_enrolment(admin, partner, marios)
    enrol(admin, partner, giulia, fire, started=date(2026, 5, 10))
    enrol(admin, partner, giulia, aid, started=date(2026, 6, 1))
    return dict(fire=fire, aid=aid, mario=mario, giulia=giulia)


def rows(html):
    return html.count('<tr id="enrolment-')


def table(html):
    """The enrolment table alone (the page also holds the picker's students)."""
    return html[html.index('<tbody id="enrolment-rows">'):html.index("</tbody>")]


@pytest.mark.parametrize("query, expected", [
    ("q=mario", ["Mario Rossi"]),
    ("q=BIANCHI", ["Giulia Bianchi"]),
    ("q=giulia.bianchi%40example", ["Giulia Bianchi"]),
    ("status=cancelled", ["Mario Rossi"]),
    ("status=active", ["Giulia Bianchi"]),
    ("started_from=2026-05-01&started_to=2026-05-31", ["Giulia Bianchi"]),
])
def test_the_enrolments_list_finds_by_name_email_status_and_start_date(client, world, query, expected):
    html = client.get(f"/partner/enrolments/rows?{query}", headers=HTMX).get_data(as_text=True)
    for name in ("Mario Rossi", "Giulia Bianchi"):
        assert (name in html) == (name in expected), (query, name)


def test_the_enrolments_list_filters_by_course(client, world):
    html = client.get(f"/partner/enrolments/rows?course_id={world['aid'].id}", headers=HTMX).get_data(as_text=True)
    assert rows(html) == 1 and "First Aid" in html


def test_the_search_works_without_javascript_on_the_page(client, world):
    html = client.get("/partner/enrolments?q=mario").get_data(as_text=True)
    assert 'value="mario"' in html and rows(html) == 1 and "Mario Rossi" in html


def test_the_rows_url_without_htmx_is_the_page_with_the_same_search(client, world):
    response = client.get("/partner/enrolments/rows?q=mario")
    assert response.status_code == 302 and response.headers["Location"].endswith("/partner/enrolments?q=mario")


def test_a_search_that_finds_nothing_says_so(client, world):
    html = client.get("/partner/enrolments/rows?q=nobody", headers=HTMX).get_data(as_text=True)
    assert rows(html) == 0 and "No enrolment matches this search." in html


@pytest.mark.parametrize("query", [
    "started_from=2026-13-45", "started_from=2026-05-01&started_to=2026-04-01", "course_id=abc",
    "course_id=99999999999999999999", "status=junk", "q=" + "x" * 500, "q=%25_%5C",
])
def test_bad_filters_never_fail(client, world, query):
    for path in ("/partner/enrolments", "/partner/participants"):
        assert client.get(f"{path}?{query}").status_code == 200


def test_a_wrong_date_is_explained_in_the_filters(client, world):
    html = client.get("/partner/enrolments?started_from=2026-13-45").get_data(as_text=True)
    assert "is not a date" in html and rows(html) == 3


def test_another_partners_enrolments_are_never_found(client, factory, world):
    theirs = factory.partner(credits=10)
    their_admin = factory.user(Role.PARTNER_ADMIN, partner=theirs)
    enrol(their_admin, theirs, student(factory, theirs, "Mario Verdi"), world["fire"])
    html = client.get("/partner/enrolments/rows?q=mario", headers=HTMX).get_data(as_text=True)
    assert "Mario Rossi" in html and "Mario Verdi" not in html


def test_the_enrolments_list_pages_newest_first_and_keeps_the_search(client, factory, partner, admin):
    course = factory.course(value=1)
    for n in range(27):
        enrol(admin, partner, student(factory, partner, f"Anna {n:02d}"), course)
    first = client.get("/partner/enrolments?q=anna").get_data(as_text=True)
    assert rows(first) == 25 and "Anna 26" in table(first) and "Anna 01" not in table(first)
    second = client.get(page_link(first, "next")).get_data(as_text=True)
    assert rows(second) == 2 and "Anna 01" in table(second) and "Anna 00" in table(second)
    assert page_link(second, "next") is None and "q=anna" in page_link(second, "prev")


# --- participants --------------------------------------------------------------------------


def test_participants_are_searchable_by_name(client, world):
    html = client.get("/partner/participants?q=giulia").get_data(as_text=True)
    assert "Giulia Bianchi" in html and "Mario Rossi" not in html


def test_participants_search_by_name_within_one_student_stays_on_that_student(client, world):
    giulia = world["giulia"]
    html = client.get(f"/partner/participants?student_id={giulia.id}&course_id={world['aid'].id}").get_data(
        as_text=True)
    assert html.count("<progress") == 1 and "First Aid" in html
    assert f'name="student_id" value="{giulia.id}"' in html  # the filters keep the student


def test_participants_of_another_partners_student_are_not_found(client, factory, world):
    theirs = factory.student(factory.partner())
    assert client.get(f"/partner/participants?student_id={theirs.id}").status_code == 404


def test_participants_filter_with_htmx_answers_the_rows(client, world):
    html = client.get("/partner/participants?q=mario", headers=HTMX).get_data(as_text=True)
    assert html.lstrip().startswith('<div id="participant-rows">') and "Mario Rossi" in html


# --- the student picker ------------------------------------------------------------------------


def test_the_enrol_page_never_lists_every_student(client, factory, partner, admin):
    for n in range(30):
        student(factory, partner, f"Student {n:02d}")
    html = client.get("/partner/enrolments").get_data(as_text=True)
    assert html.count('<option value="') - html.count('<option value="">') <= 20 + 30  # students + courses
    assert "Student 19" in html and "Student 20" not in html
    assert "More students match" in html


def test_the_picker_searches_without_javascript(client, factory, partner, admin, world):
    html = client.get("/partner/enrolments?student_q=bianchi").get_data(as_text=True)
    select = html[html.index('<select class="form-select" id="student_id"'):]
    select = select[:select.index("</select>")]
    assert f'value="{world["giulia"].id}"' in select and f'value="{world["mario"].id}"' not in select


def test_the_picker_search_is_an_accessible_combobox(client, admin):
    html = client.get("/partner/enrolments").get_data(as_text=True)
    for part in ('<label class="form-label" for="student_q" id="student_q-label">Student</label>', 'role="combobox"',
                 'aria-controls="student-options"', 'aria-expanded="false"', 'aria-autocomplete="list"',
                 'role="listbox" aria-labelledby="student_q-label"', 'hx-get="/partner/enrolments/students"'):
        assert part in html, part


def test_the_picker_options_are_the_matching_active_students(client, factory, partner, admin, world):
    inactive = student(factory, partner, "Mario Bianchi")
    inactive.is_active_account = False
    html = client.get("/partner/enrolments/students?student_q=mario", headers=HTMX).get_data(as_text=True)
    assert html.count('role="option"') == 1 and f'data-value="{world["mario"].id}"' in html
    assert "1 student matches." in html


def test_the_picker_says_when_nobody_matches(client, admin):
    html = client.get("/partner/enrolments/students?student_q=zzz", headers=HTMX).get_data(as_text=True)
    assert 'aria-disabled="true"' in html and "No active student matches." in html


def test_the_picker_never_offers_another_partners_students(client, factory, admin):
    student(factory, factory.partner(), "Mario Verdi")
    html = client.get("/partner/enrolments/students?student_q=mario", headers=HTMX).get_data(as_text=True)
    assert "Mario Verdi" not in html


def test_the_picker_options_without_htmx_lead_to_the_page_search(client, admin):
    response = client.get("/partner/enrolments/students?student_q=anna")
    assert response.status_code == 302 and "student_q=anna" in response.headers["Location"]


def post_enrol(client, data):
    token = csrf_token(client, "/partner/enrolments")
    return client.post("/partner/enrolments", data={**data, "csrf_token": token}, headers=HTMX)


def test_the_chosen_student_is_checked_and_enrolled(client, factory, partner, admin, db):
    anna, course = student(factory, partner, "Anna Neri"), factory.course(value=1)
    response = post_enrol(client, {"student_id": anna.id, "course_id": course.id})
    assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).where(Enrolment.user_id == anna.id)) == 1


@pytest.mark.parametrize("value, message", [
    ("", "Choose a student."),
    ("abc", "Choose a student from the list."),
    ("99999999999999", "Choose a student from the list."),
])
def test_a_missing_or_unreadable_student_is_refused_on_the_field(client, factory, admin, value, message):
    course = factory.course(value=1)
    response = post_enrol(client, {"student_id": value, "course_id": course.id})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html and 'id="student_id-errors"' in html


def test_another_partners_student_is_refused_in_the_services_words(client, factory, admin):
    theirs, course = factory.student(factory.partner()), factory.course(value=1)
    response = post_enrol(client, {"student_id": theirs.id, "course_id": course.id})
    assert response.status_code == 422
    assert "This student does not belong to your organisation." in response.get_data(as_text=True)


def test_a_refused_enrolment_keeps_the_chosen_student_in_the_picker(client, factory, partner, admin):
    anna, course = student(factory, partner, "Anna Neri"), factory.course(value=1)
    post_enrol(client, {"student_id": anna.id, "course_id": course.id})
    html = post_enrol(client, {"student_id": anna.id, "course_id": course.id}).get_data(as_text=True)
    assert "is already enrolled in" in html
    assert f'<option value="{anna.id}" selected>' in html and 'value="Anna Neri"' in html
