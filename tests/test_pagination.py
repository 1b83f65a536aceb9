"""Keyset pages (app.services.pagination): every row once, in order, forwards and back, without COUNT(*)."""

from datetime import date

import pytest
import sqlalchemy as sa

from app.models import Enrolment, Role, User
from app.services.enrolment import enrol as enrolments
from app.services.pagination import Keyset, contains_pattern, count_up_to


@pytest.fixture
def partner(factory):
    return factory.partner(credits=100)


def names_query(partner):
    return sa.select(User).where(User.partner_id == partner.id, User.role == Role.STUDENT.value)


BY_NAME = Keyset(sa.func.lower(User.name), User.email, User.id)


def make_students(factory, partner, names):
    for n, name in enumerate(names):
        student = factory.student(partner, email=f"s{n}-{factory.n()}@example.com")
        student.name = name


def walk(order, query, per_page, cursor_name="after"):
    pages, cursor = [], None
    while True:
        page = order.page(query, per_page=per_page, after=cursor)
        pages.append(page)
        if not page.has_next:
            return pages
        cursor = page.next_cursor


def test_pages_forward_list_every_row_once_in_order_ignoring_case(db, factory, partner):
    names = ["bruno", "Anna", "anna", "Carla", "Älva", "dario", "Anna"]
    make_students(factory, partner, names)
    pages = walk(BY_NAME, names_query(partner), per_page=3)
    seen = [user for page in pages for user in page.items]
    assert [len(page.items) for page in pages] == [3, 3, 1]
    assert len({user.id for user in seen}) == len(names)
    keys = [(user.name.lower(), user.email, user.id) for user in seen]
    assert keys[:-1] == sorted(keys[:-1])  # lower() of "Älva" sorts by the database's collation
    assert pages[0].is_first and not pages[0].has_prev and pages[1].has_prev


def test_the_previous_page_is_the_page_before(db, factory, partner):
    make_students(factory, partner, [f"Name {n:02d}" for n in range(7)])
    query = names_query(partner)
    first = BY_NAME.page(query, per_page=3)
    second = BY_NAME.page(query, per_page=3, after=first.next_cursor)
    back = BY_NAME.page(query, per_page=3, before=second.prev_cursor)
    assert [u.id for u in back.items] == [u.id for u in first.items]
    assert back.has_next and not back.has_prev


def test_going_back_past_the_start_shows_the_whole_first_page(db, factory, partner):
    make_students(factory, partner, [f"Name {n:02d}" for n in range(5)])
    query = names_query(partner)
    first = BY_NAME.page(query, per_page=2)
    second = BY_NAME.page(query, per_page=2, after=first.next_cursor)
    third = BY_NAME.page(query, per_page=2, after=second.next_cursor)
    back_from_second_item = BY_NAME.page(query, per_page=2, before=BY_NAME.encode(
        (third.items[0].name.lower(), third.items[0].email, third.items[0].id)))
    assert [u.name for u in back_from_second_item.items] == ["Name 02", "Name 03"]
    start = BY_NAME.page(query, per_page=2, before=second.prev_cursor)
    assert [u.name for u in start.items] == ["Name 00", "Name 01"] and not start.has_prev


def test_descending_keys_page_newest_first(db, factory, partner):
    admin = factory.user(Role.PARTNER_ADMIN, partner=partner)
    course = factory.course(value=1)
    made = [enrolments.enrol_student(admin, partner, factory.student(partner), course).id for _ in range(5)]
    newest_first = Keyset(Enrolment.id, descending=True)
    query = sa.select(Enrolment).where(Enrolment.partner_id == partner.id)
    pages = walk(newest_first, query, per_page=2)
    assert [e.id for page in pages for e in page.items] == sorted(made, reverse=True)


def test_a_date_key_round_trips_through_its_cursor(db, factory, partner):
    by_start = Keyset(Enrolment.start_date, Enrolment.id)
    cursor = by_start.encode((date(2026, 3, 1), 7))
    assert by_start.decode(cursor) == (date(2026, 3, 1), 7)


@pytest.mark.parametrize("cursor", [None, "", "%%%", "bm90IGpzb24", "WzFd", "WyJhIiwiYiIsMS41XQ",
                                    "WyJhIiwiYiIsdHJ1ZV0", "x" * 3000])
def test_an_unreadable_cursor_is_no_cursor(cursor):
    assert BY_NAME.decode(cursor) is None


def test_a_page_has_one_row_more_read_never_a_count(db, factory, partner, queries):
    make_students(factory, partner, [f"Name {n:02d}" for n in range(30)])
    db.session.flush()
    with queries() as counter:
        BY_NAME.page(names_query(partner), per_page=10)
    assert counter.count == 1 and "count(" not in counter.statements[0].lower()
    assert "LIMIT" in counter.statements[0]


def test_count_up_to_stops_at_its_limit(db, factory, partner):
    make_students(factory, partner, [f"Name {n:02d}" for n in range(5)])
    assert count_up_to(names_query(partner), 10) == (5, False)
    assert count_up_to(names_query(partner), 3) == (3, True)


def test_search_patterns_match_likes_own_characters_literally():
    assert contains_pattern("50%_off\\") == "%50\\%\\_off\\\\%"
