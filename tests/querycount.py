"""Counting SQL statements, to prove a list page does the same work at 10 rows as at 100.

- ``count_queries(engine)``: every statement the engine sends while the block runs
  (SQLAlchemy's ``after_cursor_execute``), as ``counter.count`` and ``counter.statements``.
- ``forced_page_size(n)``: every list paginates through ``Keyset.page``
  (``app.services.pagination``, keyset pages) or ``db.paginate`` (Flask-SQLAlchemy, offset
  pages of short lists); inside the block both serve pages of ``n`` rows and record how many
  rows each page held, so a page of 10 and a page of 100 can be compared.
- ``assert_constant_queries(client, url, make_rows)``: builds 10 rows, counts the page's
  statements, builds 90 more, counts again, and asserts the two counts are equal.

``benchmarks/`` uses the same helpers against the benchmark database.
"""

from __future__ import annotations

import re
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event


@dataclass
class QueryCounter:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_queries(engine) -> Iterator[QueryCounter]:
    counter = QueryCounter()

    def _count(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        # A test's own transaction wraps the app's commits in savepoints: those are not the page's work.
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            counter.statements.append(statement)

    event.listen(engine, "after_cursor_execute", _count)
    try:
        yield counter
    finally:
        event.remove(engine, "after_cursor_execute", _count)


@contextmanager
def forced_page_size(per_page: int) -> Iterator[list[int]]:
    """Pages of ``per_page`` rows; yields the list of how many rows each page held."""
    from app.services.pagination import Keyset

    original, original_keyset = SQLAlchemy.paginate, Keyset.page
    shown: list[int] = []

    def paginate(self, select, **kwargs):
        kwargs["per_page"] = per_page
        kwargs["max_per_page"] = None
        pagination = original(self, select, **kwargs)
        shown.append(len(pagination.items))
        return pagination

    def keyset_page(self, query, **kwargs):
        kwargs["per_page"] = per_page
        page = original_keyset(self, query, **kwargs)
        shown.append(len(page.items))
        return page

    SQLAlchemy.paginate, Keyset.page = paginate, keyset_page
    try:
        yield shown
    finally:
        SQLAlchemy.paginate, Keyset.page = original, original_keyset


@dataclass(frozen=True)
class PageCount:
    statements: list[str]
    shown: list[int]  # rows on each paginated page; empty for a list that does not paginate

    @property
    def count(self) -> int:
        return len(self.statements)


def count_page(client, url: str, engine, *, page_size: int, headers: dict | None = None) -> PageCount:
    """The statements one GET of ``url`` sends, with lists paginated ``page_size`` rows a page."""
    with forced_page_size(page_size) as shown, count_queries(engine) as counter:
        response = client.get(url, headers=headers or {})
    assert response.status_code == 200, f"GET {url}: {response.status_code}"
    return PageCount(counter.statements, shown)


def assert_constant_queries(
    client, url: str, make_rows: Callable[[int], object], *, small: int = 10, large: int = 100,
    headers: dict | None = None, engine=None,
) -> tuple[int, int]:
    """Build ``small`` rows, count the page; build up to ``large``, count again; the counts must match.

    ``make_rows(n)`` adds ``n`` more rows that the page lists. Returns both counts.
    """
    if engine is None:
        from app.extensions import db

        engine = db.engine
    make_rows(small)
    few = count_page(client, url, engine, page_size=large, headers=headers)
    make_rows(large - small)
    many = count_page(client, url, engine, page_size=large, headers=headers)
    if few.shown or many.shown:
        assert (few.shown, many.shown) == ([small], [large]), (
            f"{url} listed {few.shown} then {many.shown} rows, not {small} then {large}: make_rows adds rows it does not list"
        )
    assert few.count == many.count, (
        f"{url}: {few.count} statements at {small} rows, {many.count} at {large}; these ran more often:\n"
        + grown_statements(few.statements, many.statements)
    )
    return few.count, many.count


def _shape(statement: str) -> str:
    """A statement without what varies between runs: whitespace, IN-list lengths, savepoint names."""
    text = " ".join(statement.split())
    text = re.sub(r"\((?:\?|%\(\w+\)s|\$\d+)(?:, (?:\?|%\(\w+\)s|\$\d+))*\)", "(…)", text)
    return re.sub(r"sa_savepoint_\d+", "sa_savepoint_N", text)


def grown_statements(few: list[str], many: list[str], limit: int = 3) -> str:
    """The statements ``many`` ran more often than ``few``, most grown first (``+N × SQL``)."""
    grown = Counter(map(_shape, many))
    grown.subtract(Counter(map(_shape, few)))
    lines = [f"  +{n} × {sql[:240]}" for sql, n in grown.most_common(limit) if n > 0]
    return "\n".join(lines) or "  (none: the same statements, in other numbers)"
